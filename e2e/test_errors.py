"""When something goes wrong: a cancelled passkey prompt, the same device twice, error
pages, a request from another site."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from server.web.errors import CSRF_EXPLANATION

from .helpers import continue_after_codes, error_title, js_explanation, sign_out, signup


def test_cancelled_passkey_prompt_loses_nothing(device, name):
    context, page, phone = device
    page.goto("/signup")
    page.locator("#f-display_name").fill(name)
    page.locator("#f-language").select_option("en")
    page.locator("form[action='/signup'] button[type=submit]").click()
    start = page.locator("[data-passkey-start]")
    expect(start).to_be_visible()

    # The person dismisses the prompt (here: the authenticator refuses to verify them,
    # which the browser reports as NotAllowedError, like a cancel).
    phone.set_user_verified(False)
    start.click()
    status = page.locator("#passkey-status")
    expect(status).to_be_visible()
    expect(status).to_have_class(re.compile(r"\balert--error\b"))
    expect(status).to_have_text(js_explanation("NotAllowedError", "en", "create"))  # in the language chosen
    assert phone.credentials() == []

    # Nothing is lost: the page still holds the name and language, and the button is there.
    form = page.locator("form[data-passkey-form]")
    expect(form.locator("input[name=display_name]")).to_have_value(name)
    expect(form.locator("input[name=language]")).to_have_value("en")
    expect(start).to_be_enabled()

    phone.set_user_verified(True)
    start.click()
    expect(page.locator("ol.codes code")).to_have_count(8)
    continue_after_codes(page)
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_cancelled_sign_in_can_be_tried_again(device, name):
    context, page, phone = device
    signup(page, name)
    sign_out(page)
    phone.set_user_verified(False)
    page.locator("[data-passkey-start]").click()
    expect(page.locator("#passkey-status")).to_have_text(js_explanation("NotAllowedError"))
    expect(page).to_have_url(re.compile(r"/signin"))

    phone.set_user_verified(True)
    page.locator("[data-passkey-start]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("h1")).to_have_text(f"Bonjour, {name}")


def test_a_second_passkey_on_the_same_device_is_explained(device, name):
    context, page, phone = device
    signup(page, name)
    page.goto("/account/passkeys/new")
    page.locator("[data-passkey-start]").click()
    expect(page.locator("#passkey-status")).to_have_text(js_explanation("InvalidStateError"))
    assert len(phone.credentials()) == 1
    page.goto("/account")
    expect(page.locator("section[aria-labelledby=passkeys] .card")).to_have_count(1)


@pytest.mark.parametrize(
    "path, status, heading",
    [
        ("/no-such-page", 404, error_title(404)),
        ("/enrol/not-a-token", 410, error_title(410)),
    ],
    ids=["404", "410"],
)
def test_error_pages(new_plain_context, path, status, heading):
    page = new_plain_context().new_page()
    response = page.goto(path)
    assert response is not None and response.status == status
    expect(page.locator("h1")).to_have_text(heading)
    page.locator("main a[href='/']").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_form_posted_from_another_site_is_refused(new_plain_context):
    context = new_plain_context()
    page = context.new_page()
    page.goto("/")
    response = context.request.post(
        "/language",
        form={"lang": "ar", "next": "/"},
        headers={"origin": "http://evil.example", "accept": "text/html"},
        max_redirects=0,
    )
    assert response.status == 403
    assert CSRF_EXPLANATION in response.text()
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
