"""Issue 11's "no dead ends", with real browsers and real virtual passkeys:

a signed-out person cannot create an account and says so → a numbered, dated
acknowledgement (page and PDF: number, date, the right to another channel) → an
agent of their prefecture records their file handed in on paper, with a scanned
piece, and prints the claim code → the person claims the file with the printed
code and a new passkey and finds the whole history (the file, its piece, the
timeline). Also: a report made offline says "not yet sent" and gets its number
once back online; and axe-core on every new page, in French and Arabic, at 320 px.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from server.auth import recovery
from tests import samples

from .helpers import assert_no_horizontal_scroll, continue_after_codes, enrol, fill_field, new_device
from .test_accessibility import Scanner, set_language
from .test_backoffice_flow import pdf_text, staff
from .test_offline import person


@pytest.fixture(scope="module")
def national(browser: Browser, server: Any) -> Any:
    """The national administrator, for the whole module: it invites the prefecture's staff
    (`staff` keeps it on the server object; a test's own contexts close after the test)."""
    context, page, _ = new_device(browser, server.base_url)
    enrol(page, server.bootstrap_link, "Admin national")
    continue_after_codes(page)
    server._e2e_admin = page
    yield page
    context.close()


NUMBER = re.compile(r"B-\d{4}-\d{6}")
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}")  # a claim code has the recovery codes' form


def report_blocked(page: Page, details: str) -> str:
    """From the sign-up page: "I'm blocked" → "cannot create an account" → the acknowledgement."""
    page.goto("/signup")
    page.locator("main a[href='/blocked?kind=account']").click()
    page.wait_for_url("**/blocked?kind=account")
    expect(page.locator("#f-kind-account")).to_be_checked()
    page.locator("#f-details").fill(details)
    page.locator("#f-departement").select_option("93")
    page.locator("#f-contact").fill("06 12 34 56 78")
    page.locator("form[data-blocked-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/blocked/B-\d{4}-\d{6}\?key=[0-9a-f]{32}&done=report_sent$"))
    heading = page.locator("main h1")
    expect(heading).to_contain_text("Accusé de réception n° B-")
    return NUMBER.search(heading.inner_text()).group(0)


def record_paper_file(agent: Page, person_name: str) -> tuple[str, str]:
    """The agent records the person's paper file (one scanned piece, two pages); returns (file_id, code)."""
    agent.goto("/prefecture/paper")
    agent.locator("main a[href='/prefecture/paper/new']").click()
    agent.locator("#p-change_of_situation").check()
    agent.locator("main form button[type=submit]").click()
    agent.wait_for_url("**/prefecture/paper/new?procedure=change_of_situation")
    agent.locator("#f-display_name").fill(person_name)
    agent.locator("#f-channel-counter").check()
    for field, value in {
        "family_name": "Diallo",
        "given_names": "Aminata",
        "birth_date": "1990-05-31",
        "birth_place": "Bamako",
        "nationality": "malienne",
        "street": "3 rue de la Paix",
        "postcode": "93200",
        "city": "Saint-Denis",
        "change_details": "Nouvelle adresse depuis mars.",
    }.items():
        fill_field(agent, field, value)
    agent.locator("#f-change_kind").select_option("address")
    agent.locator("#f-files-residence_card").set_input_files(
        [
            {"name": "titre-recto.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(3000)},
            {"name": "titre-verso.png", "mimeType": "image/png", "buffer": samples.png(64, 64)},
        ]
    )
    agent.locator("form[action='/prefecture/paper'] button[type=submit]").click()
    code_box = agent.locator("[data-claim-code]")
    expect(code_box).to_be_visible()
    code = code_box.inner_text().strip()
    assert CODE.fullmatch(code), code
    file_id = re.search(r"/prefecture/files/([0-9a-f-]{36})", agent.content()).group(1)
    # The printed letter carries the same code (and the claim address).
    with agent.expect_download() as download:
        agent.locator("form[action$='/claim.pdf'] button[type=submit]").click()
    with open(download.value.path(), "rb") as f:
        letter = pdf_text(f.read())
    assert code in letter and "/claim" in letter, letter
    return file_id, code


def claim(page: Page, code: str) -> None:
    page.goto("/claim")
    page.locator("#f-code").fill(code)
    page.locator("form[action='/claim'] button[type=submit]").click()
    start = page.locator("[data-passkey-start]")
    expect(start).to_be_visible()
    start.click()
    expect(page.locator("ol.codes code")).to_have_count(recovery.COUNT)
    continue_after_codes(page)


def test_blocked_then_paper_file_then_claimed_with_a_passkey(
    national, new_device_factory, server: Any, name: str
) -> None:
    _, visitor, _ = new_device_factory()
    number = report_blocked(visitor, "Le site demande un numéro étranger que je n’ai pas.")
    main = visitor.locator("main")
    expect(main).to_contain_text("Conseil d’État")
    expect(main).to_contain_text("Seine-Saint-Denis (93)")
    expect(main).to_contain_text("Le site demande un numéro étranger que je n’ai pas.")
    acknowledgement = visitor.url.replace("&done=report_sent", "")

    # The PDF says the same: number, date, the right to another channel.
    pdf_link = visitor.locator("main a[href$='.pdf'], main a[href*='.pdf?key=']").first
    pdf = visitor.request.get(pdf_link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    year = number.split("-")[1]
    assert number in text and "Reçu le" in text and year in text, text
    assert "autrement qu’en ligne" in text and "452798" in text, text

    # The agent of Seine-Saint-Denis sees the report, due in 15 days, and answers it.
    agent = staff(new_device_factory, server, "agent", "Agent Papier")
    agent.goto("/prefecture/reports")
    agent.get_by_role("link", name=number).click()
    expect(agent.locator("main")).to_contain_text("06 12 34 56 78")
    agent.locator("#f-kind-paper").check()
    agent.locator("#f-body").fill("Venez au guichet 4 avec votre dossier papier : nous l’enregistrons.")
    agent.locator("form[action$='/answer'] button[type=submit]").click()
    expect(agent.locator("main")).to_contain_text("La réponse est enregistrée")
    visitor.goto(acknowledgement)
    expect(visitor.locator("main")).to_contain_text("Venez au guichet 4")

    # The person hands in the file at the counter: the agent records it and prints the code.
    file_id, code = record_paper_file(agent, name)
    agent.goto("/prefecture?status=all")
    expect(agent.locator("main")).to_contain_text("DIALLO Aminata")

    # The person claims it with the printed code and a new passkey, on their phone.
    claim(visitor, code)
    visitor.goto(f"/files/{file_id}")
    expect(visitor.locator("main")).to_contain_text("Ouvert par la préfecture")  # an agent recorded it
    visitor.goto(f"/files/{file_id}/checklist")
    expect(visitor.locator("main")).to_contain_text("titre-recto.pdf")
    expect(visitor.locator("main")).to_contain_text("titre-verso.png")
    visitor.goto("/timeline")
    history = visitor.locator("main")
    expect(history).to_contain_text("Dossier remis au guichet et enregistré par la préfecture")
    expect(history).to_contain_text("titre-recto.pdf")
    expect(history).to_contain_text("Vous avez retrouvé votre dossier sur Sésame")
    # The code served once.
    _, other, _ = new_device_factory()
    other.goto("/claim")
    other.locator("#f-code").fill(code)
    other.locator("form[action='/claim'] button[type=submit]").click()
    expect(other.locator("main [role=alert]")).to_contain_text("Ce code n’est pas valide")


def test_a_report_made_offline_gets_its_number_back_online(new_plain_context) -> None:
    context = new_plain_context()
    page = context.new_page()
    page.goto("/blocked")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()  # now the page itself comes through the worker
    page.locator("#f-kind-signin").check()
    page.locator("#f-departement").select_option("75")
    context.set_offline(True)
    page.locator("form[data-blocked-form] button[type=submit]").click()
    status = page.locator("[data-blocked-status]")
    expect(status).to_contain_text("Pas encore envoyé — gardez cette page")
    expect(status).not_to_contain_text("B-")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # what the browser fires on reconnection
    expect(status).to_contain_text("Envoyé : accusé de réception n° B-")
    status.get_by_role("link").click()
    expect(page.locator("main h1")).to_contain_text("Accusé de réception n° B-")
    expect(page.locator("main")).to_contain_text("Paris (75)")


def test_a_signed_in_report_made_offline_goes_through_the_outbox(new_device_factory, name: str) -> None:
    _, page = person(new_device_factory, name)
    page.goto("/blocked")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()
    page.locator("#f-kind-upload").check()
    page.context.set_offline(True)
    page.locator("form[data-blocked-form] button[type=submit]").click()
    status = page.locator("[data-blocked-status]")
    expect(status).to_contain_text("Pas encore envoyé — gardez cette page")
    page.context.set_offline(False)
    try:
        page.evaluate("window.dispatchEvent(new Event('online'))")
    except PlaywrightError as error:  # the browser's own "online" was quicker: already on its way
        assert "destroyed" in str(error) or "navigat" in str(error), error
    page.wait_for_url(re.compile(r"/blocked/B-\d{4}-\d{6}$"))
    expect(page.locator("main h1")).to_contain_text("Accusé de réception n° B-")
    page.goto("/timeline")
    expect(page.locator("main")).to_contain_text("Signalement « Je suis bloqué·e »")


def test_no_axe_violations_on_the_new_pages(national, new_device_factory, server: Any, name: str) -> None:
    agent = staff(new_device_factory, server, "admin", "Admin Axe 93")
    _, visitor, _ = new_device_factory(viewport={"width": 320, "height": 640})
    _, applicant = person(new_device_factory, name)
    applicant.set_viewport_size({"width": 320, "height": 640})
    agent.set_viewport_size({"width": 320, "height": 640})
    for lang in ("fr", "ar"):
        scan = Scanner(lang)
        visitor.goto("/blocked")
        set_language(visitor, lang)
        scan(visitor, "/blocked")
        assert_no_horizontal_scroll(visitor)
        visitor.locator("#f-kind-upload").check()
        visitor.locator("#f-departement").select_option("93")
        visitor.locator("form[data-blocked-form] button[type=submit]").click()
        visitor.wait_for_url(re.compile(r"/blocked/B-"))
        scan(visitor, "acknowledgement")
        assert_no_horizontal_scroll(visitor)
        number = NUMBER.search(visitor.url).group(0)
        acknowledgement = re.sub(r"&done=\w+", "", visitor.url)
        visitor.goto("/claim")
        scan(visitor, "/claim")
        applicant.goto("/blocked")
        set_language(applicant, lang)
        applicant.locator("#f-kind-step").check()
        applicant.locator("form[data-blocked-form] button[type=submit]").click()
        applicant.wait_for_url(re.compile(r"/blocked/B-\d{4}-\d{6}$"))
        applicant.goto("/blocked/mine")
        scan(applicant, "/blocked/mine")
        assert_no_horizontal_scroll(applicant)
        applicant.goto("/dashboard")
        scan(applicant, "/dashboard with the link to the reports")
        visitor.goto("/blocked?kind=nothing")
        visitor.locator("form[data-blocked-form] button[type=submit]").click()  # no kind: the form says so
        scan(visitor, "/blocked with an error")

        agent.goto("/prefecture/reports")
        set_language(agent, lang)
        scan(agent, "/prefecture/reports")
        assert_no_horizontal_scroll(agent)
        agent.get_by_role("link", name=number).click()
        scan(agent, "report")
        agent.locator("#f-kind-message").check()
        agent.locator("#f-body").fill("Réponse.")
        agent.locator("form[action$='/answer'] button[type=submit]").click()
        expect(agent.locator("main")).to_contain_text(number)
        visitor.goto(acknowledgement)
        expect(visitor.locator("#voice")).to_be_visible()
        scan(visitor, "acknowledgement with an answer and the voice question")
        visitor.locator("#f-clear-partly").check()
        visitor.locator("#voice button[type=submit]").click()
        scan(visitor, "acknowledgement after the voice answer")
        agent.goto("/prefecture/voice")
        scan(agent, "/prefecture/voice")
        agent.goto("/prefecture/paper")
        scan(agent, "/prefecture/paper")
        agent.goto("/prefecture/paper/new")
        scan(agent, "/prefecture/paper/new")
        agent.goto("/prefecture/paper/new?procedure=renewal")
        scan(agent, "paper: grounds")
        agent.goto("/prefecture/paper/new?procedure=change_of_situation")
        scan(agent, "paper: the file")
        assert_no_horizontal_scroll(agent)
        agent.locator("form[action='/prefecture/paper'] button[type=submit]").click()
        scan(agent, "paper: the file with errors")
        record_paper_file(agent, name)
        scan(agent, "paper: the claim code")
        assert_no_horizontal_scroll(agent)
        scan.check()
