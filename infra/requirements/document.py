"""What a converted document is: lines (headings, paragraphs, list items, table rows) and user
stories, each with where it came from."""

from dataclasses import dataclass, field


class DocumentError(ValueError):
    """The document cannot be read (encrypted, corrupt, malformed)."""


@dataclass
class Line:
    text: str
    kind: str = "para"  # heading | para | item | row | note
    level: int = 0
    start: int = 0  # first and last line in the document (0: not known, as in a DOCX or a PDF)
    end: int = 0


@dataclass
class Story:
    key: str | None
    title: str
    description: str = ""
    criteria: list[list[tuple[str, str]]] = field(default_factory=list)  # scenarios of (keyword, text)
    priority: str | None = None
    section: str | None = None
    statement_only: bool = False  # the description is the requirement (a StrictDoc STATEMENT), the title a label
    start: int = 0  # first and last line in the document (0: not known)
    end: int = 0


@dataclass
class Converted:
    title: str | None = None
    lines: list[Line] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.stories and not any(line.text.strip() for line in self.lines)
