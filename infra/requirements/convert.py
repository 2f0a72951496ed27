"""Documents to lines of text (with headings and list items kept) or to user stories.

Chosen libraries: pypdf (text of PDFs, detects encryption), python-docx (paragraph styles keep
headings and lists), BeautifulSoup (HTML), gherkin-official (feature files), csv/json from the
standard library for story exports."""

import io
import re

from cognitest.infra.requirements.document import Converted, DocumentError, Line, Story
from cognitest.infra.requirements.sniff import DocumentKind, EmptyDocument, decode_text
from cognitest.infra.requirements.gherkin import from_feature as _gherkin
from cognitest.infra.requirements.markdown import from_markdown as _markdown
from cognitest.infra.requirements.markdown import table as _table
from cognitest.infra.requirements.stories import from_csv, from_json

__all__ = ["Converted", "DocumentError", "Line", "Story", "convert"]


def convert(data: bytes, kind: DocumentKind) -> Converted:
    converter = {
        DocumentKind.pdf: _pdf, DocumentKind.docx: _docx, DocumentKind.html: _html,
        DocumentKind.markdown: _markdown, DocumentKind.text: _markdown, DocumentKind.gherkin: _gherkin,
        DocumentKind.json: _json, DocumentKind.csv: _csv, DocumentKind.sdoc: _sdoc,
    }[kind]
    result = converter(data)
    if result.is_empty():
        raise EmptyDocument("the document has no text to read requirements from")
    return result


def _pdf(data: bytes) -> Converted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise DocumentError("the PDF is encrypted with a password; upload an unprotected copy")
            except (NotImplementedError, PdfReadError) as exc:
                raise DocumentError(f"the PDF is encrypted and cannot be opened: {exc}") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001  pypdf raises many types for damaged files
        raise DocumentError(f"the PDF is damaged and cannot be read ({type(exc).__name__}: {exc})") from None
    title = None
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # noqa: BLE001  metadata is optional
        title = None
    return _markdown("\n".join(pages).encode(), title=str(title) if title else None, plain=True, lines=False)


def _docx(data: bytes) -> Converted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise DocumentError(f"the DOCX is damaged and cannot be read ({exc})") from None
    except Exception as exc:  # noqa: BLE001  lxml and zipfile errors for broken parts
        raise DocumentError(f"the DOCX is damaged and cannot be read ({type(exc).__name__})") from None
    out = Converted(title=document.core_properties.title or None)
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        if style.startswith("heading") or style == "title":
            level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
            out.lines.append(Line(text, "heading", level))
        elif "list" in style:
            out.lines.append(Line(text, "item"))
        else:
            out.lines.append(Line(text))
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if any(cells):
                out.lines.append(Line(" | ".join(cells), "row"))
    return out


def _html(data: bytes) -> Converted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    out = Converted(title=soup.title.get_text(strip=True) if soup.title else None)
    section: str | None = None
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "dt", "dd", "pre"]):
        if element.find_parent("table") or (element.name == "p" and element.find_parent("li")):
            continue  # a table is read whole, as records or as rows
        if element.name == "table":
            rows = [([" ".join(c.get_text(" ", strip=True).split()) for c in tr.find_all(["td", "th"])], tr.sourceline or 0)
                    for tr in element.find_all("tr")]
            rows = [(r, n) for r, n in rows if any(r)]
            _table(out, [r for r, _ in rows], section, [n for _, n in rows])
            continue
        text = " ".join(element.get_text(" ", strip=True).split())
        if not text:
            continue
        where = {"start": element.sourceline or 0, "end": element.sourceline or 0}
        if element.name.startswith("h"):
            out.lines.append(Line(text, "heading", int(element.name[1]), **where))
            section = text
        elif element.name == "li":
            out.lines.append(Line(text, "item", **where))
        else:
            out.lines.append(Line(text, **where))
    return out


_SDOC_NODE = re.compile(r"^\[(/?)(DOCUMENT|SECTION|REQUIREMENT|COMPOSITE_REQUIREMENT|TEXT|FREETEXT)\]\s*$")
_SDOC_FIELD = re.compile(r"^([A-Z][A-Z_]*):\s?(.*)$")


def _sdoc(data: bytes) -> Converted:
    """StrictDoc's .sdoc: [SECTION]s holding [REQUIREMENT]s with UID, TITLE and STATEMENT (single-line
    or a `>>>` ... `<<<` block); [TEXT] blocks are prose about the document, not requirements."""
    out = Converted()
    sections: list[str] = []
    node: str | None = None
    fields: dict[str, str] = {}
    block: list[str] | None = None
    block_field = ""
    began = ended = seen = 0  # the node's first line, its last line, the last non-blank line so far

    def finish() -> None:
        if node in ("REQUIREMENT", "COMPOSITE_REQUIREMENT") and (fields.get("STATEMENT") or fields.get("TITLE")):
            statement = " ".join((fields.get("STATEMENT") or "").split())
            out.stories.append(Story(key=fields.get("UID") or None, title=fields.get("TITLE") or _first_sentence(statement),
                                     description=statement, priority=fields.get("PRIORITY") or None,
                                     section=" / ".join(sections) or None, statement_only=True,
                                     start=began, end=ended))

    for number, raw in enumerate(decode_text(data).splitlines(), start=1):
        before, seen = seen, (number if raw.strip() else seen)
        if block is not None:  # inside a multi-line field
            if raw.strip() == "<<<":
                fields[block_field] = "\n".join(block).strip()
                block = None
            else:
                block.append(raw)
            continue
        line = raw.strip()
        if marker := _SDOC_NODE.match(line):
            ended = before  # a node ends on its last line before the next marker
            if node == "SECTION" and fields.get("TITLE") and not marker.group(1):
                sections.append(fields["TITLE"])  # the section's title came before its first child
            elif node != "SECTION":
                finish()
            closing, kind = marker.group(1), marker.group(2)
            if closing and kind == "SECTION":
                if node == "SECTION" and fields.get("TITLE"):
                    sections.append(fields["TITLE"])
                sections[-1:] = []
            node, fields = (None, {}) if closing else (kind, {})
            began = number
            continue
        if (found := _SDOC_FIELD.match(line)) and node is not None:
            name, value = found.group(1), found.group(2).strip()
            if value == ">>>":
                block, block_field = [], name
            else:
                fields[name] = value
                if node == "DOCUMENT" and name == "TITLE":
                    out.title = value
    if node != "SECTION":
        ended = seen
        finish()
    if not out.stories:
        raise DocumentError("the StrictDoc document has no [REQUIREMENT] with a STATEMENT or TITLE")
    return out


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first[:120]


def _json(data: bytes) -> Converted:
    return Converted(stories=from_json(data))


def _csv(data: bytes) -> Converted:
    return Converted(stories=from_csv(data))
