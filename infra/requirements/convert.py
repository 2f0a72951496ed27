"""Documents to lines of text (with headings and list items kept) or to user stories.

Chosen libraries: pypdf (text of PDFs, detects encryption), python-docx (paragraph styles keep
headings and lists), BeautifulSoup (HTML), gherkin-official (feature files), csv/json from the
standard library for story exports."""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cognitest.infra.requirements.sniff import DocumentKind, EmptyDocument, decode_text


class DocumentError(ValueError):
    """The document cannot be read (encrypted, corrupt, malformed)."""


@dataclass
class Line:
    text: str
    kind: str = "para"  # heading | para | item | row
    level: int = 0


@dataclass
class Story:
    key: str | None
    title: str
    description: str = ""
    criteria: list[list[tuple[str, str]]] = field(default_factory=list)  # scenarios of (keyword, text)
    priority: str | None = None
    section: str | None = None
    statement_only: bool = False  # the description is the requirement (a StrictDoc STATEMENT), the title a label


@dataclass
class Converted:
    title: str | None = None
    lines: list[Line] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.stories and not any(line.text.strip() for line in self.lines)


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
    except Exception as exc:  # pypdf raises many types for damaged files
        raise DocumentError(f"the PDF is damaged and cannot be read ({type(exc).__name__}: {exc})") from None
    title = None
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # noqa: BLE001  metadata is optional
        title = None
    return _markdown("\n".join(pages).encode(), title=str(title) if title else None)


def _docx(data: bytes) -> Converted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise DocumentError(f"the DOCX is damaged and cannot be read ({exc})") from None
    except Exception as exc:  # lxml and zipfile errors for broken parts
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
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "dt", "dd", "pre"]):
        if element.name == "p" and element.find_parent("li"):
            continue
        text = " ".join(element.get_text(" ", strip=True).split())
        if not text:
            continue
        if element.name.startswith("h"):
            out.lines.append(Line(text, "heading", int(element.name[1])))
        elif element.name == "li":
            out.lines.append(Line(text, "item"))
        elif element.name == "tr":
            out.lines.append(Line(" | ".join(c.get_text(" ", strip=True) for c in element.find_all(["td", "th"])), "row"))
        else:
            out.lines.append(Line(text))
    return out


_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_OWN_ID_START = re.compile(r"^\W{0,3}[A-Z][A-Z0-9]{0,11}(?:[-_.]\d+[A-Za-z]?)+(?:\.\d+)*\s*[\]):.\-–—]?\s")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+(.*)$")


def _markdown(data: bytes, title: str | None = None) -> Converted:
    text = decode_text(data)
    out = Converted(title=title)
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.lines.append(Line(" ".join(paragraph)))
            paragraph.clear()

    continued = False  # the last line was a list item (or its continuation)
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continued = False
            continue
        if heading := _HEADING.match(line):
            flush()
            out.lines.append(Line(heading.group(2).strip(" #"), "heading", len(heading.group(1))))
            if out.title is None and len(heading.group(1)) == 1:
                out.title = heading.group(2).strip(" #")
        elif item := _ITEM.match(raw):
            flush()
            out.lines.append(Line(item.group(1).strip(), "item"))
            continued = True
            continue
        elif continued and raw[:1].isspace() and out.lines and out.lines[-1].kind == "item":
            out.lines[-1].text += " " + line  # a list item wrapped onto an indented next line
            continue
        elif line.startswith("|") and line.endswith("|"):
            flush()
            if not set(line) <= set("|-: "):
                out.lines.append(Line(" | ".join(c.strip() for c in line.strip("|").split("|")), "row"))
        elif re.match(r"^(Given|When|Then|And|But)\b", line):
            flush()
            out.lines.append(Line(line, "item"))
        else:
            if _OWN_ID_START.match(line):
                flush()  # a line that starts with an identifier starts a requirement
            paragraph.append(line)
            if line.endswith((".", "!", "?", ":")):
                flush()  # hard-wrapped prose continues on the next line; a finished sentence does not
        continued = False
    flush()
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

    def finish() -> None:
        if node in ("REQUIREMENT", "COMPOSITE_REQUIREMENT") and (fields.get("STATEMENT") or fields.get("TITLE")):
            statement = " ".join((fields.get("STATEMENT") or "").split())
            out.stories.append(Story(key=fields.get("UID") or None, title=fields.get("TITLE") or _first_sentence(statement),
                                     description=statement, priority=fields.get("PRIORITY") or None,
                                     section=" / ".join(sections) or None, statement_only=True))

    for raw in decode_text(data).splitlines():
        if block is not None:  # inside a multi-line field
            if raw.strip() == "<<<":
                fields[block_field] = "\n".join(block).strip()
                block = None
            else:
                block.append(raw)
            continue
        line = raw.strip()
        if marker := _SDOC_NODE.match(line):
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
        finish()
    if not out.stories:
        raise DocumentError("the StrictDoc document has no [REQUIREMENT] with a STATEMENT or TITLE")
    return out


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first[:120]


def _gherkin(data: bytes) -> Converted:
    from gherkin.parser import Parser
    from gherkin.token_scanner import TokenScanner

    text = decode_text(data)
    try:
        document = Parser().parse(TokenScanner(text))
    except Exception as exc:  # the parser raises CompositeParserException with line numbers
        raise DocumentError(f"the feature file is not valid Gherkin: {exc}") from None
    feature = document.get("feature") or {}
    out = Converted(title=feature.get("name"))
    background: list[tuple[str, str]] = []
    for child in feature.get("children", []):
        if "background" in child:
            background = [(s["keyword"].strip(), s["text"]) for s in child["background"].get("steps", [])]
        scenario = child.get("scenario")
        if not scenario:
            continue
        tags = [t["name"].lstrip("@") for t in scenario.get("tags", [])]
        key = next((t for t in tags if re.match(r"^[A-Za-z]+[-_.]?\d", t)), None)
        steps = background + [(s["keyword"].strip(), s["text"]) for s in scenario.get("steps", [])]
        out.stories.append(Story(key=key, title=scenario.get("name") or "Scenario",
                                 description=(scenario.get("description") or "").strip(),
                                 criteria=[steps], section=feature.get("name"),
                                 priority=next((t for t in tags if t.lower() in ("critical", "high", "medium", "low")), None)))
    if feature.get("description"):
        out.lines.append(Line(feature["description"].strip()))
    return out


_FIELDS = {
    "key": ("key", "id", "issue key", "story id", "ref", "reference"),
    "title": ("title", "summary", "name", "story"),
    "description": ("description", "details", "body", "user story"),
    "criteria": ("acceptance criteria", "acceptance_criteria", "acceptancecriteria", "criteria", "ac"),
    "priority": ("priority",),
    "section": ("epic", "feature", "component", "section"),
}


def _field(record: dict[str, Any], name: str) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in record.items()}
    for alias in _FIELDS[name]:
        if alias in lowered and lowered[alias] not in (None, ""):
            return lowered[alias]
    return None


def _criteria(value: Any) -> list[list[tuple[str, str]]]:
    if not value:
        return []
    items = value if isinstance(value, list) else re.split(r"\n|(?<=[.;])\s+(?=(?:Given|When|Then)\b)", str(value))
    scenarios: list[list[tuple[str, str]]] = []
    for item in items:
        text = str(item.get("text") if isinstance(item, dict) else item).strip(" -*•\t")
        if not text:
            continue
        match = re.match(r"^(Given|When|Then|And|But)\s+(.*)$", text, re.IGNORECASE)
        if match:
            keyword = match.group(1).capitalize()
            if keyword == "Given" or not scenarios:
                scenarios.append([])
            scenarios[-1].append((keyword, match.group(2)))
        else:
            scenarios.append([("Then", text)])
    return scenarios


def _story(record: dict[str, Any]) -> Story | None:
    title = _field(record, "title")
    description = _field(record, "description") or ""
    if not title and not description:
        return None
    key = _field(record, "key")
    return Story(key=str(key) if key else None, title=str(title or description)[:500], description=str(description),
                 criteria=_criteria(_field(record, "criteria")),
                 priority=str(_field(record, "priority") or "") or None,
                 section=str(_field(record, "section") or "") or None)


def _json(data: bytes) -> Converted:
    try:
        loaded = json.loads(decode_text(data))
    except ValueError as exc:
        raise DocumentError(f"the JSON is malformed: {exc}") from None
    if isinstance(loaded, dict):
        loaded = next((v for k, v in loaded.items() if isinstance(v, list) and k.lower() in
                       ("stories", "user_stories", "issues", "items", "requirements", "data")), [loaded])
    if not isinstance(loaded, list):
        raise DocumentError("the JSON holds no list of user stories")
    stories = [s for s in (_story(r) for r in loaded if isinstance(r, dict)) if s is not None]
    if not stories:
        raise DocumentError("the JSON holds no user stories (objects with a title or summary)")
    return Converted(stories=stories)


def _csv(data: bytes) -> Converted:
    text = decode_text(data)
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as exc:
        raise DocumentError(f"the CSV is malformed: {exc}") from None
    stories = [s for s in (_story(r) for r in rows) if s is not None]
    if not stories:
        raise DocumentError("the CSV holds no user stories (a title or summary column)")
    return Converted(stories=stories)
