"""axe-core finds no violation on any page, in French and in Arabic (right to left).

Each language walks every page a person can reach (and a few error states); the
failures of all pages are reported together.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from .helpers import SesameServer, enrol, invite, new_device

AXE = Axe()


class Scanner:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.seen: list[str] = []
        self.failures: list[str] = []

    def __call__(self, page: Page, label: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        results = AXE.run(page)
        self.seen.append(label)
        if results.violations_count:
            self.failures.append(f"--- {label} ({page.url}) ---\n{results.generate_report()}")

    def check(self) -> None:
        report = "\n".join(self.failures)
        assert not self.failures, f"axe violations in {self.lang} on {len(self.failures)} page(s):\n{report}"


@pytest.fixture(scope="module")
def admin(browser: Browser, server: SesameServer) -> Iterator[Page]:
    """The national administrator, enrolled through the bootstrap link, signed in."""
    assert server.bootstrap_link
    context, page, _ = new_device(browser, server.base_url)
    enrol(page, server.bootstrap_link, "Admin Axe")
    yield page
    context.close()


def set_language(page: Page, lang: str) -> None:
    if page.locator("html").get_attribute("lang") != lang:
        with page.expect_navigation():
            page.locator("#language-select").select_option(lang)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_no_axe_violations_on_any_page(lang, admin, new_device_factory, new_plain_context, name):
    scan = Scanner(lang)
    locale = {"fr": "fr-FR", "ar": "ar"}[lang]

    # The administrator's pages, and a fresh (unused) enrolment link.
    admin.goto("/dashboard")
    set_language(admin, lang)
    scan(admin, "dashboard (administrator)")
    admin.goto("/admin/invitations")
    scan(admin, "admin/invitations")
    link = invite(admin, role="agent", prefecture="75", name=f"Agent {lang}")
    scan(admin, "admin/invitations with a new link")
    admin.locator("#f-prefecture").select_option("")
    admin.locator("form[action='/admin/invitations'] button[type=submit]").click()
    expect(admin.get_by_role("alert")).to_be_visible()
    scan(admin, "admin/invitations with an error")

    # A visitor.
    visitor = new_plain_context(locale=locale).new_page()
    for path, label in [
        ("/", "home"),
        ("/signup", "signup"),
        ("/signin", "signin"),
        ("/recover", "recover"),
        ("/no-such-page", "404"),
        ("/enrol/not-a-valid-token", "410 (invitation)"),
        (link, "enrol"),
    ]:
        visitor.goto(path)
        scan(visitor, label)
    visitor.goto("/signup")
    visitor.locator("form[action='/signup'] button[type=submit]").click()
    expect(visitor.get_by_role("alert")).to_be_visible()
    scan(visitor, "signup with an error")
    visitor.goto("/recover")
    visitor.locator("#f-code").fill("AAAA-BBBB-CCCC-DDDD")
    visitor.locator("form[action='/recover'] button[type=submit]").click()
    expect(visitor.get_by_role("alert")).to_be_visible()
    scan(visitor, "recover with an error")

    # An applicant, from sign-up on.
    _, page, _ = new_device_factory(locale=locale)
    page.goto("/signup")
    page.locator("#f-display_name").fill(name)
    page.locator("#f-language").select_option(lang)
    page.locator("form[action='/signup'] button[type=submit]").click()
    expect(page.locator("[data-passkey-start]")).to_be_visible()
    scan(page, "signup passkey step")
    page.locator("[data-passkey-start]").click()
    expect(page.locator("ol.codes code")).to_have_count(8)
    scan(page, "recovery codes (sign-up)")
    for path, label in [
        ("/dashboard", "dashboard"),
        ("/account", "account"),
        ("/account/passkeys/new", "add a passkey"),
        ("/account/recovery-codes", "recovery codes (account)"),
        ("/admin/invitations", "403"),
        ("/outbox", "outbox"),
        ("/offline", "offline"),
        ("/files/shell/renewal/tasks", "task list shell"),
        ("/files/shell/renewal/checklist", "checklist shell"),
        ("/files/shell/change_of_situation/situation", "situation shell"),
        ("/files/shell/duplicate/situation", "situation shell (a date in part, approximate)"),
        # The way in (ADR 0025): start page, questions, help, the pieces before the file.
        ("/files/new", "way in: start page"),
        ("/files/new/q/permit", "way in: first question"),
        ("/files/new/q/what", "way in: what to do"),
        ("/files/new/q/renewal.reason", "way in: the reason"),
        ("/files/new/q/first_application.protection", "way in: a situation"),
        ("/files/new/next?q=permit", "way in: a question left unanswered"),
        ("/files/new/help?from=what", "way in: je ne sais pas"),
        ("/files/new/for/renewal.student", "way in: the pieces before the file"),
        ("/files/new/for/duplicate", "way in: the pieces (no ground)"),
    ]:
        page.goto(path)
        scan(page, label)
    page.goto("/account")
    page.locator("#f-foreign_number").fill("12")
    page.locator("form[action='/account/profile'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    scan(page, "account with an error")
    page.goto("/account/recovery-codes")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("ol.codes code")).to_have_count(8)
    codes = page.locator("ol.codes code").all_inner_texts()  # the old ones are void now
    scan(page, "recovery codes (new series)")

    # Recovery on another device: the passkey step.
    recovering = new_plain_context(locale=locale).new_page()
    recovering.goto("/recover")
    recovering.locator("#f-code").fill(codes[0].strip())
    recovering.locator("form[action='/recover'] button[type=submit]").click()
    expect(recovering.locator("form[action='/recover/finish']")).to_have_count(1)
    scan(recovering, "recover passkey step")

    scan.check()
