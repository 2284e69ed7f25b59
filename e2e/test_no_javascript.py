"""With JavaScript off: passkey pages say why they cannot work; everything else is plain
HTML forms that work."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import said, signup, tr


def test_passkey_pages_explain_that_they_need_javascript(new_plain_context, name):
    page = new_plain_context(java_script_enabled=False).new_page()
    page.goto("/signup")
    page.locator("#f-display_name").fill(name)
    page.locator("form[action='/signup'] button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Créez votre clé d’accès")
    expect(page.locator("noscript .alert")).to_be_visible()
    expect(page.locator("noscript .alert")).to_contain_text("JavaScript")
    expect(page.locator("[data-passkey-start]")).to_be_hidden()
    # What was typed is kept in the page, ready for when JavaScript is back.
    expect(page.locator("form[data-passkey-form] input[name=display_name]")).to_have_value(name)

    page.goto("/signin")
    expect(page.locator("noscript .alert")).to_be_visible()
    expect(page.locator("[data-passkey-start]")).to_be_hidden()


def test_profile_and_language_forms_work_without_javascript(device, new_plain_context, name):
    context, page, _ = device
    signup(page, name)
    # The same browser profile (its session cookie), with JavaScript turned off.
    nojs = new_plain_context(java_script_enabled=False, storage_state=context.storage_state()).new_page()

    nojs.goto("/account")
    expect(nojs.locator("h1")).to_have_text("Mon compte")
    nojs.locator("#f-foreign_number").fill("1234567890")
    nojs.locator("form[action='/account/profile'] button[type=submit]").click()
    expect(nojs).to_have_url(re.compile(r"/account\?done=profile_saved$"))
    expect(nojs.get_by_role("status")).to_have_text(said("done", "profile_saved"))
    expect(nojs.locator("#f-foreign_number")).to_have_value("1234567890")

    # A wrong value comes back with its error, and the value typed.
    nojs.locator("#f-foreign_number").fill("12 34")
    nojs.locator("form[action='/account/profile'] button[type=submit]").click()
    expect(nojs.get_by_role("alert")).to_contain_text(said("message", "foreign_number_format"))
    expect(nojs.locator("#f-foreign_number")).to_have_value("12 34")
    expect(nojs.locator("#f-foreign_number")).to_have_attribute("aria-invalid", "true")

    # The language switcher, with its button.
    nojs.goto("/account")
    button = nojs.locator("footer [data-autosubmit-button]")
    expect(button).to_be_visible()
    nojs.locator("#language-select").select_option("en")
    expect(nojs.locator("html")).to_have_attribute("lang", "fr")  # nothing happens by itself
    button.click()
    expect(nojs).to_have_url(re.compile(r"/account$"))
    expect(nojs.locator("html")).to_have_attribute("lang", "en")
    expect(nojs.locator("h1")).to_have_text(tr("en", "Mon compte"))

    # Both changes are the account's: the JavaScript side sees them too.
    page.goto("/account")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#f-foreign_number")).to_have_value("1234567890")
