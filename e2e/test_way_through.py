"""The applicant's way through (issue 10), at 360 px, in French and Arabic.

1. Truthful states, each its own test:
   - check answers offers "Envoyer" only when nothing is missing, else what is
     missing, each a link, and the first of it;
   - online, a refused form (a piece removed on another device between check
     answers and "Envoyer") shows an error summary on the form (links to the
     fields), and nothing is left "à revoir" in the outbox;
   - offline, a message waits: no "sent" confirmation, not even a kept one;
   - a refused item that a later success makes moot leaves "à revoir" by itself
     (the same field saved again; the file sent after all);
   - the status says "Envoyé — en attente de traitement" until the prefecture
     opens the file.
2. The way through in fr and ar: the steps, check answers (summary list, the
   prefecture by name, the declaration), the confirmation page and the
   printable receipt with its QR code; axe on every page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from server import commands as server_commands
from server import translation
from server.auth.policy import Actor
from server.store.db import Database
from server.web import texts
from sync.protocol import Command
from tests import samples

from .helpers import (
    SesameServer,
    answer_questions,
    assert_no_horizontal_scroll,
    continue_after_codes,
    fill_field,
    said,
    signup,
    tr,
)
from .test_offline import (
    ADDRESS,
    IDENTITY,
    SUBMITTABLE,
    account_of,
    command,
    complete_draft,
    new_file,
    push,
    queue_message,
    ready_for_offline,
    remove_pieces_elsewhere,
    rows,
    served,
    wait_outbox_empty,
    wait_until,
)

PHONE = {"width": 360, "height": 740}
AXE = Axe()
INDICATOR = "a[data-outbox-indicator]"
ONE_REFUSED = """async () => {
  const all = await Sesame.outbox.list();
  return all.length === 1 && all[0].state === "refused";
}"""


def person(new_device_factory: Any, name: str, lang: str = "fr") -> tuple[Any, Page]:
    context, page, _ = new_device_factory(locale={"fr": "fr-FR", "ar": "ar"}[lang], viewport=PHONE)
    signup(page, name, lang)
    continue_after_codes(page)
    return context, page


def attach(page: Page, server: SesameServer, file_id: str, piece: str = "residence_card") -> None:
    sent = page.request.post(
        f"/files/{file_id}/pieces/{piece}",
        multipart={
            "files": {"name": "carte.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(3000)}
        },
        headers={"Origin": server.base_url},
    )
    assert sent.ok, sent.text()


def view_as_agent(server: SesameServer, file_id: str) -> None:
    """An agent of the file's prefecture opens it (`file.view`: the `viewed` event)."""
    [file] = rows(server, "SELECT departement FROM files WHERE id = ?", file_id)
    agent = Actor(role="agent", account_id="agent-e2e", prefecture=file["departement"])
    view = Command.from_json(command("file.view", {"file_id": file_id}, "e2e-agent", 1))
    db = Database(server.db_path)
    try:
        assert db.write_sync(server_commands.apply, view, agent).applied
    finally:
        db.close()


def applicant_status(status: str, opened: bool, lang: str = "fr") -> str:
    with translation.language(lang):
        return texts.applicant_status_name(status, opened)


def axe(page: Page, label: str, failures: list[str]) -> None:
    results = AXE.run(page)
    if results.violations_count:
        failures.append(f"--- axe: {label} ({page.url}) ---\n{results.generate_report()}")
    try:
        assert_no_horizontal_scroll(page, PHONE["width"])
    except AssertionError as error:
        failures.append(f"--- 360 px: {label}: {error}")


# -- 1. truthful states ----------------------------------------------------------------------


def test_check_answers_offers_sending_only_when_nothing_is_missing(new_device_factory, server, name):
    _, page = person(new_device_factory, name)
    draft = new_file(page, server, family_name="Incomplet")
    page.goto(f"/files/{draft}/review")
    # What is missing, each with its link; the first of it; no declaration, no send button.
    missing = page.locator("[data-missing] li a")
    expect(missing.first).to_be_visible()
    assert missing.count() > 1
    for link in missing.all():
        assert re.search(
            rf"^/files/{draft}/(situation|identity|address|checklist|grounds)",
            link.get_attribute("href") or "",
        )
    expect(page.locator("form[data-op='file.submit']")).to_have_count(0)
    expect(page.locator("#f-declaration")).to_have_count(0)
    page.locator("[data-first-missing]").click()
    page.wait_for_url(re.compile(rf"/files/{draft}/situation#f-\w+$"))


def test_online_a_refused_form_shows_its_errors_on_the_form_not_in_the_outbox(
    new_device_factory, server, name
):
    _, page = person(new_device_factory, name)
    draft = complete_draft(page, server, family_name="Complet")
    page.goto(f"/files/{draft}/review")
    expect(page.locator("[data-first-missing]")).to_have_count(0)
    page.locator("#f-declaration").check()
    # Between the page and the send, the piece is removed on another device.
    remove_pieces_elsewhere(page, server, draft)
    page.get_by_role("button", name="Envoyer mon dossier à la préfecture").click()
    summary = page.locator("[data-form-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text(tr("fr", "Il y a un problème", "js"))
    expect(summary).to_contain_text(said("message", "incomplete"))
    expect(page).to_have_url(re.compile(rf"/files/{draft}/review$"))
    # Nothing "à revoir": not in the outbox, not in the header, not on the dashboard.
    wait_outbox_empty(page)
    expect(page.locator(INDICATOR)).to_be_hidden()
    page.goto("/dashboard")
    expect(page.locator("[data-pending-files] > li")).to_have_count(0)
    expect(page.locator(INDICATOR)).to_be_hidden()
    assert rows(server, "SELECT status FROM files WHERE id = ?", draft) == [{"status": "draft"}]
    # Check answers again: what is missing now, and no send button.
    page.goto(f"/files/{draft}/review")
    expect(page.locator("[data-first-missing]")).to_have_attribute(
        "href", f"/files/{draft}/checklist#piece-residence_card"
    )
    expect(page.locator("form[data-op='file.submit']")).to_have_count(0)


def test_a_refused_field_links_to_its_field(new_device_factory, server, name):
    """A refusal naming a field: the summary links to it, the field says why."""
    _, page = person(new_device_factory, name)
    file_id = new_file(page, server)
    page.goto(f"/files/{file_id}/address")
    # A value the server refuses for this field (longer than it keeps).
    page.locator("#f-city").evaluate("(el) => el.removeAttribute('maxlength')")
    page.locator("#f-city").fill("x" * 5000)
    page.get_by_role("button", name="Enregistrer et continuer", exact=True).click()
    summary = page.locator("[data-form-summary]")
    expect(summary).to_be_visible()
    link = summary.locator("a[href='#f-city']")
    expect(link).to_be_visible()
    expect(page.locator("#f-city")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(rf"/files/{file_id}/address$"))
    wait_outbox_empty(page)


def test_offline_a_message_waits_and_is_never_said_sent(new_device_factory, server, name):
    context, page = person(new_device_factory, name)
    file_id = new_file(page, server)
    thread = f"/files/{file_id}/messages"
    # Online first: the confirmation page of a sent message is now kept on the device.
    page.goto(thread)
    page.locator("#f-body").fill("Premier message, en ligne.")
    page.get_by_role("button", name="Envoyer le message").click()
    page.wait_for_url(re.compile(r"/messages\?done=message_sent$"))
    expect(page.locator(".alert--success[role=status]")).to_have_text(said("done", "message_sent"))
    ready_for_offline(page, also=(thread, f"{thread}?done=message_sent"))

    context.set_offline(True)
    page.goto(thread)
    served(page, "cache")
    page.locator("#f-body").fill("Second message, hors connexion.")
    queue_message(page)
    expect(page).not_to_have_url(re.compile(r"done="))
    expect(page.locator("[data-pending] li").filter(has_text="Message à la préfecture")).to_have_count(1)
    expect(page.get_by_text(said("done", "message_sent"))).to_have_count(0)
    # Even the kept confirmation page, opened by hand, does not say "sent" offline.
    page.goto(f"{thread}?done=message_sent")
    served(page, "cache")
    expect(page.locator("[data-pending] li")).to_have_count(1)
    expect(page.get_by_text(said("done", "message_sent"))).to_have_count(0)

    context.set_offline(False)
    page.goto(thread)
    wait_outbox_empty(page)


BAD_CITY = """async ([account, fileId]) => {
  await Sesame.outbox.add(account, "file.update", {file_id: fileId, fields: {city: ["Paris"]}}, {label: "Adresse", page: location.pathname});
  await Sesame.flush();
}"""


def test_a_refused_field_leaves_to_revise_when_saved_again(new_device_factory, server, name):
    _, page = person(new_device_factory, name)
    file_id = new_file(page, server)
    address = f"/files/{file_id}/address"
    page.goto(address)
    # Refused in a background send (as after a time offline): it waits "à revoir".
    page.evaluate(BAD_CITY, [account_of(page), file_id])
    wait_until(page, ONE_REFUSED, what="the city waits à revoir")
    page.reload()
    expect(page.locator(INDICATOR)).to_be_visible()
    # The same field saved again, online: the refused one is moot and leaves by itself.
    for field, value in ADDRESS.items():
        fill_field(page, field, value)
    page.get_by_role("button", name="Enregistrer et continuer", exact=True).click()
    page.wait_for_url(f"**/files/{file_id}/checklist")
    wait_outbox_empty(page)
    page.reload()
    expect(page.locator(INDICATOR)).to_be_hidden()
    expect(page.locator("[data-pending]")).to_be_hidden()


def test_a_refused_sending_leaves_to_revise_once_the_file_is_sent(new_device_factory, server, name):
    context, page = person(new_device_factory, name)
    draft = complete_draft(page, server, family_name="Bientôt")
    review = f"/files/{draft}/review"
    page.goto(review)
    ready_for_offline(page, also=(review,))
    # The piece removed on another device: the page kept on this one still offers "Envoyer".
    remove_pieces_elsewhere(page, server, draft)
    context.set_offline(True)
    page.goto(review)
    served(page, "cache")
    page.locator("#f-declaration").check()
    page.get_by_role("button", name="Envoyer mon dossier à la préfecture").click()
    page.wait_for_url(re.compile(rf"/files/{draft}$"))  # the file's page, never its confirmation
    context.set_offline(False)
    page.goto("/outbox")
    wait_until(page, ONE_REFUSED, what="the sending is refused: incomplete")
    page.reload()
    expect(page.locator("[data-outbox-refused] > li.card")).to_have_count(1)

    # Completed again, then sent online: the refused sending has nothing left to say.
    attach(page, server, draft)
    page.goto(review)
    page.locator("#f-declaration").check()
    page.get_by_role("button", name="Envoyer mon dossier à la préfecture").click()
    page.wait_for_url(f"**/files/{draft}/confirmation")
    wait_outbox_empty(page)
    page.reload()
    expect(page.locator(INDICATOR)).to_be_hidden()


def test_the_status_says_sent_until_the_prefecture_opens_the_file(new_device_factory, server, name):
    _, page = person(new_device_factory, name)
    file_id = new_file(page, server, **SUBMITTABLE)
    attach(page, server, file_id)
    assert (
        push(page, server, [command("file.submit", {"file_id": file_id})]).json()["results"][0]["status"]
        == "applied"
    )
    page.goto(f"/files/{file_id}")
    badge = page.locator("#status-title .badge")
    expect(badge).to_have_text(applicant_status("submitted", False))
    expect(page.locator("main")).not_to_contain_text("Reçu par la préfecture")
    page.goto("/dashboard")
    expect(page.locator("li.file-card .badge").first).to_have_text(applicant_status("submitted", False))
    view_as_agent(server, file_id)
    page.goto(f"/files/{file_id}")
    expect(badge).to_have_text(applicant_status("submitted", True))


# -- 2. the way through, fr and ar -------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_way_through_at_360_px(lang, new_device_factory, server, name):
    failures: list[str] = []
    _, page = person(new_device_factory, f"{name} {lang}", lang)
    # The way in itself (questions, help, task list) is e2e/test_way_in.py.
    page.goto("/files/new")
    axe(page, "files/new", failures)
    answer_questions(page, "change_of_situation")
    expect(page.locator("input[name=answer]:checked")).to_have_count(0)  # no answer chosen for the person
    axe(page, "the pieces before the file", failures)
    page.locator("form[action='/files'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    file_id = page.url.split("/")[-1]
    page.goto(f"/files/{file_id}/situation")
    nexts = "form[data-op='file.update'] button[type=submit]:not([value=stay])"

    page.locator("#f-change_kind").select_option("address")
    page.locator("#f-change_details").fill(SUBMITTABLE["change_details"])
    axe(page, "situation", failures)
    page.locator(nexts).click()
    page.wait_for_url(f"**/files/{file_id}/identity")
    for field, value in IDENTITY.items():
        fill_field(page, field, value)
    axe(page, "identity", failures)
    page.locator(nexts).click()
    page.wait_for_url(f"**/files/{file_id}/address")
    for field, value in {**ADDRESS, "phone": SUBMITTABLE["phone"]}.items():
        fill_field(page, field, value)
    axe(page, "address", failures)
    page.locator(nexts).click()
    page.wait_for_url(f"**/files/{file_id}/checklist")
    card = page.locator("#piece-residence_card")
    card.locator("#files-residence_card").set_input_files(
        {"name": "titre.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(3000)}
    )
    expect(card.locator("ol.attachments > li")).to_have_count(1)  # sent as soon as chosen
    axe(page, "checklist", failures)

    # Check your answers: every answer on its row with its "Modifier", the prefecture by name.
    page.goto(f"/files/{file_id}/review")
    rows_ = page.locator(".summary-list__row")
    expect(rows_.first).to_be_visible()
    with translation.language(lang):
        change = translation.gettext("Modifier")
        birth = texts.field_label("birth_date")
    expect(page.locator(".summary-list__actions a", has_text=change).first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Seine-Saint-Denis")
    birth_row = rows_.filter(has=page.locator("dt", has_text=birth))
    expect(birth_row.locator("dd").first).not_to_contain_text("1990-03-21")  # written out
    expect(birth_row.locator("dd").first).to_contain_text("1990")
    expect(page.locator(".summary-list .file-list bdi", has_text="titre.pdf")).to_be_visible()
    axe(page, "check answers", failures)
    # The declaration is asked before sending.
    page.locator("form[data-op='file.submit'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/files/{file_id}/review$"))
    assert page.locator("#f-declaration").evaluate("(el) => !el.checkValidity()")
    page.locator("#f-declaration").check()
    page.locator("form[data-op='file.submit'] button[type=submit]").click()

    # Confirmation: the number, large and kept left-to-right in Arabic too.
    page.wait_for_url(f"**/files/{file_id}/confirmation")
    [file] = rows(server, "SELECT number FROM files WHERE id = ?", file_id)
    number = page.locator(".panel__number bdi")
    expect(number).to_have_text(file["number"])
    expect(number).to_have_attribute("dir", "ltr")
    expect(page.locator("main")).to_contain_text("Seine-Saint-Denis")
    axe(page, "confirmation", failures)
    page.locator(f"a[href='/files/{file_id}/receipt']").first.click()
    page.wait_for_url(f"**/files/{file_id}/receipt")
    expect(page.locator(".receipt__qr svg")).to_be_visible()
    expect(page.locator(".receipt .panel__number")).to_have_text(file["number"])
    axe(page, "receipt", failures)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    page.emulate_media(media="screen")
    # Reachable later from the file's page, whose status says no more than is true.
    page.goto(f"/files/{file_id}")
    expect(page.locator(f"a[href='/files/{file_id}/receipt']")).to_be_visible()
    expect(page.locator("#status-title .badge")).to_have_text(applicant_status("submitted", False, lang))
    axe(page, "file sent", failures)
    assert not failures, "\n".join(failures)
