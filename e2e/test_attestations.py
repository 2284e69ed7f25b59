"""Issue 9 from the person's side (ADR 0015), with two browsers:

the person sends a renewal → the proof of submission is on their file at once →
the agent declares the file complete → the provisional attestation is there, with
its QR code → the person downloads the PDF (its QR code reads back: a signed
`SES1:` payload), goes OFFLINE, and still shows the card from the phone, in full
screen for a counter; with the phone's clock past the validity date, the card
says so. Then axe-core on the new pages, in French and in Arabic, at 320 px.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from playwright.sync_api import expect

from .helpers import assert_no_horizontal_scroll
from .test_accessibility import Scanner, set_language
from .test_backoffice_flow import pdf_text, staff, submitted_renewal
from .test_offline import person, ready_for_offline, rows, served


def qr_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(io.BytesIO(pdf))
    try:
        image = document[0].render(scale=150 / 72).to_pil()
        return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    finally:
        document.close()


def test_the_attestation_is_issued_downloaded_and_shown_offline(new_device_factory, server, name):
    context, applicant = person(new_device_factory, name)
    file_id, _ = submitted_renewal(applicant, server)

    # The proof of submission, at once, with no agent action.
    applicant.goto(f"/files/{file_id}")
    section = applicant.locator("section[aria-labelledby=attestation-title]")
    expect(section).to_contain_text("Preuve de dépôt, valable jusqu’au")

    # The agent declares the file complete: the provisional attestation follows.
    agent = staff(new_device_factory, server, "agent", "Agente Dupont")
    agent.goto(f"/prefecture/files/{file_id}")
    agent.get_by_role("button", name="Déclarer le dossier complet").click()
    agent.wait_for_url(f"**/prefecture/files/{file_id}?done=marked_complete")
    [provisional] = rows(
        server, "SELECT id, valid_until FROM attestations WHERE file_id = ? AND kind = 'provisional'", file_id
    )
    code = f"{provisional['id'][:5]}-{provisional['id'][5:]}"

    # The person's file page says so; the card shows the QR code and the short code.
    applicant.goto(f"/files/{file_id}")
    expect(section).to_contain_text("Attestation de prolongation d’instruction, valable jusqu’au")
    section.get_by_role("link", name="Montrer mon attestation").click()
    applicant.wait_for_url(f"**/files/{file_id}/attestation")
    card = applicant.locator("article.attestation")
    expect(card).to_contain_text(code)
    expect(card.locator("svg")).to_be_visible()
    expect(card).to_contain_text("/verify")

    # The PDF: its QR code reads back as a signed payload.
    with applicant.expect_download() as download:
        applicant.get_by_role("link", name="Télécharger le PDF").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF") and code in pdf_text(data)
    [payload] = qr_texts(data)
    assert payload.startswith("SES1:")

    # Kept on the phone: the dashboard asks the worker to fetch the attestation pages.
    ready_for_offline(applicant, also=("/attestation", f"/files/{file_id}/attestation"))
    context.set_offline(True)
    applicant.goto(f"/files/{file_id}/attestation")
    served(applicant, "cache")
    expect(card).to_contain_text(code)
    expect(card.locator("svg")).to_be_visible()
    expect(applicant.locator("[data-attestation-warning]")).to_be_hidden()
    applicant.goto("/attestation")
    served(applicant, "cache")
    expect(applicant.locator("main")).to_contain_text(code)

    # Full screen at a counter: the card fills the screen (with or without the Fullscreen API).
    applicant.goto(f"/files/{file_id}/attestation")
    applicant.get_by_role("link", name="Montrer en plein écran").click()
    viewport = applicant.viewport_size
    assert viewport
    applicant.wait_for_function(
        "(w) => { const r = document.querySelector('article.attestation').getBoundingClientRect();"
        " return Math.round(r.left) === 0 && Math.round(r.width) >= w - 1; }",
        arg=viewport["width"],
    )
    expect(card.locator(".attestation-close")).to_be_visible()
    card.locator(".attestation-close").click()
    expect(card.locator(".attestation-close")).to_be_hidden()

    # Eight days later, still offline: the copy says it may be out of date.
    applicant.clock.set_system_time(datetime.now() + timedelta(days=8))
    applicant.reload()
    expect(applicant.locator("[data-attestation-warning]")).to_contain_text("il y a 8 jours")

    # The phone's clock past the validity date: the copy says so.
    after = datetime.fromisoformat(provisional["valid_until"]) + timedelta(days=2)
    applicant.clock.set_system_time(after)
    applicant.reload()
    warning = applicant.locator("[data-attestation-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(re.compile("date de validité"))
    context.set_offline(False)
    applicant.clock.set_system_time(datetime.now())

    # -- the new pages, in French and Arabic, on a 320 px screen (the agent's page
    # also holds the attestation section and the "file complete" button) ---------------
    second, _ = submitted_renewal(applicant, server)
    [proof] = rows(server, "SELECT id FROM attestations WHERE file_id = ?", second)
    for lang in ("fr", "ar"):
        scan = Scanner(lang)
        for page in (applicant, agent):
            page.set_viewport_size({"width": 320, "height": 800})
            page.goto("/dashboard")
            set_language(page, lang)
        for page, url in (
            (applicant, "/dashboard"),
            (applicant, f"/files/{file_id}"),
            (applicant, "/attestation"),
            (applicant, f"/files/{file_id}/attestation"),
            (applicant, f"/files/{second}/attestations/{proof['id']}"),
            (agent, f"/prefecture/files/{file_id}"),
            (agent, f"/prefecture/files/{second}"),
            (agent, f"/prefecture/files/{file_id}/attestations/{provisional['id']}"),
        ):
            page.goto(url)
            scan(page, url)
            assert_no_horizontal_scroll(page)
        applicant.goto(f"/files/{file_id}/attestation#carte")
        scan(applicant, "card in full screen")
        scan.check()
