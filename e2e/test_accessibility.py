"""axe-core finds no violation on any page, in French and in Arabic (right to left).

Each language walks every page a person can reach (and a few error states); the
failures of all pages are reported together.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from .helpers import SesameServer, add_authenticator, assert_no_horizontal_scroll, enrol, invite, new_device

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
    # Being told (ADR 0023): quiet hours with one end only are refused beside the field.
    page.goto("/account")
    page.locator("#f-quiet_end").fill("")
    page.locator("form[action='/account/notifications'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    scan(page, "account with a notification error")
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


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_no_axe_violations_in_shelter_mode(lang, new_plain_context, server, name):
    """The shelter page in each of its states: first use, at work for a person, locked."""
    from .organisations import signed_up_worker
    from .test_shelter import new_person, open_shelter

    scan = Scanner(lang)
    context = new_plain_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    add_authenticator(page)
    signed_up_worker(server, page, name)
    open_shelter(page)
    set_language(page, lang)
    expect(page.locator("html[data-shelter-ready]")).to_have_count(1)
    scan(page, "shelter: first use")
    page.locator("#pin-new").fill("246810")
    page.locator("#pin-again").fill("246810")
    page.locator("[data-setup-pin] button").click()
    expect(page.locator("#shelter-work")).to_be_visible()
    context.set_offline(True)
    new_person(page, f"Awa Axe {name}", 7)
    page.locator("[data-new-file] button").click()
    expect(page.locator("[data-file]")).to_have_count(1)
    page.locator("[data-new-person-box] summary").click()
    scan(page, "shelter: at work for a person, new person open")
    assert_no_horizontal_scroll(page)
    page.locator("[data-lock]").click()
    expect(page.locator("#shelter-locked")).to_be_visible()
    scan(page, "shelter: locked, with the hand-over list")
    scan.check()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_no_axe_violations_on_organisation_pages(lang, admin, new_device_factory, new_plain_context, name):
    """Issue 12: the organisation's request, its approval, its administrator's and
    its worker's pages, the person's mandates, and acting for a person."""
    from .organisations import approve, enrol_worker, give_mandate, invite_worker, organisation_code

    scan = Scanner(lang)
    locale = {"fr": "fr-FR", "ar": "ar"}[lang]
    org_name = f"Abri {lang} {name}"

    visitor = new_plain_context(locale=locale).new_page()
    visitor.goto("/organisations/new")
    set_language(visitor, lang)
    scan(visitor, "organisations/new")
    visitor.locator("form[action='/organisations/new'] button[type=submit]").click()
    expect(visitor.get_by_role("alert")).to_be_visible()
    scan(visitor, "organisations/new with errors")
    visitor.locator("#f-name").fill(org_name)
    visitor.locator("#f-departement").select_option("93")
    visitor.locator("#f-contact_name").fill("Claire")
    visitor.locator("#f-contact_phone").fill("06 12 34 56 78")
    visitor.locator("form[action='/organisations/new'] button[type=submit]").click()
    expect(visitor.locator("main .alert--success")).to_be_visible()
    scan(visitor, "organisation requested")

    set_language(admin, lang)
    admin.goto("/admin/organisations")
    scan(admin, "admin/organisations")
    link = approve(admin, org_name)
    scan(admin, "admin/organisations with a link")

    _, claire, _ = new_device_factory(locale=locale)
    claire.goto(link)
    scan(claire, "enrol (organisation administrator)")
    enrol_worker(claire, link, f"Claire {lang}", lang)
    claire.goto("/organisation")
    scan(claire, "organisation (workers)")
    invite_worker(claire, f"Karim {lang}")
    scan(claire, "organisation with a link")

    # Claire is a worker too (the organisation's administrator): her pages are a
    # worker's (one enrolment less: enrolments are rate limited per address).
    karim = claire
    karim.goto("/worker")
    scan(karim, "worker home (nobody yet)")
    code = organisation_code(karim)
    karim.goto("/worker/people/new")
    scan(karim, "worker: a person on paper")
    karim.locator("form[action='/worker/people/new'] button[type=submit]").click()
    expect(karim.get_by_role("alert")).to_be_visible()
    scan(karim, "worker: a person on paper, with errors")
    karim.goto("/worker/mandate-form")
    scan(karim, "worker: paper mandate form")

    _, person, _ = new_device_factory(locale=locale)
    person.goto("/signup")
    person.locator("#f-display_name").fill(name)
    person.locator("#f-language").select_option(lang)
    person.locator("form[action='/signup'] button[type=submit]").click()
    person.locator("[data-passkey-start]").click()
    expect(person.locator("ol.codes code")).to_have_count(8)
    person.goto("/account#mandates")
    scan(person, "account with no mandate")
    person.goto(f"/account/mandates/new?q={code}")
    scan(person, "give a mandate")
    give_mandate(person, code)
    scan(person, "account with a mandate")

    karim.goto("/worker/reach")
    expect(karim.locator("[data-worker-reach] > li")).to_have_count(1)
    scan(karim, "worker: reaching the people followed")
    karim.goto("/worker")
    scan(karim, "worker home (one person)")
    karim.locator("[data-people] li.card form[action$='/act'] button").first.click()
    karim.wait_for_url("**/dashboard")
    expect(karim.locator("[data-acting]")).to_be_visible()
    scan(karim, "dashboard, acting for a person")
    scan.check()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_no_axe_violations_on_hand_off_and_assisted_recovery(lang, new_device_factory, server, name):
    """Every page of a worker's help with access (ADR 0022), in both languages."""
    from .test_handoff_recovery import become_worker, record_person

    scan = Scanner(lang)
    locale = {"fr": "fr-FR", "ar": "ar"}[lang]
    _, worker, _ = new_device_factory(locale=locale)
    become_worker(server, worker, f"Inès {lang}", f"La Cimade {lang}", language=lang)
    person_id = record_person(worker, f"Aminata {lang}", language=lang)
    access = f"/worker/people/{person_id}/access"
    worker.goto(access)
    scan(worker, "access (held: hand-off)")
    worker.locator(f"form[action='{access[:-7]}/handoff'] button").click()
    expect(worker.locator("main [data-code]").first).to_be_visible()
    code = worker.locator("main [data-code]").first.inner_text().strip()
    scan(worker, "hand-off printout")

    _, phone, _ = new_device_factory(locale=locale)
    phone.goto(f"/claim?code={code}")
    phone.locator("form[action='/claim'] button[type=submit]").click()
    phone.locator("[data-passkey-start]").click()
    expect(phone.locator("ol.codes code")).to_have_count(8)
    scan(phone, "recovery codes after a hand-off (the mandate stays)")

    worker.goto(access)
    scan(worker, "access (recovery, passkeys)")
    worker.locator(f"form[action='{access[:-7]}/recovery'] button[type=submit]").click()
    expect(worker.get_by_role("alert")).to_be_visible()
    scan(worker, "access with an error")
    worker.locator("#f-identity_checked").check()
    worker.locator("#f-document-other").check()
    worker.locator("#f-document_other").fill("Carte CAF")
    worker.locator(f"form[action='{access[:-7]}/recovery'] button[type=submit]").click()
    expect(worker.locator("main [data-code]").first).to_be_visible()
    enrolment = worker.locator("main [data-code]").first.inner_text().strip()
    scan(worker, "enrolment printout")

    _, new_phone, _ = new_device_factory(locale=locale)
    new_phone.goto("/recover/assisted")
    scan(new_phone, "recover/assisted")
    new_phone.locator("#f-code").fill("AAAA-BBBB-CCCCC")
    new_phone.locator("form[action='/recover/assisted'] button[type=submit]").click()
    expect(new_phone.get_by_role("alert")).to_be_visible()
    scan(new_phone, "recover/assisted with an error")
    new_phone.locator("#f-code").fill(enrolment)
    new_phone.locator("form[action='/recover/assisted'] button[type=submit]").click()
    expect(new_phone.locator("[data-passkey-start]")).to_be_visible()
    scan(new_phone, "recover/assisted passkey step")
    new_phone.locator("[data-passkey-start]").click()
    new_phone.wait_for_url("**/account?done=assisted_recovered")
    scan(new_phone, "account after an assisted recovery")
    worker.goto(access)
    scan(worker, "access (two passkeys to choose from)")
    scan.check()
