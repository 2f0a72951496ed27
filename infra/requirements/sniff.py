"""What a document really is, judged by its bytes (never by its name), and whether it is safe
to open: a DOCX whose uncompressed size or compression ratio is absurd is refused."""

import io
import json
import re
import zipfile
from enum import StrEnum

import filetype


class DocumentKind(StrEnum):
    pdf = "pdf"
    docx = "docx"
    html = "html"
    markdown = "markdown"
    text = "text"
    gherkin = "gherkin"
    json = "json"
    csv = "csv"
    sdoc = "sdoc"


MEDIA_TYPES = {
    DocumentKind.pdf: "application/pdf",
    DocumentKind.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocumentKind.html: "text/html",
    DocumentKind.markdown: "text/markdown",
    DocumentKind.text: "text/plain",
    DocumentKind.gherkin: "text/x-gherkin",
    DocumentKind.json: "application/json",
    DocumentKind.csv: "text/csv",
    DocumentKind.sdoc: "text/x-strictdoc",
}


class UnsupportedDocument(ValueError):
    """Not a kind of document Cognitest reads (HTTP 415)."""


class UnsafeDocument(ValueError):
    """A document that would be dangerous to open, such as a zip bomb (HTTP 422)."""


class EmptyDocument(ValueError):
    """A document with no text in it."""


def sniff(data: bytes, *, max_unzipped: int, max_ratio: float) -> DocumentKind:
    if not data.strip():
        raise EmptyDocument("the document is empty")
    if data.startswith(b"%PDF-"):
        return DocumentKind.pdf
    if data.startswith(b"PK\x03\x04"):
        check_zip(data, max_unzipped=max_unzipped, max_ratio=max_ratio)
        return DocumentKind.docx
    guessed = filetype.guess(data)
    if guessed is not None:
        raise UnsupportedDocument(f"{guessed.mime} is not a requirement document (PDF, DOCX, Markdown, text, HTML, "
                                  "Gherkin, JSON or CSV)")
    text = decode_text(data)
    return classify_text(text)


def check_zip(data: bytes, *, max_unzipped: int, max_ratio: float) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnsupportedDocument("the file looks like a ZIP archive but cannot be read") from None
    with archive:
        names = set(archive.namelist())
        if "word/document.xml" not in names:
            raise UnsupportedDocument("a ZIP archive that is not a Word document (DOCX)")
        infos = archive.infolist()
        if len(infos) > 10_000:
            raise UnsafeDocument("the DOCX has too many parts")
        total = sum(i.file_size for i in infos)
        if total > max_unzipped:
            raise UnsafeDocument(f"the DOCX would unpack to {total:,} bytes, over the {max_unzipped:,}-byte limit")
        for info in infos:
            if info.compress_size and info.file_size / info.compress_size > max_ratio and info.file_size > 1_000_000:
                raise UnsafeDocument(f"the DOCX part {info.filename} is compressed {info.file_size // info.compress_size}:1 "
                                     "(a zip bomb?)")


def decode_text(data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedDocument("binary content is not a requirement document")
    for encoding in ("utf-8-sig", "utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:4096])
        if printable < 0.95 * min(len(text), 4096):
            raise UnsupportedDocument("binary content is not a requirement document")
        return text
    raise UnsupportedDocument("the text is neither UTF-8 nor a known encoding")


_GHERKIN = re.compile(r"^\s*(Feature|Funcionalidad|Fonctionnalité):", re.MULTILINE)
_SCENARIO = re.compile(r"^\s*(Scenario|Scenario Outline|Example|Background):", re.MULTILINE)
_HTML = re.compile(r"<(!doctype html|html|body|p|h[1-6]|ul|ol|li|div|table)\b", re.IGNORECASE)
_MD = re.compile(r"^(#{1,6} |\s*[-*+] |\s*\d+\. )", re.MULTILINE)


def classify_text(text: str) -> DocumentKind:
    stripped = text.lstrip()
    if not stripped:
        raise EmptyDocument("the document is empty")
    if stripped[0] in "[{":
        try:
            json.loads(stripped)
            return DocumentKind.json
        except ValueError:
            pass
    if stripped.startswith("[DOCUMENT]") and re.search(r"^\[(REQUIREMENT|SECTION|TEXT)\]", text, re.MULTILINE):
        return DocumentKind.sdoc
    if _GHERKIN.search(text) and _SCENARIO.search(text):
        return DocumentKind.gherkin
    if stripped.startswith("<") and _HTML.search(stripped[:2000]):
        return DocumentKind.html
    first = stripped.splitlines()[0]
    if first.count(",") >= 1 and re.search(r"(?i)\b(title|summary|story|name)\b", first) and len(stripped.splitlines()) > 1:
        return DocumentKind.csv
    if _MD.search(text):
        return DocumentKind.markdown
    return DocumentKind.text
