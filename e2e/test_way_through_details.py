"""The applicant's way through (issue 10), the smaller things, on their own server
(the signup rate limit counts per server): recovery codes (eight codes of 13
characters, saved as an image, the screen lock said before the ceremony), the
blurry photo asked about inside the page in its language, the privacy and legal
notices in fr/en/ar, the language switch at the top, the signed-in landing."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from .helpers import tr
from .test_way_through import PHONE, axe, person

# -- 3. passkeys explained, recovery codes ---------------------------------------------------------


def test_recovery_codes_are_eight_short_codes_and_save_as_an_image(new_device_factory, name, tmp_path):
    _, page, _ = new_device_factory(viewport=PHONE)
    page.goto("/signup")
    page.locator("#f-display_name").fill(name)
    page.locator("form[action='/signup'] button[type=submit]").click()
    expect(page.locator("#passkey-screen-lock")).to_be_visible()  # said before the ceremony
    page.locator("[data-passkey-start]").click()
    expect(page.locator("ol.codes code")).to_have_count(8)
    codes = [c.strip() for c in page.locator("ol.codes code").all_inner_texts()]
    assert len(set(codes)) == 8 and all(
        re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", c) for c in codes
    )
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Enregistrer comme image").click()
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and saved.stat().st_size > 2000
    # Help from an association is offered only now that it exists (assisted recovery, issue 12).
    page.goto("/recover")
    expect(page.locator("main a[href='/recover/assisted']")).to_be_visible()


# -- 4. the documents page: e2e/test_documents_page.py (the blurry photo asked about inside the page)


def flat_png(width: int = 400, height: int = 300, grey: int = 128) -> bytes:
    """A photo with no detail at all: what a shaken camera gives (sharpness 0)."""
    raw = b"".join(b"\x00" + bytes([grey, grey, grey]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# -- 5. small things: notices in three languages, the language at the top, the landing -----------


@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_privacy_and_legal_notices_from_every_footer(lang, new_plain_context):
    page = new_plain_context(
        locale={"fr": "fr-FR", "en": "en-GB", "ar": "ar"}[lang], viewport=PHONE
    ).new_page()
    failures: list[str] = []
    page.goto("/")
    for path, title in (("/privacy", "Vos données personnelles"), ("/legal", "Mentions légales")):
        page.locator(f"footer a[href='{path}']").click()
        page.wait_for_url(f"**{path}")
        expect(page.locator("h1")).to_have_text(tr(lang, title) if lang != "fr" else title)
        axe(page, path, failures)
    # The language switch is at the top of the page too.
    other = "en" if lang != "en" else "fr"
    page.locator(f".header-languages button[value={other}]").click()
    expect(page.locator("html")).to_have_attribute("lang", other)
    assert not failures, "\n".join(failures)


def test_a_signed_in_person_lands_on_their_files(new_device_factory, name):
    _, page = person(new_device_factory, name)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
