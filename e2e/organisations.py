"""Journeys of issue 12 shared by the browser tests: an organisation asked
for, approved, its administrator and a worker enrolled, a mandate given."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import Page, expect

from server import clock
from server.domain import organisations
from server.store.db import Database

from .helpers import continue_after_codes, enrol, signup
from .test_offline import rows


def request_organisation(page: Page, name: str, departement: str = "93") -> None:
    page.goto("/organisations/new")
    page.locator("#f-name").fill(name)
    page.locator("input[name=kind][value=shelter]").check()
    page.locator("#f-departement").select_option(departement)
    page.locator("#f-contact_name").fill("Claire Martin")
    page.locator("#f-contact_email").fill("claire@abri.example")
    page.locator("form[action='/organisations/new'] button[type=submit]").click()
    expect(page.locator("main .alert--success")).to_contain_text(name)


def approve(admin: Page, name: str) -> str:
    """As an administrator: approve the organisation; return its administrator's link."""
    admin.goto("/admin/organisations")
    card = admin.locator("li.card", has_text=name)
    card.locator("form[action$='/approve'] button").click()
    link = admin.locator("input#invite-link")
    expect(link).to_be_visible()
    return link.input_value()


def enrol_worker(page: Page, link: str, name: str, language: str = "fr") -> None:
    enrol(page, link, name, language)
    page.locator("main .actions a[href='/dashboard']").click()
    page.wait_for_url("**/worker")


def invite_worker(org_admin: Page, name: str) -> str:
    org_admin.goto("/organisation")
    org_admin.locator("#f-name").fill(name)
    org_admin.locator("form[action='/organisation/invitations'] button[type=submit]").click()
    link = org_admin.locator("input#invite-link")
    expect(link).to_be_visible()
    return link.input_value()


def organisation_code(worker: Page) -> str:
    worker.goto("/worker")
    return worker.locator("[data-organisation-code]").inner_text().strip()


def give_mandate(person: Page, code: str, *, can_act: bool = True) -> None:
    person.goto("/account#mandates")
    person.locator("a[href='/account/mandates/new']").click()
    person.locator("#f-q").fill(code)
    person.locator("form[role=search] button[type=submit]").click()
    person.locator("input[name=can_act][value='1']" if can_act else "input[name=can_act][value='0']").check()
    person.locator("form[action='/account/mandates'] button[type=submit]").click()
    person.wait_for_url("**/account?done=mandate_granted*")


def signed_up_worker(
    server: Any,
    page: Page,
    name: str,
    organisation: str = "",
    kind: str = "shelter",
    departement: str = "75",
    language: str = "fr",
) -> str:
    """A worker for a test that is not about joining: signed up in the browser with
    a passkey, then made the worker of an approved organisation in the server's
    database (the pages' own path enrols: a rate-limited act that a server shared
    with many tests may already have used up). Returns the organisation's id."""
    signup(page, name, language)
    continue_after_codes(page)
    [me] = rows(server, "SELECT id FROM accounts WHERE display_name = ?", name)
    org_id = str(uuid.uuid4())

    def make(conn: Any) -> None:
        organisations.create(
            conn,
            organisation_id=org_id,
            name=organisation or f"Abri {name}",
            kind=kind,
            departement=departement,
            contact_name=name,
            contact_email=None,
            contact_phone=None,
            version=1,
            now=clock.now(),
        )
        organisations.set_status(conn, org_id, "approved", "admin:e2e", 1, clock.now())
        conn.execute("UPDATE accounts SET role = 'worker', organisation = ? WHERE id = ?", (org_id, me["id"]))

    db = Database(server.db_path)
    try:
        db.write_sync(make)
    finally:
        db.close()
    return org_id
