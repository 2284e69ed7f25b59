"""Accounts: sign-up without a foreign number, sign-in, a second passkey, recovery codes."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .helpers import (
    add_authenticator,
    continue_after_codes,
    said,
    sign_in,
    sign_in_with_autofill,
    sign_out,
    signup,
)


def passkey_cards(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("section[aria-labelledby=passkeys] .card h3")


def test_signup_without_foreign_number_then_sign_in(device, name):
    context, page, phone = device

    page.goto("/signup")
    # Two questions only: no foreign number, no e-mail, no password.
    asked = page.locator("form[action='/signup']").locator("input:not([type=hidden]), select")
    expect(asked).to_have_count(2)
    expect(page.locator("[name=foreign_number], [type=password], [type=email]")).to_have_count(0)

    codes = signup(page, name)
    expect(page.locator("h1")).to_have_text("Vos codes de secours")
    expect(page.locator("main [role=status]")).to_be_visible()  # the account is made …
    expect(page.locator("form[action='/signout']")).to_have_count(1)  # … and signed in
    assert len(set(codes)) == 8
    assert len(phone.credentials()) == 1

    continue_after_codes(page)
    expect(page.locator("h1")).to_have_text(f"Bonjour, {name}")

    page.goto("/account")
    expect(page.locator("#f-foreign_number")).to_have_value("")
    expect(page.locator("#f-display_name")).to_have_value(name)

    sign_out(page)
    expect(page.get_by_role("status")).to_have_text(said("done", "signed_out"))
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/signin\?next=/dashboard$"))

    sign_in(page)
    expect(page.locator("h1")).to_have_text(f"Bonjour, {name}")

    # The same passkey offered by autofill (conditional mediation) signs in too.
    sign_out(page)
    sign_in_with_autofill(page)
    expect(page.locator("h1")).to_have_text(f"Bonjour, {name}")


def test_second_passkey_on_another_device(device, name):
    context, page, phone = device
    signup(page, name)
    page.goto("/account")
    expect(passkey_cards(page)).to_have_count(1)
    # One passkey on one device only: the page says the account hangs by a thread.
    expect(page.get_by_role("note")).to_be_visible()

    page.locator("section[aria-labelledby=passkeys] a[href='/account/passkeys/new']").click()
    expect(page).to_have_url(re.compile(r"/account/passkeys/new$"))
    # "Another device": this page's authenticator is replaced by a new, empty one.
    phone.remove()
    tablet = add_authenticator(page, phone.cdp)
    page.locator("#f-label").fill("Tablette de ma sœur")
    page.locator("[data-passkey-start]").click()
    expect(page).to_have_url(re.compile(r"/account\?done=passkey_added$"))
    expect(page.get_by_role("status")).to_have_text(said("done", "passkey_added"))
    expect(passkey_cards(page)).to_have_count(2)
    expect(passkey_cards(page).filter(has_text="Tablette de ma sœur")).to_have_count(1)
    expect(page.get_by_role("note")).to_have_count(0)
    assert len(tablet.credentials()) == 1

    sign_out(page)
    sign_in(page)  # only the tablet's authenticator is left
    expect(page.locator("h1")).to_have_text(f"Bonjour, {name}")


def codes_left(page: Page):  # type: ignore[no-untyped-def]
    """The sentence of the account page that counts the unused recovery codes."""
    return page.locator("section[aria-labelledby=codes] p").first


def recover(page: Page, code: str) -> None:
    page.goto("/recover")
    page.locator("#f-code").fill(code)
    page.locator("form[action='/recover'] button[type=submit]").click()


def test_recover_on_a_new_phone(new_device_factory, name):
    _, old_phone_page, _ = new_device_factory()
    codes = signup(old_phone_page, name)

    # The phone is lost: a new phone, a code from the paper.
    _, page, _ = new_device_factory()
    recover(page, codes[0])
    expect(page.locator("h1")).to_have_text("Créez une clé d’accès sur cet appareil")
    page.locator("[data-passkey-start]").click()
    expect(page).to_have_url(re.compile(r"/account\?done=recovered_signed_out$"))
    expect(page.get_by_role("status")).to_have_text(said("done", "recovered_signed_out"))
    expect(passkey_cards(page)).to_have_count(2)
    expect(page.locator("#f-display_name")).to_have_value(name)
    expect(codes_left(page)).to_have_text(re.compile(r"\b7\b"))
    sign_out(page)

    # A third device: the spent code is refused …
    _, page, _ = new_device_factory()
    recover(page, codes[0])
    expect(page).to_have_url(re.compile(r"/recover$"))
    expect(page.get_by_role("alert")).to_contain_text(said("message", "code_invalid"))
    expect(page.locator("#f-code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-passkey-start]")).to_have_count(0)

    # … another one works, typed loosely (lower case, spaces instead of dashes).
    recover(page, codes[1].lower().replace("-", " "))
    page.locator("[data-passkey-start]").click()
    expect(page).to_have_url(re.compile(r"/account\?done=recovered_signed_out$"))
    expect(passkey_cards(page)).to_have_count(3)
    expect(codes_left(page)).to_have_text(re.compile(r"\b6\b"))

    # Recovery signed out every other device (its default): the old phone must sign in
    # again, and its passkey still works.
    old_phone_page.goto("/dashboard")
    expect(old_phone_page).to_have_url(re.compile(r"/signin"))
    sign_in(old_phone_page)
    expect(old_phone_page.locator("h1")).to_have_text(f"Bonjour, {name}")
