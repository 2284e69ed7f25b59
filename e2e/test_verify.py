"""/verify in the browser (ADR 0014): a visitor with no account opens the page
once, goes offline, and checks attestations from a photo of their QR code —
genuine → valid; altered, or signed by a key no prefecture published → not
genuine. The QR images are made here with segno from texts signed with the
server's own key folder (the same keys the server publishes)."""

from __future__ import annotations

import re
import time
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import cbor2
import segno
from playwright.sync_api import BrowserContext, Page, expect

from server.domain import base45, keys, seal

from .helpers import SesameServer


def claims(valid_until: date | None = None) -> dict[int, Any]:
    today = date.today()
    return {
        seal.CODE: "7K3M9Q2XHD",
        seal.KIND: seal.KIND_PROVISIONAL,
        seal.FILE_NUMBER: "2026-000042",
        seal.FAMILY_NAME: "Ben Abdelkader El Idrissi Al-Hassani",
        seal.GIVEN_NAMES: "Mohamed Amine Abdelrahman Youssef",
        seal.BIRTH_DATE: "1994-03-17",
        seal.PROCEDURE: "renewal",
        seal.GROUNDS: ["employee"],
        seal.WORK_ALLOWED: True,
        seal.ISSUED: seal.days(today - timedelta(days=10)),
        seal.VALID_UNTIL: seal.days(valid_until or today + timedelta(days=170)),
    }


def server_ring(server: SesameServer) -> keys.KeyRing:
    """The server's key folder: a key made here is read by the server (it reads
    the folder again when it changes) and published on /verify."""
    folder = server.data_dir / "keys"
    return keys.KeyRing(keys.load_folder(folder), folder=folder, generate=True)


def qr_image(text: str, path: Path) -> Path:
    segno.make(text, error="m", micro=False, boost_error=False).save(path, scale=6, border=4)
    return path


def tampered(text: str) -> str:
    """The same signature over a payload that says something else."""
    raw = base45.decode(text[len(seal.PREFIX) :])
    message = zlib.decompress(raw) if raw[:1] == b"\x78" else raw
    parts = list(cbor2.loads(message).value)
    payload = dict(cbor2.loads(parts[2]))
    payload[seal.VALID_UNTIL] += 365
    parts[2] = cbor2.dumps(payload)
    return seal.PREFIX + base45.encode(cbor2.dumps(cbor2.CBORTag(18, parts)))


KEPT = """async (decoder) => {
  if (!navigator.serviceWorker.controller) return false;
  if (!(await caches.match('/verify'))) return false;
  if (!decoder) return true;
  const url = JSON.parse(document.getElementById('verify-data').textContent).decoder;
  return !!(await caches.match(url));
}"""


def kept_offline(page: Page, decoder: bool = True, timeout: float = 90) -> None:
    """Wait until the service worker controls the page and keeps /verify (and the
    QR decoder, which this Chromium needs: it has no BarcodeDetector on Linux).
    Polled from here: wait_for_function takes an async predicate's promise as truthy."""
    start = time.monotonic()
    while not page.evaluate(KEPT, decoder):
        assert time.monotonic() - start < timeout, "/verify not kept for offline use"
        page.wait_for_timeout(200)


def check_photo(page: Page, image: Path) -> None:
    page.locator("[data-verify-photo]").set_input_files(str(image))


def test_offline_after_first_load_verifies_a_photo_of_the_qr(
    server: SesameServer, new_plain_context, tmp_path: Path
) -> None:
    ring = server_ring(server)
    genuine = seal.sign(claims(), "75", ring)
    context: BrowserContext = new_plain_context(server)
    page = context.new_page()
    page.goto("/verify")
    expect(page.locator("[data-verify-scan]")).to_be_visible()
    kept_offline(page)

    context.set_offline(True)
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-served", "cache")

    check_photo(page, qr_image(genuine, tmp_path / "genuine.png"))
    result = page.locator("[data-verify-output] .verify-result")
    expect(result).to_have_attribute("data-verify-verdict", "valid")
    expect(result.locator('[data-verdict="valid"]')).to_be_visible()
    expect(result.locator('[data-field="family_name"]')).to_have_text(
        seal.open(genuine, ring).claims[seal.FAMILY_NAME]
    )
    expect(result.locator('[data-field="birth_date"]')).to_have_text("17 mars 1994")
    expect(result.locator('[data-work="yes"]')).to_be_visible()
    expect(result.locator('[data-online="offline"]')).to_be_visible()  # revocation not checked: said so

    check_photo(page, qr_image(tampered(genuine), tmp_path / "tampered.png"))
    expect(result).to_have_attribute("data-verify-verdict", "not_genuine")
    expect(result.locator('[data-explain="not_genuine"]')).to_be_visible()
    expect(result.locator("[data-details]")).to_be_hidden()

    stranger = keys.KeyRing(folder=tmp_path / "stranger", generate=True)
    check_photo(page, qr_image(seal.sign(claims(), "75", stranger), tmp_path / "stranger.png"))
    expect(result).to_have_attribute("data-verify-verdict", "not_genuine")
    expect(result.locator('[data-explain="unknown_key"]')).to_be_visible()

    expired = seal.sign(
        {**claims(), seal.ISSUED: seal.days(date.today() - timedelta(days=200))}
        | {seal.VALID_UNTIL: seal.days(date.today() - timedelta(days=2))},
        "75",
        ring,
    )
    check_photo(page, qr_image(expired, tmp_path / "expired.png"))
    expect(result).to_have_attribute("data-verify-verdict", "expired")

    page.locator("[data-verify-photo]").set_input_files(
        files=[{"name": "blank.png", "mimeType": "image/png", "buffer": blank_png()}]
    )
    expect(page.locator("[data-verify-status]")).to_contain_text("Aucun QR code")


def blank_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(out, format="PNG")
    return out.getvalue()


def test_rotated_key_still_verifies_in_the_browser(
    server: SesameServer, new_plain_context, tmp_path: Path
) -> None:
    ring = server_ring(server)
    old = seal.sign(claims(), "13", ring)
    ring.rotate("13")
    new = seal.sign(claims(), "13", ring)
    assert seal.open(old, ring).kid != seal.open(new, ring).kid
    page = new_plain_context(server).new_page()
    page.goto("/verify")
    result = page.locator("[data-verify-output] .verify-result")
    for text, name in ((old, "old"), (new, "new")):
        check_photo(page, qr_image(text, tmp_path / f"{name}.png"))
        expect(result).to_have_attribute("data-verify-verdict", "valid")
        expect(result.locator('[data-field="prefecture"]')).to_contain_text("(13)")
        result.evaluate("el => el.remove()")


def test_keys_published_as_jwks(server: SesameServer, new_plain_context) -> None:
    ring = server_ring(server)
    kid = ring.signer("75").kid_b64
    page = new_plain_context(server).new_page()
    response = page.goto("/.well-known/jwks.json")
    assert response is not None and response.ok
    published = {k["kid"]: k for k in response.json()["keys"]}
    assert published[kid]["crv"] == "P-256" and published[kid]["prefecture"] == "75"


def _attestation_qr_from_pdf(page: Page, file_id: str) -> tuple[str, str]:
    """The applicant's own proof of submission: its code, and the QR text read
    back (zxing-cpp) from the PDF the person downloads."""
    import io

    import pypdfium2
    import zxingcpp

    html = page.request.get(f"/files/{file_id}/attestation").text()
    found = re.search(r"/attestations/([0-9A-Z]{10})\.pdf", html)
    assert found, "no attestation PDF link"
    pdf = page.request.get(f"/files/{file_id}/attestations/{found[1]}.pdf").body()
    image = pypdfium2.PdfDocument(io.BytesIO(pdf))[0].render(scale=150 / 72).to_pil()
    [text] = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    return found[1], text


def test_a_real_attestation_is_valid_then_revoked_online(
    server: SesameServer, new_device_factory, new_plain_context, name, tmp_path: Path
) -> None:
    from .helpers import continue_after_codes, signup
    from .test_backoffice_flow import submitted_renewal

    _, applicant, _ = new_device_factory(server)
    signup(applicant, name)
    continue_after_codes(applicant)
    file_id, _ = submitted_renewal(applicant, server)
    code, text = _attestation_qr_from_pdf(applicant, file_id)
    image = qr_image(text, tmp_path / "real.png")

    verifier = new_plain_context(server).new_page()
    verifier.goto("/verify")
    result = verifier.locator("[data-verify-output] .verify-result")
    check_photo(verifier, image)
    expect(result).to_have_attribute("data-verify-verdict", "valid")
    expect(result.locator('[data-online="checked"]')).to_be_visible()  # asked the server: not revoked
    expect(result.locator('[data-field="code"]')).to_have_text(code)
    expect(result.locator('[data-kind="1"]')).to_be_visible()  # a proof of submission
    expect(result.locator('[data-work="no"]')).to_be_visible()

    withdrawn = applicant.request.post(
        f"/files/{file_id}/withdraw", form={"reason": ""}, headers={"Origin": server.base_url}
    )
    assert withdrawn.ok, withdrawn.status
    check_photo(verifier, image)  # the same photo again, online: the signature holds, the verdict does not
    expect(result).to_have_attribute("data-verify-verdict", "revoked")
    expect(result.locator('[data-verdict="revoked"]')).to_be_visible()
    expect(result.locator('[data-explain="revoked"]')).to_be_visible()


def test_verify_page_has_no_axe_violations_at_320_px(
    server: SesameServer, new_plain_context, tmp_path: Path
) -> None:
    from .helpers import assert_no_horizontal_scroll
    from .test_accessibility import Scanner

    text = seal.sign(claims(), "75", server_ring(server))
    image = qr_image(text, tmp_path / "axe.png")
    for lang, locale in (("fr", "fr-FR"), ("ar", "ar")):
        scan = Scanner(lang)
        context = new_plain_context(server, locale=locale, viewport={"width": 320, "height": 720})
        page = context.new_page()
        page.goto("/verify")
        if page.locator("html").get_attribute("lang") != lang:
            with page.expect_navigation():
                page.locator("#language-select").select_option(lang)
        scan(page, f"/verify ({lang})")
        check_photo(page, image)
        expect(page.locator("[data-verify-output] .verify-result")).to_have_attribute(
            "data-verify-verdict", "valid"
        )
        scan(page, f"/verify with a verdict ({lang})")
        assert_no_horizontal_scroll(page)
        page.locator("#f-code").fill("nope")
        with page.expect_navigation():
            page.locator("form[action='/verify/code'] button[type=submit]").click()
        scan(page, f"/verify/code with errors ({lang})")
        assert_no_horizontal_scroll(page)
        scan.check()
