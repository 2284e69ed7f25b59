"""The attestation PDF: A4, French then the reader's language, and a QR code
that a real decoder reads back from the rendered page and that verifies."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp

from server.domain import attestations, keys, letters, seal

from .test_complements import submitted_renewal
from .test_files_http import agent_command

pytestmark = pytest.mark.skipif(
    not letters.available(), reason="Noto fonts not installed (make installs them)"
)


def pages_of(pdf: bytes) -> list:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    return [document[i] for i in range(len(document))]


def read_qr(page) -> list[str]:
    image = page.render(scale=150 / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_qr_in_the_pdf_reads_back_and_verifies(app, settings, make_person, lang) -> None:
    p, file_id = submitted_renewal(app, make_person, lock=True)
    att_id = agent_command(app, "file.mark_complete", {"file_id": file_id}).data["attestation_id"]
    att = app.state.db.read_sync(lambda c: attestations.get(c, att_id))
    app.state.db.write_sync(lambda c: c.execute("UPDATE accounts SET language = ?", (lang,)))
    response = p.client.get(f"/files/{file_id}/attestations/{att_id}.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"/Subtype /Image" in response.content
    pages = pages_of(response.content)
    assert len(pages) == (1 if lang == "fr" else 2)  # French, then the reader's language
    width, height = pages[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4, in points
    text = pages[0].get_textpage().get_text_range()
    assert "Attestation de prolongation" in text and att.code in text and "/verify" in text
    for page in pages:
        [payload] = read_qr(page)
        opened = seal.open(payload, keys.keyring(settings))
        assert opened.claims[attestations.C_ID] == att.id
        assert opened.claims[attestations.C_NUMBER] == att.claims[attestations.C_NUMBER]
        assert opened.claims[attestations.C_WORK] == att.work_allowed
        assert opened.valid_until.isoformat() == att.valid_until
    if lang == "ar":
        assert att.code in pages[1].get_textpage().get_text_range()


def test_an_ended_attestation_has_no_qr_code(app, make_person) -> None:
    p, file_id = submitted_renewal(app, make_person, lock=False)
    proof = app.state.db.read_sync(lambda c: attestations.for_file(c, file_id))[0]
    assert p.client.post(f"/files/{file_id}/withdraw", data={"reason": ""}).status_code in (200, 303)
    response = p.client.get(f"/files/{file_id}/attestations/{proof.id}.pdf")
    assert response.status_code == 200
    [page] = pages_of(response.content)
    assert read_qr(page) == [] and "Annulée le" in page.get_textpage().get_text_range()
