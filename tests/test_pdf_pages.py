"""PDF page counts (ADR 0026): read from the bytes when an upload completes, shown
on the documents page ("1 fichier, 3 pages"); a malformed PDF is "pages unknown",
never an error."""

from __future__ import annotations

import hashlib
import io
import re

from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from server.domain import catalogue, pdfpages
from server.domain.pieces import Attachment
from server.translation import language
from server.web.checklist_rows import files_and_pages

from . import samples
from .test_tus import create, patch


def pdf_pages(pages: int) -> bytes:
    document = FPDF()
    for n in range(pages):
        document.add_page()
        document.set_font("helvetica", size=20)
        document.cell(text=f"Page {n + 1}")
    return bytes(document.output())


def count(data: bytes) -> int | None:
    return pdfpages.count(io.BytesIO(data))


def test_pages_of_real_pdfs() -> None:
    assert [count(pdf_pages(n)) for n in (1, 3, 12)] == [1, 3, 12]


def test_pages_of_a_pdf_with_an_incremental_update() -> None:
    # A page added later by another tool: the newest page tree counts.
    writer = PdfWriter()
    for _ in range(4):
        writer.add_blank_page(width=595, height=842)
    first = io.BytesIO()
    writer.write(first)
    writer = PdfWriter(io.BytesIO(first.getvalue()), incremental=True)
    writer.add_blank_page(width=595, height=842)
    later = io.BytesIO()
    writer.write(later)
    assert count(first.getvalue()) == 4
    assert count(later.getvalue()) == 5


def test_a_pdf_without_cross_reference_is_read_plainly() -> None:
    # samples.pdf has no xref table nor startxref (some tools write such files).
    assert count(samples.pdf(3000)) == 1
    three = samples.pdf().replace(b"/Count 1", b"/Count 3")
    assert count(three) == 3


def test_an_outline_count_is_not_a_page_count() -> None:
    data = samples.pdf().replace(b"%%EOF", b"9 0 obj<</Type/Outlines/Count 40>>endobj\n%%EOF")
    assert count(data) == 1


def test_malformed_pdfs_give_unknown() -> None:
    for broken in (
        b"%PDF-1.7\n%%EOF",
        b"%PDF-1.4\n" + b"\x00" * 5000 + b"%%EOF",
        samples.pdf().replace(b"/Count 1", b"/Count 999999999"),  # a lie
        samples.pdf().replace(b"/Count 1", b"/Count 0"),
        b"%PDF-1.4\n" + b"1 0 obj /Count 3 " * 5000 + b"%%EOF",  # /Count outside any /Pages
    ):
        assert count(broken) is None, broken[:40]


def test_a_crafted_file_full_of_counts_reads_only_a_few() -> None:
    data = b"%PDF-1.4\n" + b"obj<</Type/Pages/Count 7>>endobj " * 50_000 + b"%%EOF"
    assert pdfpages.plain(data) == 7


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(data: bytes) -> None:
    found = count(b"%PDF-1.4\n" + data + b"\n%%EOF")
    assert found is None or 0 < found <= pdfpages.MOST_PAGES


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_real_pdfs_never_raise(data: st.DataObject) -> None:
    original = bytearray(pdf_pages(2))
    for _ in range(data.draw(st.integers(1, 20))):
        at = data.draw(st.integers(0, len(original) - 1))
        original[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(10, len(original)))
    found = count(bytes(original[:cut]))
    assert found is None or 0 < found <= pdfpages.MOST_PAGES


def attachment(media_type: str, pages: int | None) -> Attachment:
    return Attachment("a", "f", "p", "b", "x", media_type, 1, "", None, None, None, False, pages)


def test_the_status_line_words() -> None:
    with language("fr"):
        assert files_and_pages([attachment("application/pdf", 3)]) == "1 fichier, 3 pages"
        assert files_and_pages([attachment("image/jpeg", None)] * 2) == "2 fichiers"
        two = [attachment("application/pdf", 3), attachment("image/jpeg", None)]
        assert files_and_pages(two) == "2 fichiers, 4 pages"
        # A PDF that does not say: nothing about pages rather than a wrong number.
        assert files_and_pages([attachment("application/pdf", None), attachment("application/pdf", 2)]) == (
            "2 fichiers"
        )
    with language("en"):
        assert files_and_pages([attachment("application/pdf", 1)]) == "1 file, 1 page"


def piece() -> str:
    return next(
        i.piece.id
        for i in catalogue.load().checklist("change_of_situation", [])
        if "application/pdf" in catalogue.load().media_types(i.piece.id)
    )


def pages_kept(app, data: bytes) -> int | None:
    sha = hashlib.sha256(data).hexdigest()
    return app.state.db.read_sync(
        lambda c: c.execute("SELECT pages FROM blobs WHERE sha256 = ?", (sha,)).fetchone()[0]
    )


def test_a_form_upload_counts_pages_and_the_page_says_so(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    file_id = alice.start_file("change_of_situation")
    data = pdf_pages(3)
    sent = alice.upload(file_id, piece(), ("scan.pdf", data, "application/pdf"))
    assert sent.status_code == 303 and f"open={piece()}" in sent.headers["location"]
    assert pages_kept(app, data) == 3
    page = alice.client.get(sent.headers["location"]).text
    assert "1 fichier, 3 pages" in page
    assert re.search(rf'<li class="piece piece--done" id="piece-{piece()}"[^>]*>\s*<details open>', page)


def test_a_malformed_pdf_is_kept_with_pages_unknown_never_a_500(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    file_id = alice.start_file("change_of_situation")
    data = b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"
    sent = alice.upload(file_id, piece(), ("odd.pdf", data, "application/pdf"))
    assert sent.status_code == 303
    assert pages_kept(app, data) is None
    page = alice.client.get(f"/files/{file_id}/checklist")
    assert page.status_code == 200 and "1 fichier<" in page.text.replace("1 fichier</span>", "1 fichier<")


def test_a_resumable_upload_counts_pages_when_it_completes(app, person) -> None:
    person.signup()
    data = pdf_pages(5)
    url = create(person.client, data).headers["location"]
    assert patch(person.client, url, 0, data).status_code == 204
    assert pages_kept(app, data) == 5
