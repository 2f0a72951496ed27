"""Requirement intake: recognising documents by content, converting and splitting them."""

import io
import zipfile
from pathlib import Path

import pytest

from cognitest.infra.requirements.convert import DocumentError, convert
from cognitest.infra.requirements.sniff import DocumentKind, EmptyDocument, UnsafeDocument, UnsupportedDocument, sniff
from cognitest.infra.requirements.split import split

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIMITS = {"max_unzipped": 50_000_000, "max_ratio": 100.0}


def parse(data: bytes):  # type: ignore[no-untyped-def]
    return split(convert(data, sniff(data, **LIMITS)))


def spec_text() -> str:
    return (FIXTURES / "login_spec.md").read_text()


def spec_as_pdf(text: str, **encrypt: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    for line in text.splitlines():
        pdf.multi_cell(0, 5, line.replace("#", "").strip() or " ", new_x="LMARGIN", new_y="NEXT")
    if encrypt:
        pdf.set_encryption(**encrypt)
    return bytes(pdf.output())


def spec_as_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        if line.startswith("#"):
            document.add_heading(line.lstrip("# "), level=line.count("#", 0, 3))
        elif line.startswith("- "):
            document.add_paragraph(line[2:], style="List Bullet")
        elif line.strip():
            document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_markdown_spec_gives_stable_atomic_requirements() -> None:
    first = parse(spec_text().encode())
    again = parse(spec_text().encode())
    assert [r.model_dump() for r in first] == [r.model_dump() for r in again]
    by_key = {r.key: r for r in first}
    assert list(by_key)[:3] == ["FR-1.1", "FR-1.2", "FR-1.3"]  # the document's own ids are kept
    assert "REQ-1" in by_key and "NFR-1" in by_key
    assert by_key["NFR-1"].kind == "non_functional"
    assert by_key["FR-1.1"].priority == "high"  # shall
    should = next(r for r in first if "should send" in r.text)
    may = next(r for r in first if "may be offered" in r.text)
    assert should.priority == "medium" and may.priority == "low"
    assert next(r for r in first if "GDPR" in r.text).kind == "constraint"
    locked = next(r for r in first if "locked" in r.text)
    assert [[s.keyword for s in sc] for sc in locked.acceptance_criteria] == [["Given", "When", "Then"]]
    assert by_key["FR-1.2"].section == "1. Registration requirements"


def test_pdf_and_docx_versions_give_the_same_requirements() -> None:
    expected = [(r.key, r.text) for r in parse(spec_text().encode())]
    pdf = spec_as_pdf(spec_text())
    assert sniff(pdf, **LIMITS) == DocumentKind.pdf
    assert [(r.key, r.text) for r in parse(pdf)] == expected
    docx_bytes = spec_as_docx(spec_text())
    assert sniff(docx_bytes, **LIMITS) == DocumentKind.docx
    assert [(r.key, r.text) for r in parse(docx_bytes)] == expected


def test_gherkin_json_and_csv_stories() -> None:
    feature = parse((FIXTURES / "checkout_stories.feature").read_bytes())
    assert [r.key for r in feature] == ["CHK-1", "CHK-2", "CHK-3"]
    assert feature[0].acceptance_criteria[0][0].keyword == "Given" and feature[2].priority == "critical"
    stories = parse((FIXTURES / "stories.json").read_bytes())
    assert [(r.key, r.priority) for r in stories] == [("SHOP-11", "high"), ("SHOP-12", "medium")]
    assert [s.keyword for s in stories[0].acceptance_criteria[0]] == ["Given", "When", "Then"]
    rows = parse((FIXTURES / "stories.csv").read_bytes())
    assert [r.key for r in rows] == ["US-1", "US-2"]
    assert [s.keyword for s in rows[0].acceptance_criteria[0]] == ["Given", "When", "Then"]


def test_html_and_plain_text_whatever_the_name() -> None:
    html = b"<html><body><h1>Cart</h1><ul><li>The cart must keep items for 30 days.</li></ul></body></html>"
    assert sniff(html, **LIMITS) == DocumentKind.html
    assert [r.text for r in parse(html)] == ["The cart must keep items for 30 days."]
    text = b"The report shall be exported as CSV. Users may print it."
    assert [r.priority for r in parse(text)] == ["high", "low"]


def test_disguised_binary_is_refused_by_content() -> None:
    exe = b"MZ\x90\x00\x03" + b"\x00" * 200
    with pytest.raises(UnsupportedDocument):
        sniff(exe, **LIMITS)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    with pytest.raises(UnsupportedDocument, match="image/png"):
        sniff(png, **LIMITS)
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(UnsupportedDocument, match="not a Word document"):
        sniff(plain_zip.getvalue(), **LIMITS)


def test_zip_bomb_docx_is_refused_without_unpacking() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * 60_000_000)
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(UnsafeDocument):
        sniff(bomb.getvalue(), **LIMITS)


def test_encrypted_corrupt_and_empty_documents_give_clear_errors() -> None:
    locked = spec_as_pdf("FR-1: The system shall work.", owner_password="o", user_password="secret")
    with pytest.raises(DocumentError, match="encrypted"):
        convert(locked, DocumentKind.pdf)
    with pytest.raises(DocumentError, match="damaged"):
        convert(b"%PDF-1.7\n garbage that is not a pdf", DocumentKind.pdf)
    with pytest.raises(EmptyDocument):
        sniff(b"   \n\t ", **LIMITS)
    with pytest.raises(EmptyDocument):
        convert(b"<html><body></body></html>", DocumentKind.html)
