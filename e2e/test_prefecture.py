"""The back office, two browsers: an applicant (a real passkey) sends a file; an
agent of the prefecture, invited by link and enrolled with a real passkey, finds
it in the inbox, opens it, accepts a piece and takes it for review; the applicant
sees "viewed by the prefecture" and the review state. The new pages pass axe in
French and Arabic at 320 px."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from server.domain import catalogue
from server.web.prefecture import words

from .helpers import (
    SesameServer,
    assert_no_horizontal_scroll,
    continue_after_codes,
    enrol,
    fill_field,
    invite,
    new_device,
    sign_out,
    signup,
)
from .test_accessibility import Scanner, set_language
from .test_files import next_button, payload, pdf, photo, piece_label, required_pieces, start_file, upload

SEINE_SAINT_DENIS = "Seine-Saint-Denis (93)"


def send_a_file(page: Page, family_name: str) -> str:
    """A change of address, filled in and sent from the applicant's browser."""
    file_id = start_file(page, "change_of_situation")
    page.locator("#f-change_kind").select_option("address")
    page.locator("#f-change_details").fill("Nouvelle adresse à Saint-Denis depuis le 1er mars.")
    fill_field(page, "current_permit_expiry", "2026-01-15")  # already lapsed: on top
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/identity")
    for name, value in [
        ("family_name", family_name),
        ("given_names", "Awa"),
        ("birth_date", "1990-05-04"),
        ("birth_place", "Bamako, Mali"),
        ("nationality", "malienne"),
    ]:
        fill_field(page, name, value)
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/address")
    page.locator("#f-street").fill("3 rue de la République")
    page.locator("#f-postcode").fill("93200")
    page.locator("#f-city").fill("Saint-Denis")
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/checklist")
    for piece in required_pieces("change_of_situation", ()):
        # Photos where a piece takes them (shown in the agent's page), else PDFs.
        if "image/png" in catalogue.load().media_types(piece):
            upload(page, file_id, piece, [payload(f"{piece}.png", photo(), "image/png")])
        else:
            upload(page, file_id, piece, [payload(f"{piece}.pdf", pdf(tag=piece))])
    page.goto(f"/files/{file_id}/review")
    page.get_by_label(re.compile("^Je déclare que les informations")).check()
    page.get_by_role("button", name="Envoyer mon dossier à la préfecture").click()
    expect(page).to_have_url(re.compile(rf"/files/{file_id}/confirmation$"))
    return file_id


def sign_in_staff(page: Page) -> None:
    """Staff land on the files received, not on the dashboard."""
    page.goto("/signin")
    page.locator("[data-passkey-start]").click()
    page.wait_for_url("**/prefecture")


@pytest.fixture(scope="module")
def national_admin(browser: Browser, server: SesameServer) -> Iterator[Page]:
    """The national administrator (bootstrap link): invites the prefecture's staff."""
    assert server.bootstrap_link
    context, page, _ = new_device(browser, server.base_url)
    enrol(page, server.bootstrap_link, "Admin National")
    yield page
    context.close()


def test_an_agent_reviews_a_file_and_the_applicant_sees_it(national_admin, new_device_factory, name):
    link = invite(national_admin, role="agent", prefecture="93", name="Jeanne Agent")

    # The applicant, on their phone.
    _, applicant, _ = new_device_factory()
    signup(applicant, name)
    continue_after_codes(applicant)
    family = name.split()[-1]
    file_id = send_a_file(applicant, family)

    # The agent, in another browser: enrolment, then a fresh sign-in lands on the inbox.
    _, agent, _ = new_device_factory(viewport={"width": 320, "height": 800})
    enrol(agent, link, "Jeanne Agent")
    continue_after_codes(agent)
    agent.get_by_role("link", name="Ouvrir les dossiers reçus").click()
    agent.wait_for_url("**/prefecture")
    sign_out(agent)
    sign_in_staff(agent)
    card = agent.locator("ol.inbox > li").first  # a lapsed right: on top
    expect(card).to_contain_text(family.upper())
    expect(card).to_contain_text("Droit au séjour expiré le")
    assert_no_horizontal_scroll(agent)
    agent.locator("#f-q").fill(family)
    agent.get_by_role("button", name="Afficher").click()
    expect(agent.locator("ol.inbox > li")).to_have_count(1)
    agent.locator("ol.inbox > li").first.get_by_role("link").first.click()
    agent.wait_for_url(f"**/prefecture/files/{file_id}")
    expect(agent.locator("h1")).to_contain_text(family.upper())
    expect(agent.locator("#changes-title + p")).to_have_text(
        "C’est la première fois que vous ouvrez ce dossier."
    )
    # The photo is shown in the page, through the audited route.
    image = agent.locator("img.piece-image").first
    image.scroll_into_view_if_needed()  # loaded lazily: an image never looked at is never fetched
    expect(image).to_be_visible()
    agent.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert_no_horizontal_scroll(agent)

    # Accept the first piece, then take the file for review.
    first = required_pieces("change_of_situation", ())[0]
    piece_card = agent.locator(f"#piece-{first}")
    piece_card.locator("textarea[name=note]").fill("Lisible et complet.")
    piece_card.get_by_role("button", name=re.compile("^Accepter la pièce")).click()
    expect(agent.locator(".alert--success[role=status]")).to_have_text(words.DONE["piece_accepted"])
    expect(agent.locator(f"#piece-{first} .badge").first).to_have_text("Acceptée")
    agent.get_by_role("button", name="Prendre en examen").click()
    expect(agent.locator(".alert--success[role=status]")).to_have_text(words.DONE["locked"])
    expect(agent.locator("ul.dates")).to_contain_text("Pris en examen par Jeanne Agent")
    agent.goto("/prefecture")
    expect(agent.locator("ol.inbox > li").first).to_contain_text("Pris en examen par Jeanne Agent")

    # The applicant: viewed by the prefecture (the service, not the agent), under review.
    applicant.goto(f"/files/{file_id}")
    expect(applicant.locator("#status-title .badge")).to_have_text("En cours d’examen")
    history = applicant.locator("ol.timeline")
    expect(history).to_contain_text(f"Dossier consulté par la préfecture : {SEINE_SAINT_DENIS}")
    expect(history).to_contain_text(
        f"Pièce acceptée par la préfecture : {piece_label(first)} — Lisible et complet."
    )
    expect(history).not_to_contain_text("Jeanne")
    # …and the phone still shows it with no network.
    applicant.wait_for_function("() => navigator.serviceWorker.controller !== null")
    applicant.context.set_offline(True)
    applicant.goto(f"/files/{file_id}")
    expect(applicant.locator("html")).to_have_attribute("data-served", "cache")
    expect(applicant.locator("ol.timeline")).to_contain_text(
        f"Dossier consulté par la préfecture : {SEINE_SAINT_DENIS}"
    )
    expect(applicant.locator("#status-title .badge")).to_have_text("En cours d’examen")
    applicant.context.set_offline(False)


@pytest.fixture(scope="module")
def prefecture_admin(browser: Browser, server: SesameServer, national_admin: Page) -> Iterator[Page]:
    """An administrator of Seine-Saint-Denis, at 320 px (also an agent: reviews files)."""
    link = invite(national_admin, role="admin", prefecture="93", name="Admin 93")
    context, page, _ = new_device(browser, server.base_url, viewport={"width": 320, "height": 800})
    enrol(page, link, "Admin 93")
    continue_after_codes(page)
    yield page
    context.close()


@pytest.fixture(scope="module")
def sent_file(browser: Browser, server: SesameServer) -> Iterator[str]:
    """A file sent to Seine-Saint-Denis, with a message of its applicant."""
    context, page, _ = new_device(browser, server.base_url)
    signup(page, "Awa Axe")
    continue_after_codes(page)
    file_id = send_a_file(page, "Axe")
    page.goto(f"/files/{file_id}/messages")
    page.locator("#f-body").fill("Bonjour, voici mon dossier.")
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator(".alert--success[role=status]")).to_be_visible()
    yield file_id
    context.close()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_back_office_pages_pass_axe_at_320_px(lang, prefecture_admin, sent_file, watched_pages):
    scan = Scanner(lang)
    staff, file_id = prefecture_admin, sent_file
    watched_pages.append(staff)
    staff.goto("/dashboard")
    set_language(staff, lang)
    for path, label in [
        ("/dashboard", "dashboard (prefecture)"),
        ("/prefecture", "inbox"),
        ("/prefecture?q=nobody-at-all", "inbox, no match"),
        ("/prefecture?older_than=abc", "inbox, a filter not understood"),
        (f"/prefecture/files/{file_id}", "file"),
        (f"/prefecture/files/{file_id}", "file, visited before"),
        ("/prefecture/audit", "audit"),
        ("/prefecture/audit?verify=1", "audit, chain checked"),
        ("/prefecture/audit?from=2026-99-99", "audit, a date to correct"),
    ]:
        staff.goto(path)
        scan(staff, label)
        assert_no_horizontal_scroll(staff)
    # A note too long comes back on the form (the browser's maxlength lifted to send it).
    first = required_pieces("change_of_situation", ())[0]
    staff.goto(f"/prefecture/files/{file_id}")
    note = staff.locator(f"#note-{first}")
    note.evaluate("el => el.removeAttribute('maxlength')")
    note.fill("x" * 1001)
    staff.locator(f"#piece-{first} form button[type=submit]").click()
    expect(staff.locator(f"#note-{first}-error")).to_be_visible()
    scan(staff, "file, a note too long")
    # Under review, then released (the next language starts from a file received).
    staff.goto(f"/prefecture/files/{file_id}")
    staff.locator("form[action$='/lock'] button").click()
    expect(staff.locator("form[action$='/unlock'] button")).to_be_visible()
    scan(staff, "file, under review")
    staff.locator("form[action$='/unlock'] button").click()
    expect(staff.locator("form[action$='/lock'] button")).to_be_visible()
    scan.check()
