"""Being told (ADR 0023): the account page's choices, saved through the
phone's outbox (JavaScript on) and refused with the reason beside the field."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import signup


def test_the_person_chooses_how_to_be_told(device, name):
    context, page, _ = device
    signup(page, name)
    page.goto("/account")
    form = page.locator("form[action='/account/notifications']")
    # One end of the quiet hours only: refused, with why.
    page.locator("#f-quiet_end").fill("")
    form.locator("button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("Indiquez les deux heures")
    # Then a real choice: SMS only, no text at all, quiet from 22:00 to 07:00.
    page.goto("/account")
    page.locator("#f-phone").fill("06 12 34 56 78")
    page.locator("#f-by_email").uncheck()
    page.locator("#f-discreet").check()
    page.locator("#f-quiet_start").fill("22:00")
    page.locator("#f-quiet_end").fill("07:00")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/account\?done=notify_saved"))
    page.reload()
    expect(page.locator("#f-phone")).to_have_value("06 12 34 56 78")
    expect(page.locator("#f-by_email")).not_to_be_checked()
    expect(page.locator("#f-by_sms")).to_be_checked()
    expect(page.locator("#f-discreet")).to_be_checked()
    expect(page.locator("#f-quiet_start")).to_have_value("22:00")
    expect(page.locator("#f-quiet_end")).to_have_value("07:00")
