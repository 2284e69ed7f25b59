"""French, English and Arabic: the footer switcher, the sign-up language, right-to-left
layout, and no horizontal scrolling on a 320 px wide phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    CODE_PATTERN,
    assert_no_horizontal_scroll,
    continue_after_codes,
    error_title,
    screenshot,
    sign_in,
    sign_out,
    tr,
)

PHONE = {"width": 320, "height": 640}


def check_page(page: Page, lang: str) -> None:
    """The page is in `lang`, laid out in its direction, and fits 320 px."""
    direction = "rtl" if lang == "ar" else "ltr"
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", direction)
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    assert_no_horizontal_scroll(page, PHONE["width"])


def switch_language(page: Page, lang: str) -> None:
    """The footer's switcher: with JavaScript, choosing submits the form."""
    path = re.sub(r"^https?://[^/]+", "", page.url).split("?")[0]
    with page.expect_navigation():
        page.locator("#language-select").select_option(lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert re.sub(r"^https?://[^/]+", "", page.url).split("?")[0] == path


def test_footer_switcher_for_a_visitor(new_plain_context):
    page = new_plain_context(viewport=PHONE).new_page()
    page.goto("/signin")
    check_page(page, "fr")
    expect(page.locator("h1")).to_have_text("Se connecter")
    # Without JS the switcher has a button; with JS, choosing is enough.
    expect(page.locator("footer [data-autosubmit-button]")).to_have_class(re.compile("visually-hidden"))

    switch_language(page, "en")
    check_page(page, "en")
    expect(page.locator("h1")).to_have_text(tr("en", "Se connecter"))

    switch_language(page, "ar")
    check_page(page, "ar")
    expect(page.locator("h1")).to_have_text(tr("ar", "Se connecter"))
    expect(page.locator("footer label[for=language-select]")).to_have_text(tr("ar", "Langue"))

    # The choice is remembered (a cookie) on every page.
    for path, heading in [
        ("/", "Demander ou renouveler un titre de séjour"),
        ("/signup", "Créer un compte"),
        ("/recover", "Utiliser un code de secours"),
        ("/no-such-page", error_title(404)),
    ]:
        page.goto(path)
        check_page(page, "ar")
        expect(page.locator("h1")).to_have_text(tr("ar", heading))

    switch_language(page, "fr")
    check_page(page, "fr")
    expect(page.locator("h1")).to_have_text(error_title(404))


@pytest.mark.parametrize("locale, lang", [("ar-MA", "ar"), ("en-GB", "en"), ("de-DE", "fr")])
def test_browser_language_is_the_default(new_plain_context, locale, lang):
    page = new_plain_context(locale=locale, viewport=PHONE).new_page()
    page.goto("/")
    check_page(page, lang)
    expect(page.get_by_role("link", name=tr(lang, "Créer un compte")).first).to_be_visible()


def test_signup_in_arabic_on_a_small_phone(new_device_factory, name):
    _, page, _ = new_device_factory(viewport=PHONE)
    name = f"أمينة {name}"
    page.goto("/signup")
    check_page(page, "fr")
    page.locator("#f-display_name").fill(name)
    page.locator("#f-language").select_option("ar")
    page.locator("form[action='/signup'] button[type=submit]").click()

    # From the passkey step on, everything is in the language chosen.
    expect(page.locator("h1")).to_have_text(tr("ar", "Créez votre clé d’accès"))
    check_page(page, "ar")
    page.locator("[data-passkey-start]").click()

    expect(page.locator("h1")).to_have_text(tr("ar", "Vos codes de secours"))
    check_page(page, "ar")
    codes = page.locator("ol.codes code").all_inner_texts()
    assert len(codes) == 8 and all(CODE_PATTERN.match(c.strip()) for c in codes)
    # Codes read left to right even in Arabic ("5876-PZB2" must not show as "PZB2-5876").
    assert page.evaluate("getComputedStyle(document.querySelector('ol.codes code')).direction") == "ltr"
    continue_after_codes(page)
    expect(page.locator("h1")).to_have_text(tr("ar", "Bonjour, %(name)s", name=name))
    check_page(page, "ar")
    screenshot(page, "dashboard-ar-320.png")

    for path, heading in [
        ("/account", "Mon compte"),
        ("/account/passkeys/new", "Ajouter une clé d’accès"),
        ("/account/recovery-codes", "Codes de secours"),
    ]:
        page.goto(path)
        expect(page.locator("h1")).to_have_text(tr("ar", heading))
        check_page(page, "ar")

    # Signed in, the switcher changes the account's language: it follows the person.
    page.goto("/dashboard")
    switch_language(page, "en")
    check_page(page, "en")
    expect(page.locator("h1")).to_have_text(tr("en", "Bonjour, %(name)s", name=name))
    sign_out(page)
    page.context.clear_cookies()  # the language cookie goes: the account remembers
    sign_in(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(tr("en", "Bonjour, %(name)s", name=name))
    check_page(page, "en")
