"""Being told (ADR 0023): the account page's choices, saved through the
phone's outbox (JavaScript on) and refused with the reason beside the field."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.notify_servers import SmsProviderServer

from .helpers import assert_no_horizontal_scroll, signup


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


def test_a_phone_number_gets_nothing_until_its_code_is_typed_back(fresh_server, new_device_factory, name):
    """ADR 0029, as a person does it: the number saved, "to confirm" beside it, a code sent
    by SMS (a local provider), a wrong code refused on the form, the right one confirms."""
    with SmsProviderServer() as provider:
        server = fresh_server
        assert server.stop() == 0
        server.extra_env = {
            "SESAME_SMS_URL": provider.url,
            "SESAME_SMS_TOKEN": provider.token,
            "SESAME_SMS_SENDER": provider.sender,
        }
        server.start()
        _, page, _ = new_device_factory(server, viewport={"width": 320, "height": 640})
        signup(page, name)
        page.goto("/account")
        page.locator("#f-phone").fill("06 12 34 56 78")
        page.locator("form[action='/account/notifications'] button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/account\?done=notify_saved"))
        state = page.locator("[data-contact=sms]")
        expect(state).to_have_attribute("data-confirmed", "no")
        expect(state).to_contain_text("À confirmer")
        assert page.locator("[data-contact=email]").count() == 0  # no e-mail given, no e-mail server

        state.get_by_role("link").click()
        expect(page.locator("h1")).to_have_text("Confirmer votre numéro")
        expect(page.locator(".contact-address")).to_have_text("06 12 34 56 78")
        no_violations(page)
        page.get_by_role("button", name="Envoyer le code").click()
        expect(page.locator("[data-done]")).to_contain_text("Le code est envoyé")
        [request] = provider.requests
        assert request["to"] == "+33612345678" and provider.problems == []
        code = re.search(r"\b(\d{6})\b", "".join(request["parts"])).group(1)
        assert name not in "".join(request["parts"])

        page.locator("#f-code").fill("999999" if code != "999999" else "888888")
        page.get_by_role("button", name="Confirmer", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("Ce n’est pas le bon code")
        expect(page.locator("#f-code")).to_have_attribute("aria-invalid", "true")
        no_violations(page)
        assert_no_horizontal_scroll(page)

        page.locator("#f-code").fill(code)
        page.get_by_role("button", name="Confirmer", exact=True).click()
        expect(page).to_have_url(re.compile(r"/account\?done=sms_confirmed"))
        expect(page.locator("[data-done]")).to_contain_text("Votre numéro est confirmé")
        expect(state).to_have_attribute("data-confirmed", "yes")

        # In Arabic, right to left; the number itself stays left to right.
        page.goto("/account/contact/sms")
        with page.expect_navigation():
            page.locator("#language-select").select_option("ar")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator(".contact-address bdi")).to_have_attribute("dir", "ltr")
        no_violations(page)
        assert_no_horizontal_scroll(page)


def no_violations(page) -> None:
    results = Axe().run(page)
    assert not results.violations_count, results.generate_report()
