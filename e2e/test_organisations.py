"""Issue 12, online: an organisation asks to register, an administrator approves
it, its administrator invites a worker (a second browser, its own passkey), a
person gives the organisation a mandate from their phone, the worker acts for
them under a banner, the person sees it in their timeline, withdraws the
mandate, and the worker's very next request is refused."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import continue_after_codes, enrol, error_title, signup, tr
from .organisations import (
    approve,
    enrol_worker,
    give_mandate,
    invite_worker,
    organisation_code,
    request_organisation,
)


def test_organisation_worker_mandate_acting_and_revocation(server, new_device_factory, new_plain_context):
    assert server.bootstrap_link
    name = "Abri Solidaire"

    # 1. Anyone asks to register the organisation.
    visitor = new_plain_context().new_page()
    request_organisation(visitor, name)

    # 2. The national administrator approves it: its administrator's link, once.
    _, admin, _ = new_device_factory()
    enrol(admin, server.bootstrap_link, "Admin National")
    continue_after_codes(admin)
    link = approve(admin, name)
    expect(admin.locator("li.card", has_text=name)).to_contain_text(tr("fr", "acceptée"))

    # 3. The organisation's administrator enrols with a passkey and invites a worker.
    _, claire, _ = new_device_factory()
    expect_text = tr("fr", "Invitation : administrateur de l’organisation %(name)s.", name=name)
    claire.goto(link)
    expect(claire.locator("main p").first).to_contain_text(expect_text)
    enrol_worker(claire, link, "Claire Martin")
    worker_link = invite_worker(claire, "Karim Benali")

    # 4. The worker, on a second browser with its own virtual passkey.
    _, karim, _ = new_device_factory()
    enrol_worker(karim, worker_link, "Karim Benali")
    code = organisation_code(karim)
    assert re.fullmatch(r"[0-9A-Z]{6}", code), code
    expect(karim.locator("[data-people]")).to_have_count(0)

    # 5. A person gives the organisation a mandate from their phone, by its code.
    _, amina, _ = new_device_factory()
    signup(amina, "Amina Diallo")
    continue_after_codes(amina)
    give_mandate(amina, code.lower())
    expect(amina.locator("[data-mandates]")).to_contain_text(name)

    # 6. The worker sees her and acts for her: a banner says for whom, under what.
    karim.goto("/worker")
    card = karim.locator("[data-people] li.card", has_text="Amina Diallo")
    card.locator("form[action$='/act'] button").click()
    karim.wait_for_url("**/dashboard")
    banner = karim.locator("[data-acting]")
    expect(banner).to_contain_text(
        tr(
            "fr",
            "Vous agissez pour %(name)s — mandat %(scope)s",
            name="Amina Diallo",
            scope=tr("fr", "tous les dossiers, pour agir"),
        )
    )
    karim.goto("/files/new/for/change_of_situation")
    karim.locator("main form button[type=submit]").click()
    karim.wait_for_url(re.compile(r".*/files/[0-9a-f-]{36}$"))
    file_id = karim.url.split("/")[-1]
    expect(karim.locator("[data-acting]")).to_be_visible()

    # 7. The person sees the act in her timeline, with who did it and under which mandate.
    amina.goto("/timeline")
    by = tr(
        "fr",
        "par %(worker)s (%(organisation)s), mandat du %(date)s",
        worker="Karim Benali",
        organisation=name,
        date="",
    )
    expect(amina.locator("main")).to_contain_text(by.strip())

    # 8. She withdraws the mandate; the worker's very next request is refused.
    amina.goto("/account#mandates")
    amina.locator("[data-mandates] form[action$='/revoke'] button").click()
    amina.wait_for_url("**/account?done=mandate_revoked*")
    response = karim.goto(f"/files/{file_id}")
    assert response is not None and response.status == 403
    expect(karim.locator("h1")).to_have_text(error_title(403))
    karim.goto("/worker")
    expect(karim.locator("main")).not_to_contain_text("Amina Diallo")
