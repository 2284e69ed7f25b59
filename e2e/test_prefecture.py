"""The back office, two browsers: an applicant (a real passkey) sends a file; an
agent of the prefecture, invited by link and enrolled with a real passkey, finds
it in the inbox, opens it, accepts a piece and takes it for review; the applicant
sees "viewed by the prefecture" and the review state. The new pages pass axe in
French and Arabic at 320 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    assert_no_horizontal_scroll,
    continue_after_codes,
    enrol,
    invite,
    sign_out,
    signup,
    tr,
)
from .test_accessibility import Scanner, set_language
from .test_files import next_button, payload, pdf, photo, piece_label, required_pieces, start_file, upload

SEINE_SAINT_DENIS = "Seine-Saint-Denis (93)"


def send_a_file(page: Page, family_name: str) -> str:
    """A change of address, filled in and sent from the applicant's browser."""
    file_id = start_file(page, "change_of_situation")
    page.locator("#f-change_kind").select_option("address")
    page.locator("#f-change_details").fill("Nouvelle adresse à Saint-Denis depuis le 1er mars.")
    page.locator("#f-current_permit_expiry").fill("2026-01-15")  # already lapsed: on top
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/identity")
    for name, value in [
        ("family_name", family_name),
        ("given_names", "Awa"),
        ("birth_date", "1990-05-04"),
        ("birth_place", "Bamako, Mali"),
        ("nationality", "malienne"),
    ]:
        page.locator(f"#f-{name}").fill(value)
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/address")
    page.locator("#f-street").fill("3 rue de la République")
    page.locator("#f-postcode").fill("93200")
    page.locator("#f-city").fill("Saint-Denis")
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/checklist")
    for piece in required_pieces("change_of_situation", ()):
        if piece == "identity_photo":
            upload(page, file_id, piece, [payload("photo.png", photo(), "image/png")])
        else:
            upload(page, file_id, piece, [payload(f"{piece}.pdf", pdf(tag=piece))])
    page.goto(f"/files/{file_id}/review")
    page.get_by_role("button", name="Envoyer mon dossier à la préfecture").click()
    expect(page).to_have_url(re.compile(rf"/files/{file_id}\?done=submitted$"))
    return file_id


def sign_in_staff(page: Page) -> None:
    """Staff land on the files received, not on the dashboard."""
    page.goto("/signin")
    page.locator("[data-passkey-start]").click()
    page.wait_for_url("**/prefecture")


@pytest.mark.parametrize("lang", ["fr"])
def test_an_agent_reviews_a_file_and_the_applicant_sees_it(lang, server, new_device_factory, name):
    # The national administrator (bootstrap link) invites an agent of Seine-Saint-Denis.
    _, admin, _ = new_device_factory()
    if server.bootstrap_link:
        enrol(admin, server.bootstrap_link, "Admin National")
    link = invite(admin, role="agent", prefecture="93", name="Jeanne Agent")

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
    card.get_by_role("link").first.click()
    agent.wait_for_url(f"**/prefecture/files/{file_id}")
    expect(agent.locator("h1")).to_contain_text(family.upper())
    expect(agent.locator("#changes-title + p")).to_have_text("C’est la première fois que vous ouvrez ce dossier.")
    # The photo is shown in the page (through the audited route).
    image = agent.locator("img.piece-image").first
    expect(image).to_be_visible()
    assert agent.evaluate("(img) => img.naturalWidth", image.element_handle()) > 0
    assert_no_horizontal_scroll(agent)

    # Accept the first piece, then take the file for review.
    first = required_pieces("change_of_situation", ())[0]
    piece_card = agent.locator(f"#piece-{first}")
    piece_card.locator("textarea[name=note]").fill("Lisible et complet.")
    piece_card.get_by_role("button", name=re.compile("^Accepter la pièce")).click()
    expect(agent.locator(".alert--success[role=status]")).to_have_text("La pièce est acceptée.")
    expect(agent.locator(f"#piece-{first} .badge").first).to_have_text("Acceptée")
    agent.get_by_role("button", name="Prendre en examen").click()
    expect(agent.locator(".alert--success[role=status]")).to_contain_text("Le dossier est pris en examen")
    expect(agent.locator("ul.dates")).to_contain_text("Pris en examen par Jeanne Agent")
    agent.goto("/prefecture")
    expect(agent.locator("ol.inbox > li").first).to_contain_text("Pris en examen par Jeanne Agent")

    # The applicant: viewed by the prefecture (the service, not the agent), under review.
    applicant.goto(f"/files/{file_id}")
    expect(applicant.locator("#status-title .badge")).to_have_text("En cours d’examen")
    history = applicant.locator("ol.timeline")
    expect(history).to_contain_text(f"Dossier consulté par la préfecture : {SEINE_SAINT_DENIS}")
    expect(history).to_contain_text(f"Pièce acceptée par la préfecture : {piece_label(first)} — Lisible et complet.")
    expect(history).not_to_contain_text("Jeanne")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_back_office_pages_are_accessible_at_320_px(lang, server, new_device_factory, name):
    scan = Scanner(lang)
    locale = {"fr": "fr-FR", "ar": "ar"}[lang]
    _, admin, _ = new_device_factory()
    if server.bootstrap_link and lang == "fr":
        enrol(admin, server.bootstrap_link, "Admin National")
    else:
        pytest.skip("the national administrator is enrolled by the first run") if not server.bootstrap_link and lang == "fr" else None
    EOF_MARKER = None  # noqa
