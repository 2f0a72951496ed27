"""Markdown and plain text to lines: headings (`#` headings; in a document without any, numbered
headings such as "3.1 Temperature control", ALL-CAPS title lines and "Appendix A"), list items
with their wrapped continuation lines, paragraphs with hard-wrapped lines joined, block quotes as
notes, and tables (a requirements table with an id column becomes one story per row)."""

import re

from cognitest.infra.requirements.document import Converted, Line
from cognitest.infra.requirements.sniff import decode_text
from cognitest.infra.requirements.stories import is_records_header, table_stories

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_OWN_ID_START = re.compile(r"^\W{0,3}[A-Z][A-Z0-9]{0,11}(?:[-_.]\d+[A-Za-z]?)+(?:\.\d+)*\s*[\]):.\-–—]?\s")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+(.*)$")
# plain text: "3.1 Temperature control", "4. Non-functional requirements", "Appendix A. Revision history"
_NUMBERED_HEADING = re.compile(r"^(?P<number>\d+(?:\.\d+)*)\.?\s+(?P<title>[A-Z][^.!?:;]{0,80})$")
_APPENDIX = re.compile(r"^(appendix|annex)\s+[A-Z0-9]+\b[.:]?\s*\S.{0,80}$", re.IGNORECASE)
_VERB = re.compile(r"\b(is|are|be|been|shall|must|should|will|can|may|could|has|have|does|do)\b", re.IGNORECASE)


def table(out: Converted, rows: list[list[str]], section: str | None, numbers: list[int] | None = None) -> None:
    """A table whose header names an id and a title or statement column holds one requirement per
    row (Confluence's and many teams' requirements tables); any other table is rows of text.
    `numbers`: each row's line in the document."""
    numbers = numbers or [0] * len(rows)
    if len(rows) > 1 and is_records_header(rows[0]):
        stories = table_stories(rows[0], rows[1:], section, numbers[1:])
        out.stories += stories
    else:
        out.lines += [Line(" | ".join(row), "row", start=n, end=n) for n, row in zip(numbers, rows, strict=True)]


def _plain_heading(line: str) -> int:
    """The level of a plain-text heading, or 0 when the line is not one."""
    if numbered := _NUMBERED_HEADING.match(line):
        title = numbered.group("title")
        if len(title.split()) <= 6 and not _VERB.search(title):
            return numbered.group("number").count(".") + 1
    if _APPENDIX.match(line) and len(line.split()) <= 8:
        return 1
    letters = [c for c in line if c.isalpha()]
    if len(line.split()) >= 2 and letters and all(c.isupper() for c in letters) and len(line) <= 80:
        return 1
    return 0


def from_markdown(data: bytes, title: str | None = None, *, plain: bool = False, lines: bool = True) -> Converted:
    """`lines=False` for text that is not the user's file (a PDF's extracted text): no line numbers."""
    out = Converted(title=title)
    paragraph: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    section: str | None = None
    began = 0  # the line the paragraph began on
    number = 0

    def at(first: int, last: int | None = None) -> dict[str, int]:
        return {"start": first, "end": last or first} if lines else {}

    def flush_paragraph() -> None:
        if paragraph:
            out.lines.append(Line(" ".join(paragraph), **at(began, number - 1 if number > began else began)))
            paragraph.clear()

    def flush() -> None:
        flush_paragraph()
        if rows:
            table(out, [r for _, r in rows], section, [n for n, _ in rows] if lines else None)
            rows.clear()

    def heading(text: str, level: int) -> None:
        nonlocal section
        flush()
        out.lines.append(Line(text, "heading", level, **at(number)))
        section = text
        if out.title is None and level == 1:
            out.title = text

    text_lines = decode_text(data).splitlines()
    # a document without a single `#` heading is plain text (a .txt, a PDF's text): its headings are numbered
    plain = plain or not any(_HEADING.match(raw.strip()) for raw in text_lines)
    continued = False  # the last line was a list item (or its continuation)
    for number, raw in enumerate(text_lines, start=1):
        line = raw.strip()
        if not line:
            flush()
            continued = False
            continue
        if found := _HEADING.match(line):
            heading(found.group(2).strip(" #"), len(found.group(1)))
        elif plain and not raw[:1].isspace() and (level := _plain_heading(line)):
            heading(line, level)
        elif line.startswith(">"):
            flush()
            out.lines.append(Line(line.lstrip("> ").strip(), "note", **at(number)))  # a call-out about the page
        elif item := _ITEM.match(raw):
            flush()
            out.lines.append(Line(item.group(1).strip(), "item", **at(number)))
            continued = True
            continue
        elif continued and raw[:1].isspace() and out.lines and out.lines[-1].kind == "item":
            out.lines[-1].text += " " + line  # a list item wrapped onto an indented next line
            if lines:
                out.lines[-1].end = number
            continue
        elif line.startswith("|") and line.endswith("|"):
            flush_paragraph()
            if not set(line) <= set("|-: "):
                rows.append((number, [c.strip() for c in line.strip("|").split("|")]))
        elif re.match(r"^(Given|When|Then|And|But)\b", line):
            flush()
            out.lines.append(Line(line, "item", **at(number)))
        else:
            if _OWN_ID_START.match(line):
                flush()  # a line that starts with an identifier starts a requirement
            if not paragraph:
                began = number
            paragraph.append(line)
            if line.endswith((".", "!", "?", ":")):
                number += 1  # the paragraph ends on this line
                flush_paragraph()
                number -= 1
        continued = False
    number += 1
    flush()
    return out
