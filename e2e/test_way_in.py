"""The way in (issue 10, items 2-4), at 360 px, in French and Arabic:

the start page (who it is for, what you need, how long, the other ways to apply,
who can help; the language switch at the top) → one question per page, nothing
chosen in advance, "Je ne sais pas" leading to help and back, legal references
only in an expander → the pieces before the file ("Voici ce qu'il vous faudra")
→ "Créer mon dossier" → the task list (à compléter / en cours / terminé), a date
given in part (the year of arrival) written out on check answers, "Envoyer"
offered only once nothing is missing. Axe on every page.

Also: the same way with JavaScript off (plain GET forms and redirects), and the
way in offline (the questions answered from the device, the file kept in the outbox
and sent once when the network returns).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from server.domain import catalogue
from tests import samples

from .helpers import SAFETY_NET, answer_questions, continue_after_codes, fill_field, signup, tr
from .test_offline import IDENTITY, ready_for_offline, rows, served, wait_outbox_empty
from .test_way_through import PHONE, axe, person

PROCEDURE, GROUND = "first_application", "parent_of_french_child"
OUTCOME = f"{PROCEDURE}.{GROUND}"
ADDRESS = {"street": "12 rue de la République", "postcode": "93200", "city": "Saint-Denis"}


def attach_all(page: Page, server: Any, file_id: str) -> None:
    """Every piece the file asks for, sent as the checklist's form would (plain posts)."""
    cat = catalogue.load()
    for item in cat.checklist(PROCEDURE, [GROUND]):
        if item.optional:
            continue
        types = cat.media_types(item.piece.id)
        one = (
            {"name": "page.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(3000)}
            if "application/pdf" in types
            else {"name": "photo.png", "mimeType": "image/png", "buffer": samples.png(64, 64)}
        )
        sent = page.request.post(
            f"/files/{file_id}/pieces/{item.piece.id}",
            multipart={"files": one},
            headers={"Origin": server.base_url},
        )
        assert sent.ok, sent.text()


def state_of(page: Page, task: str) -> Any:
    return page.locator(f"[data-task='{task}'] [data-state]")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_way_in_at_360_px(lang, new_device_factory, server, name):
    failures: list[str] = []
    _, page = person(new_device_factory, f"{name} {lang}", lang)
    t = lambda msgid, **values: tr(lang, msgid, **values)  # noqa: E731

    # The start page, reached from the dashboard; the language switch at the top.
    page.get_by_role("link", name=t("Commencer une démarche"), exact=True).click()
    page.wait_for_url("**/files/new")
    main = page.locator("main")
    for heading in (
        "Pour qui",
        "Ce qu’il vous faut",
        "Combien de temps",
        "Les autres façons de faire votre demande",
        "Qui peut vous aider",
    ):
        expect(main.get_by_role("heading", name=t(heading), exact=True)).to_be_visible()
    expect(main.get_by_role("link", name=t("Trouver ma préfecture"))).to_have_attribute(
        "href", "/prefectures"
    )
    switch = page.locator("form.header-languages")
    expect(switch).to_be_visible()
    assert switch.bounding_box()["y"] < main.bounding_box()["y"]  # above the page's content
    axe(page, "start page", failures)

    # First question: nothing chosen; "Continuer" with no answer says so.
    page.get_by_role("link", name=t("Commencer"), exact=True).click()
    page.wait_for_url("**/files/new/q/permit")
    expect(page.locator("input[name=answer]:checked")).to_have_count(0)
    page.locator("form[data-question] button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a")).to_have_attribute("href", "#f-answer")
    axe(page, "question with its error", failures)

    # "Je ne sais pas": help, then back to the same question.
    page.locator("input[name=answer][value=dont_know]").check()
    page.locator("form[data-question] button[type=submit]").click()
    page.wait_for_url("**/files/new/help?from=permit")
    expect(page.locator("main h1")).to_have_text(t("Vous ne savez pas quoi répondre ?"))
    expect(page.locator("main").get_by_role("link", name=t("Je suis bloqué·e"))).to_have_attribute(
        "href", "/blocked"
    )
    axe(page, "help", failures)
    page.get_by_role("link", name=t("Revenir à la question"), exact=True).click()
    page.wait_for_url("**/files/new/q/permit")

    # No permit yet → the reason → the situation; legal references only in the expander.
    page.locator("input[name=answer][value=no]").check()
    page.locator("form[data-question] button[type=submit]").click()
    page.wait_for_url(f"**/files/new/q/{PROCEDURE}.reason")
    axe(page, "question: the reason", failures)
    page.locator("input[name=answer][value=family]").check()
    page.locator("form[data-question] button[type=submit]").click()
    page.wait_for_url(f"**/files/new/q/{PROCEDURE}.family")
    expect(page.locator("label", has_text="L.423-7")).to_have_count(0)
    legal = page.locator("details")
    expect(legal.locator("li", has_text="L.423-7")).to_be_hidden()
    legal.locator("summary").click()
    expect(legal.locator("li", has_text="L.423-7")).to_be_visible()
    axe(page, "question: the situation (expander open)", failures)
    page.locator(f"input[name=answer][value={GROUND}]").check()
    page.locator("form[data-question] button[type=submit]").click()

    # The pieces, before the file exists.
    page.wait_for_url(f"**/files/new/for/{OUTCOME}")
    expect(page.locator("main h1")).to_have_text(t("Voici ce qu’il vous faudra"))
    for item in catalogue.load().checklist(PROCEDURE, [GROUND]):
        expect(page.locator(".piece-preview li", has_text=item.piece.label(lang)).first).to_be_visible()
    assert (
        rows(
            server,
            "SELECT id FROM files WHERE owner_id = (SELECT id FROM accounts WHERE display_name = ?)",
            f"{name} {lang}",
        )
        == []
    )
    axe(page, "the pieces before the file", failures)
    page.get_by_role("button", name=t("Créer mon dossier"), exact=True).click()

    # The task list.
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    file_id = page.url.rsplit("/", 1)[-1]
    expect(state_of(page, "identity")).to_have_text(t("À compléter"))
    expect(state_of(page, "situation")).to_have_text(t("Terminé"))
    expect(state_of(page, f"pieces:{GROUND}")).to_have_text(t("À compléter"))
    expect(page.locator("[data-task='declaration'] a")).to_have_count(0)  # not before the rest
    expect(page.locator("[data-send]")).to_have_count(0)
    axe(page, "task list (new file)", failures)

    # The year of arrival alone; identity and address; then the first missing item.
    page.goto(f"/files/{file_id}/situation")
    fill_field(page, "entry_date", "2019")
    expect(page.locator("[data-autosave-status]")).not_to_be_empty()  # saved as typed
    wait_outbox_empty(page)
    page.reload()
    expect(page.locator("#f-entry_date-year")).to_have_value("2019")
    expect(page.locator("#f-entry_date")).to_have_value("")
    axe(page, "situation: a date in three boxes", failures)
    page.goto(f"/files/{file_id}")
    page.locator("[data-first-missing]").click()
    page.wait_for_url(re.compile(rf"/files/{file_id}/identity#f-family_name$"))
    for field, value in IDENTITY.items():
        fill_field(page, field, value)
    page.locator("form[data-op='file.update'] button[value=next]").click()
    page.wait_for_url(f"**/files/{file_id}/address")
    for field, value in ADDRESS.items():
        fill_field(page, field, value)
    page.locator("form[data-op='file.update'] button[value=next]").click()
    page.wait_for_url(f"**/files/{file_id}/checklist")
    page.goto(f"/files/{file_id}")
    expect(state_of(page, "identity")).to_have_text(t("Terminé"))
    expect(state_of(page, "address")).to_have_text(t("Terminé"))
    expect(page.locator("[data-send]")).to_have_count(0)  # pieces still missing
    first = catalogue.load().checklist(PROCEDURE, [GROUND])[0].piece.id
    expect(page.locator("[data-first-missing]")).to_have_attribute(
        "href", f"/files/{file_id}/checklist#piece-{first}"
    )

    # Every piece: "Vérifier et envoyer" at last; the year alone, written out.
    attach_all(page, server, file_id)
    page.reload()
    expect(state_of(page, f"pieces:{GROUND}")).to_have_text(t("Terminé"))
    expect(page.locator("[data-first-missing]")).to_have_count(0)
    axe(page, "task list (complete)", failures)
    page.locator("[data-send]").click()
    page.wait_for_url(f"**/files/{file_id}/review")
    arrival = page.locator(".summary-list__row").filter(
        has=page.locator("dt", has_text=t("Date d’arrivée en France"))
    )
    expect(arrival.locator("dd").first).to_have_text("2019")
    page.locator("#f-declaration").check()
    page.locator("form[data-op='file.submit'] button[type=submit]").click()
    page.wait_for_url(f"**/files/{file_id}/confirmation")
    assert not failures, "\n".join(failures)


def test_the_way_in_without_javascript(new_device_factory, new_plain_context, server, name):
    context, page, _ = new_device_factory(viewport=PHONE)
    signup(page, name)
    continue_after_codes(page)
    page2 = new_plain_context(
        java_script_enabled=False, viewport=PHONE, storage_state=context.storage_state()
    ).new_page()
    page2.goto("/files/new/q/permit")
    page2.locator("form[data-question] button[type=submit]").click()  # no answer: the server says so
    expect(page2.locator(".error-summary a")).to_have_attribute("href", "#f-answer")
    page2.locator("input[name=answer][value=yes]").check()
    page2.locator("form[data-question] button[type=submit]").click()
    page2.wait_for_url("**/files/new/q/what")
    page2.locator("input[name=answer][value=duplicate]").check()
    page2.locator("form[data-question] button[type=submit]").click()
    page2.wait_for_url("**/files/new/for/duplicate")
    page2.get_by_role("button", name="Créer mon dossier", exact=True).click()
    page2.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    file_id = page2.url.rsplit("/", 1)[-1]
    # A partial date where allowed (the day of a loss is often forgotten), approximate.
    page2.goto(f"/files/{file_id}/situation")
    page2.locator("#f-loss_date-month").fill("3")
    page2.locator("#f-loss_date-year").fill("2024")
    page2.locator("#f-loss_date-approx").check()
    page2.locator("form[data-op='file.update'] button[value=stay]").click()
    page2.wait_for_url(re.compile(rf"/files/{file_id}/situation\?done=saved"))
    [field] = rows(server, "SELECT value FROM file_fields WHERE file_id = ? AND name = 'loss_date'", file_id)
    assert field["value"] == "2024-03~"
    page2.goto(f"/files/{file_id}/review")
    loss = page2.locator(".summary-list__row").filter(
        has=page2.locator("dt", has_text="Date de la perte ou du vol")
    )
    expect(loss.locator("dd").first).to_have_text("vers mars 2024")


def test_the_way_in_offline_keeps_the_new_file(new_device_factory, server, name):
    context, page = person(new_device_factory, name)
    ready_for_offline(page)
    context.set_offline(True)
    page.goto("/files/new")
    served(page, "cache")
    answer_questions(page, PROCEDURE, GROUND)
    served(page, "cache")
    page.get_by_role("button", name="Créer mon dossier", exact=True).click()
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    file_id = page.url.rsplit("/", 1)[-1]
    served(page, "shell")
    assert rows(server, "SELECT id FROM files WHERE id = ?", file_id) == []
    context.set_offline(False)
    page.goto("/dashboard")
    wait_outbox_empty(page, timeout=SAFETY_NET)
    [file] = rows(server, "SELECT procedure, grounds FROM files WHERE id = ?", file_id)
    assert file == {"procedure": PROCEDURE, "grounds": f'["{GROUND}"]'}
