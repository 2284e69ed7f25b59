"""Applicants' files ("dossiers"), as a person does it in the browser: start a renewal
and a change of address side by side, fill the steps (autosave), put files on the
checklist (three 8 MB files on one piece, in one go), submit, amend, follow it all in
the file's history and on /timeline; a renamed executable refused; withdraw; messages
with an attachment; "download all my data"; and axe + 320 px on every new page, in
French and in Arabic.

One server for the module and one signed-up person (`person`) for the journeys; the
accessibility test signs up its own person in each language.

The pages work as plain HTML forms, and with JavaScript their forms become commands
sent through the device's outbox (pwa/forms.js: files are uploaded in resumable
chunks, then the page goes where the server would have redirected). These tests run
with JavaScript, as a person's phone does, and wait for what the person sees (the next
page, the listed files, an alert), not for one way of getting there; the renamed
executable is also tried without JavaScript, where the server's own check answers.
"""

from __future__ import annotations

import html
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect

from server import translation
from server.domain import catalogue as catalogue_module
from server.domain import geography
from server.domain.timeline import Event
from server.web import texts
from tests import samples

from .helpers import (
    SAFETY_NET,
    SesameServer,
    answer_questions,
    assert_no_horizontal_scroll,
    continue_after_codes,
    expect_field,
    fill_field,
    new_device,
    said,
    signup,
    tr,
)

MB = 1024 * 1024
PHONE = {"width": 320, "height": 640}
FILE_URL = re.compile(r"/files/([0-9a-f-]{36})(?:/|\?|$)")
AXE = Axe()


# -- sample files and words -------------------------------------------------------


def pdf(size: int = 3000, tag: str = "") -> bytes:
    """A valid PDF of `size` bytes; `tag` makes its bytes (its hash) its own."""
    data = samples.pdf(size)
    if tag:
        mark = f"[{tag}]".encode()
        data = data.replace(b"x" * len(mark), mark, 1)
        assert mark in data and len(data) == len(samples.pdf(size))
    return data


def photo(width: int = 240, height: int = 320) -> bytes:
    """A sharp, well-lit PNG (a fine checkerboard): the phone's blur and darkness checks
    (pwa/compress.js) have no reason to ask whether to retake it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + bytes(255 if (x // 2 + y // 2) % 2 else 40 for x in range(width)) for y in range(height)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def payload(name: str, data: bytes, mime: str = "application/pdf") -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


def piece_label(piece_id: str) -> str:
    return catalogue_module.load().pieces[piece_id].label("fr")


def procedure_label(procedure_id: str) -> str:
    return catalogue_module.load().procedures[procedure_id].label("fr")


def history_line(kind: str, **data: Any) -> str:
    """What the history says for an event (the app's own words, in French)."""
    event = Event(
        id=0,
        file_id=None,
        person_id="",
        at="",
        actor_id=None,
        actor_role=None,
        kind=kind,
        data=data,
        after_submission=False,
    )
    with translation.language("fr"):
        return texts.describe(event)


def status_name(status: str) -> str:
    with translation.language("fr"):
        return texts.applicant_status_name(status, False)  # the applicant side, not yet opened


def field_label(name: str) -> str:
    with translation.language("fr"):
        return texts.field_label(name)


def added(piece: str, filename: str) -> str:
    return history_line("piece_added", piece=piece, filename=filename)


def required_pieces(procedure: str, grounds: tuple[str, ...]) -> list[str]:
    return [i.piece.id for i in catalogue_module.load().checklist(procedure, grounds) if not i.optional]


# -- what a person does ---------------------------------------------------------------


def start_file(page: Page, procedure: str, grounds: tuple[str, ...] = (), title: str = "") -> str:
    """From the dashboard's button: the start page, the questions (one per page),
    the pieces, "Créer mon dossier"; more grounds and a card on the file's grounds
    page. Returns the file's id; ends on the file's first step (situation)."""
    page.goto("/dashboard")
    page.get_by_role("link", name="Commencer une démarche", exact=True).click()
    page.wait_for_url("**/files/new")
    answer_questions(page, procedure, grounds[0] if grounds else None)
    page.get_by_role("button", name="Créer mon dossier", exact=True).click()
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    found = FILE_URL.search(page.url)
    assert found, page.url
    file_id = found.group(1)
    if grounds[1:] or title:
        page.goto(f"/files/{file_id}/grounds")
        for ground in grounds[1:]:
            page.locator(f"#g-{ground}").check()
        if title:
            page.locator(f"#t-{title}").check()
        page.get_by_role("button", name="Enregistrer", exact=True).click()
        page.wait_for_url(f"**/files/{file_id}/checklist")
    page.goto(f"/files/{file_id}/situation")
    return file_id


def file_number(page: Page) -> str:
    """The readable number ("2026-000042") in a file page's heading."""
    text = page.locator("main .eyebrow").first.inner_text()
    found = re.search(r"\d{4}-\d{6}", text)
    assert found, text
    return found.group(0)


def upload(
    page: Page,
    file_id: str,
    piece: str,
    files: Sequence[FilePayload] | Sequence[Path],
) -> Locator:
    """On the checklist, add `files` to one piece in one submission; returns its card,
    once the checklist is back with them (ready for the next upload)."""
    page.goto(f"/files/{file_id}/checklist")
    card = page.locator(f"#piece-{piece}")
    before = card.locator("ol.attachments > li").count()
    # The piece's one control: choosing sends (no second button).
    card.locator(f"#files-{piece}").set_input_files(files)
    expect(page).to_have_url(re.compile(rf"/files/{file_id}/checklist\?done=pieces_added&open={piece}"))
    expect(card.locator("ol.attachments > li")).to_have_count(before + len(files))
    return card


def save_and_stay(page: Page) -> None:
    """ "Enregistrer": the same step comes back, with what was saved."""
    path = re.sub(r"^https?://[^/]+|[?#].*$", "", page.url)
    with page.expect_navigation():
        page.locator("form[data-autosave] button[name=then][value=stay]").click()
    # The page reloads itself once the command is sent: let that finish first,
    # or our own navigation would cut it (net::ERR_ABORTED).
    page.wait_for_load_state("load")
    page.goto(path)  # from the server, whatever the last page showed


def next_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Enregistrer et continuer", exact=True)


def timeline_items(page: Page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("ol.timeline > li").all_inner_texts()]


def index_of(items: list[str], text: str, *, after_submission: bool | None = None) -> int:
    """The position of the (only) history line containing `text` (spaces read as the
    lines are: a non-breaking one is a space)."""
    text = " ".join(text.split())
    found = [i for i, item in enumerate(items) if text in item]
    assert len(found) == 1, f"{text!r} in {len(found)} history lines:\n" + "\n".join(items)
    if after_submission is not None:
        assert ("après l’envoi" in items[found[0]]) is after_submission, items[found[0]]
    return found[0]


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def person(browser: Browser, server: SesameServer) -> Iterator[Page]:
    """A new applicant (no foreign-national number), signed in, in French."""
    context, page, _ = new_device(browser, server.base_url)
    signup(page, "Awa Dossiers")
    continue_after_codes(page)
    yield page
    context.close()


@pytest.fixture
def applicant(person: Page, watched_pages: list[Page]) -> Page:
    watched_pages.append(person)
    return person


# -- 1. the scenario ----------------------------------------------------------

RENEWAL_GROUNDS = ("parent_of_french_child",)
BIG = "child_upbringing_proof"  # the piece that receives the three 8 MB files
LATE = "proof_of_address"  # the piece completed after submission


def test_renewal_and_change_of_address_submitted_then_amended(applicant, tmp_path):
    page = applicant

    # Two procedures side by side: a renewal and a change of address.
    renewal = start_file(page, "renewal", RENEWAL_GROUNDS)
    renewal_number = file_number(page)
    moving = start_file(page, "change_of_situation")
    moving_number = file_number(page)
    page.locator("#f-change_kind").select_option("address")
    page.locator("#f-change_details").fill("Nouvelle adresse à Saint-Denis depuis le 1er mars.")
    save_and_stay(page)
    expect(page.locator("#f-change_kind")).to_have_value("address")
    expect(page.locator("#f-change_details")).to_have_value(
        "Nouvelle adresse à Saint-Denis depuis le 1er mars."
    )

    page.goto("/dashboard")
    for file_id, number, procedure in [
        (renewal, renewal_number, "renewal"),
        (moving, moving_number, "change_of_situation"),
    ]:
        card = page.locator("li.file-card").filter(has_text=f"Dossier n° {number}")
        expect(card).to_have_count(1)
        expect(card.locator("h3")).to_have_text(procedure_label(procedure))
        expect(card.locator("h3 a")).to_have_attribute("href", f"/files/{file_id}")
        expect(card.locator(".badge").first).to_have_text(status_name("draft"))
    expect(page.get_by_role("link", name="Mon historique complet")).to_have_attribute("href", "/timeline")
    expect(page.get_by_role("link", name="Télécharger toutes mes données")).to_have_attribute(
        "href", "/account/export"
    )

    # The renewal, step by step. Situation:
    page.goto(f"/files/{renewal}/situation")
    fill_field(page, "current_permit_expiry", "2026-12-31")
    next_button(page).click()
    page.wait_for_url(f"**/files/{renewal}/identity")

    # Identity, saved as it is typed (autosave): still there after a reload.
    page.evaluate(
        """() => { window.e2eSaved = [];
        document.querySelector("form[data-autosave]").addEventListener("autosave:saved",
          (event) => window.e2eSaved.push(...Object.keys(event.detail.fields))); }"""
    )
    identity = {
        "family_name": "Diallo",
        "given_names": "Awa Mariama",
        "birth_date": "1990-03-21",
        "birth_place": "Dakar, Sénégal",
        "nationality": "sénégalaise",
    }
    for name, value in identity.items():
        fill_field(page, name, value)
    expect(page.locator("[data-autosave-status]")).to_have_text(re.compile(r"^Enregistré à \d{1,2}:\d{2}\.$"))
    page.wait_for_function(
        "(names) => names.every((n) => window.e2eSaved.includes(n))",
        arg=list(identity),
        timeout=SAFETY_NET * 1000,
    )
    page.reload()
    for name, value in identity.items():
        expect_field(page, name, value)
    expect(page.locator("#f-foreign_number")).to_have_value("")  # this person has none
    next_button(page).click()
    page.wait_for_url(f"**/files/{renewal}/address")

    # Address: the postcode names the prefecture.
    page.locator("#f-street").fill("12 rue de la République")
    page.locator("#f-postcode").fill("93200")
    page.locator("#f-city").fill("Saint-Denis")
    page.locator("#f-phone").fill("06 12 34 56 78")
    page.locator("#f-email").fill("awa.diallo@example.org")
    save_and_stay(page)
    expect(page.locator("#f-postcode")).to_have_value("93200")
    seine_saint_denis = geography.for_postcode("93200")
    assert seine_saint_denis is not None
    expect(page.locator("main")).to_contain_text(f"{seine_saint_denis.name} ({seine_saint_denis.code})")
    next_button(page).click()
    page.wait_for_url(f"**/files/{renewal}/checklist")

    # Three files of 8 MB (24 MB in all) on one piece, in one upload. Picked from the
    # phone's storage: files on disk (24 MB of buffer payloads would go through the
    # page's JavaScript and take seconds).
    big = [tmp_path / f"preuve-{i}.pdf" for i in (1, 2, 3)]
    for i, path in enumerate(big, 1):
        path.write_bytes(pdf(8 * MB, tag=f"preuve {i}"))
    control = page.locator(f"#piece-{BIG} form.upload-form label[for=files-{BIG}]")
    expect(control).to_have_text("Ajouter une photo ou un fichier")
    card = upload(page, renewal, BIG, big)
    expect(page.locator(".alert--success[role=status]")).to_have_text(said("done", "pieces_added"))
    listed = card.locator("ol.attachments > li")
    expect(listed).to_have_count(3)
    for i in (1, 2, 3):
        line = listed.filter(has=page.get_by_role("link", name=f"preuve-{i}.pdf", exact=True))
        expect(line).to_contain_text(re.compile(r"\b8[.,]0 Mo\b"))
    expect(card.locator("[data-piece-state]")).to_have_text(re.compile("^3 fichiers"))

    # The other required pieces: small PDFs, and a PNG for the photo (images only).
    others = [p for p in required_pieces("renewal", RENEWAL_GROUNDS) if p != BIG]
    assert "identity_photo" in others
    for piece in others:
        if piece == "identity_photo":
            files = [payload("photo.png", photo(), "image/png")]
        else:
            files = [payload(f"{piece}.pdf", pdf(tag=piece))]
        upload(page, renewal, piece, files)

    # Review: nothing left to do; submit.
    page.goto(f"/files/{renewal}/checklist")
    page.get_by_role("link", name="Continuer : vérifier et envoyer").click()
    page.wait_for_url(f"**/files/{renewal}/review")
    expect(page.locator("h1")).to_have_text("Vérifier vos réponses")
    expect(page.locator("main .alert--warning")).to_have_count(0)  # nothing left to do
    foreign_number = page.locator(".summary-list dt", has_text=field_label("foreign_number"))
    expect(foreign_number.locator("xpath=following-sibling::dd[1]")).to_have_text(
        "—"
    )  # none, and that is fine
    page.get_by_label(re.compile("^Je déclare que les informations")).check()
    page.get_by_role("button", name="Envoyer mon dossier à la préfecture").click()
    expect(page).to_have_url(re.compile(rf"/files/{renewal}/confirmation$"))
    expect(page.locator("h1")).to_have_text("Dossier envoyé")
    page.get_by_role("link", name="Aller à la page du dossier").click()
    expect(page.locator("#status-title .badge")).to_have_text(status_name("submitted"))

    # Amend after submission: a new phone number, and one more file.
    page.goto(f"/files/{renewal}/address")
    expect(page.locator("main")).to_contain_text("Ce dossier est déjà envoyé")
    page.locator("#f-phone").fill("07 98 76 54 32")
    next_button(page).click()
    page.wait_for_url(f"**/files/{renewal}/checklist")
    card = upload(page, renewal, LATE, [payload("quittance-mars.pdf", pdf(tag="late"))])
    late = card.locator("ol.attachments > li").filter(has_text="quittance-mars.pdf")
    expect(late).to_contain_text("ajouté après l’envoi")
    first = card.locator("ol.attachments > li").filter(has_text=f"{LATE}.pdf")
    expect(first).not_to_contain_text("ajouté après l’envoi")
    page.goto(f"/files/{renewal}/address")
    expect(page.locator("#f-phone")).to_have_value("07 98 76 54 32")

    # Every step in the file's history, newest first.
    page.goto(f"/files/{renewal}")
    expect(page.locator("#history")).to_have_text("Historique du dossier")
    items = timeline_items(page)
    late_added = added(LATE, "quittance-mars.pdf")
    corrected_phone = history_line("fields_changed", fields=["phone"])
    assert field_label("phone") in corrected_phone
    created_line = history_line("created", procedure="renewal", number=renewal_number)
    late_file = index_of(items, late_added, after_submission=True)
    corrected = index_of(items, corrected_phone, after_submission=True)
    submitted = index_of(items, history_line("submitted"), after_submission=False)
    big_added = [index_of(items, added(BIG, f"preuve-{i}.pdf"), after_submission=False) for i in (1, 2, 3)]
    small_added = [
        index_of(
            items, added(p, "photo.png" if p == "identity_photo" else f"{p}.pdf"), after_submission=False
        )
        for p in others
    ]
    created = index_of(items, created_line, after_submission=False)
    before = big_added + small_added
    assert late_file < corrected < submitted < min(before) <= max(before) < created, "\n".join(items)
    assert max(small_added) < min(big_added), items  # the big ones came first
    assert big_added == sorted(big_added, reverse=True), items  # newest first
    assert created == len(items) - 1
    # … and the proof of submission Sésame issued when the file was sent (ADR 0015).
    assert any("Preuve de dépôt délivrée" in i for i in items), items
    assert len(items) == 1 + len(others) + 3 + 1 + 1 + 1 + 1, "\n".join(items)
    expect(page.locator("ol.timeline > li.after-submission")).to_have_count(2)

    # … and in the person's whole history, with the other file.
    page.goto("/dashboard")
    page.get_by_role("link", name="Mon historique complet").click()
    page.wait_for_url("**/timeline")
    everything = timeline_items(page)
    for text, after in [
        (f"Dossier n° {renewal_number} : {late_added}", True),
        (f"Dossier n° {renewal_number} : {corrected_phone}", True),
        (f"Dossier n° {renewal_number} : {history_line('submitted')}", False),
        (f"Dossier n° {renewal_number} : {created_line}", False),
        (
            f"Dossier n° {moving_number} : {history_line('created', procedure='change_of_situation', number=moving_number)}",
            False,
        ),
    ] + [(f"Dossier n° {renewal_number} : {added(BIG, f'preuve-{i}.pdf')}", False) for i in (1, 2, 3)]:
        index_of(everything, text, after_submission=after)
    link = page.locator("ol.timeline a", has_text=f"Dossier n° {renewal_number}").first
    expect(link).to_have_attribute("href", f"/files/{renewal}")

    # The dashboard: the renewal is received, the change of address is still a draft.
    page.goto("/dashboard")
    sent = page.locator("li.file-card").filter(has_text=f"Dossier n° {renewal_number}")
    expect(sent.locator(".badge").first).to_have_text(status_name("submitted"))
    draft = page.locator("li.file-card").filter(has_text=f"Dossier n° {moving_number}")
    expect(draft.locator(".badge").first).to_have_text(status_name("draft"))


# -- 2. a renamed executable --------------------------------------------------------------


def test_a_renamed_executable_is_refused(applicant, new_plain_context):
    page = applicant
    file_id = start_file(page, "change_of_situation")
    exe = payload("passport.pdf", samples.exe(), "application/pdf")
    refused = said("message", "file_type_unknown")
    assert "ni une photo ni un PDF" in refused

    # With JavaScript (the person's phone): refused, said at once, next to the form.
    page.goto(f"/files/{file_id}/checklist")
    card = page.locator("#piece-residence_card")
    card.locator("summary.piece__line").click()
    card.locator("#files-residence_card").set_input_files(exe)  # sent as soon as chosen
    alert = page.get_by_role("alert").filter(has_text=refused)
    expect(alert).to_be_visible()
    expect(card.locator("ol.attachments > li")).to_have_count(0)

    # Without JavaScript: the server's own check, with the file's name.
    nojs = new_plain_context(java_script_enabled=False, storage_state=page.context.storage_state()).new_page()
    nojs.goto(f"/files/{file_id}/checklist")
    form = nojs.locator("#piece-residence_card form.upload-form")
    nojs.locator("#piece-residence_card summary.piece__line").click()
    form.locator("#files-residence_card").set_input_files(exe)
    with nojs.expect_navigation() as navigation:  # without JavaScript: one submit button
        form.get_by_role("button", name="Envoyer").click()
    response = navigation.value
    assert response is not None and response.status == 400
    alert = nojs.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Certains fichiers n’ont pas été ajoutés")
    expect(alert).to_contain_text("passport.pdf")
    expect(alert).to_contain_text(refused)
    expect(nojs.locator("#piece-residence_card ol.attachments > li")).to_have_count(0)

    # Nothing was kept: not on the checklist, not in the history.
    page.goto(f"/files/{file_id}/checklist")
    expect(page.locator("#piece-residence_card ol.attachments > li")).to_have_count(0)
    expect(page.locator("#piece-residence_card [data-piece-state]")).to_have_text("manquante")
    page.goto(f"/files/{file_id}")
    expect(page.locator("ol.timeline > li")).to_have_count(1)  # created, and nothing else
    expect(page.locator("ol.timeline")).not_to_contain_text("passport.pdf")


def test_files_added_to_two_pieces_in_a_row_are_both_listed(applicant):
    page = applicant
    file_id = start_file(page, "change_of_situation")
    page.goto(f"/files/{file_id}/checklist")
    for piece in ("residence_card", "proof_of_address"):
        form = page.locator(f"#piece-{piece} form.upload-form")
        form.locator(f"#files-{piece}").set_input_files(payload(f"{piece}.pdf", pdf(tag=f"row {piece}")))
        page.wait_for_url(re.compile(rf"open={piece}"))
        expect(page.locator(f"#piece-{piece} ol.attachments > li")).to_have_count(1)


# -- 3. withdraw ------------------------------------------------------------------


def test_withdrawn_file_stays_with_its_history(applicant):
    page = applicant
    file_id = start_file(page, "duplicate")
    number = file_number(page)
    page.goto(f"/files/{file_id}")
    page.get_by_role("link", name="Retirer ce dossier").click()
    page.wait_for_url(f"**/files/{file_id}/withdraw")
    expect(page.locator("h1")).to_have_text(f"Retirer le dossier n° {number} ?")
    # "No, keep it" changes nothing.
    page.get_by_role("link", name="Non, le garder").click()
    page.wait_for_url(f"**/files/{file_id}")
    expect(page.locator("#status-title .badge")).to_have_text(status_name("draft"))

    page.get_by_role("link", name="Retirer ce dossier").click()
    page.locator("#f-reason").fill("J’ai retrouvé ma carte.")
    page.get_by_role("button", name="Oui, retirer ce dossier").click()
    expect(page).to_have_url(re.compile(rf"/files/{file_id}\?done=withdrawn$"))
    expect(page.locator(".alert--success[role=status]")).to_have_text(said("done", "withdrawn"))
    expect(page.locator("#status-title .badge")).to_have_text(status_name("withdrawn"))
    expect(page.get_by_role("link", name="Retirer ce dossier")).to_have_count(0)
    items = timeline_items(page)
    assert index_of(items, history_line("withdrawn", reason="J’ai retrouvé ma carte.")) == 0
    index_of(items, history_line("created", procedure="duplicate", number=number))

    page.goto("/dashboard")
    card = page.locator("li.file-card").filter(has_text=f"Dossier n° {number}")
    expect(card).to_have_count(1)
    expect(card.locator(".badge").first).to_have_text(status_name("withdrawn"))
    card.get_by_role("link", name=procedure_label("duplicate")).click()
    page.wait_for_url(f"**/files/{file_id}")
    assert len(timeline_items(page)) == 2

    # It can no longer be changed.
    page.goto(f"/files/{file_id}/situation")
    expect(page.locator("main")).to_contain_text("Ce dossier ne peut plus être modifié.")
    expect(next_button(page)).to_have_count(0)


# -- 4. messages -------------------------------------------------------------------


def test_message_with_an_attachment(applicant):
    page = applicant
    file_id = start_file(page, "change_of_situation")
    page.goto(f"/files/{file_id}")
    page.get_by_role("link", name="Messages", exact=True).click()
    page.wait_for_url(f"**/files/{file_id}/messages")
    expect(page.locator(".empty")).to_be_visible()

    attached = pdf(tag="attestation")
    page.locator("#f-body").fill("Bonjour, voici l’attestation d’hébergement demandée.")
    page.locator("#f-attachments").set_input_files(payload("attestation.pdf", attached))
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page).to_have_url(re.compile(rf"/files/{file_id}/messages\?done=message_sent"))
    expect(page.locator(".alert--success[role=status]")).to_have_text(said("done", "message_sent"))
    sent = page.locator("ol.thread > li.message--out")
    expect(sent).to_have_count(1)
    expect(sent.locator(".body")).to_have_text("Bonjour, voici l’attestation d’hébergement demandée.")
    link = sent.get_by_role("link", name="attestation.pdf", exact=True)
    expect(link).to_have_attribute(
        "href", re.compile(rf"^/files/{file_id}/messages/[0-9a-f-]+/attachments/0$")
    )
    opened = page.request.get(link.get_attribute("href") or "")
    assert opened.status == 200
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.body() == attached
    expect(page.locator("#f-body")).to_have_value("")

    page.goto(f"/files/{file_id}")
    index_of(timeline_items(page), history_line("message", side="applicant"))


# -- 5. download all my data ------------------------------------------------------------


def test_download_all_my_data(applicant):
    page = applicant
    file_id = start_file(page, "change_of_situation")
    number = file_number(page)
    kept = pdf(tag="export")
    upload(page, file_id, "residence_card", [payload("carte recto-verso.pdf", kept)])

    page.goto("/dashboard")
    numbers = [
        re.search(r"\d{4}-\d{6}", t).group(0)  # type: ignore[union-attr]
        for t in page.locator("li.file-card").all_inner_texts()
    ]
    assert number in numbers
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger toutes mes données").click()
    download = download_info.value
    assert re.fullmatch(r"sesame-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    with open(download.path(), "rb") as f:
        archive = zipfile.ZipFile(io.BytesIO(f.read()))
    names = archive.namelist()
    assert "index.html" in names and "data.json" in names

    data = json.loads(archive.read("data.json"))
    assert sorted(f["number"] for f in data["files"]) == sorted(numbers)
    index = archive.read("index.html").decode()
    for n in numbers:
        assert f"Dossier n° {n}" in index

    # This test's file, its bytes intact, linked from the index.
    ours = [n for n in names if n.startswith(f"{number}/pieces/residence_card/")]
    assert len(ours) == 1 and ours[0].endswith("carte recto-verso.pdf"), names
    assert archive.read(ours[0]) == kept
    assert f'<a href="{ours[0]}"><bdi>carte recto-verso.pdf</bdi></a>' in index

    # Every piece and message attachment of every file is in the archive.
    for entry in data["files"]:
        for piece in entry["pieces"]:
            assert f"<bdi>{html.escape(piece['filename'])}</bdi></a>" in index, piece
        pieces_in_zip = [n for n in names if n.startswith(f"{entry['number']}/pieces/")]
        assert len(pieces_in_zip) == len(entry["pieces"]), (entry["number"], pieces_in_zip)
        for piece in entry["pieces"]:
            assert any(
                n.startswith(f"{entry['number']}/pieces/{piece['piece']}/") and n.endswith(piece["filename"])
                for n in pieces_in_zip
            ), piece
    for name in names:
        if "/pieces/" in name or "/messages/" in name:
            head = archive.read(name)[:8]
            assert head.startswith((b"%PDF-", b"\x89PNG")), name


# -- 6. accessibility and 320 px ------------------------------------------------------------


class Checker:
    """axe on each page, and no horizontal scroll at 320 px; failures reported together."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.failures: list[str] = []

    def __call__(self, page: Page, label: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if self.lang == "ar" else "ltr")
        results = AXE.run(page)
        if results.violations_count:
            self.failures.append(f"--- axe: {label} ({page.url}) ---\n{results.generate_report()}")
        try:
            assert_no_horizontal_scroll(page, PHONE["width"])
        except AssertionError as error:
            self.failures.append(f"--- 320 px: {label}: {error}")

    def check(self) -> None:
        report = "\n".join(self.failures)
        assert not self.failures, f"{len(self.failures)} problem(s) in {self.lang}:\n{report}"


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_file_pages_are_accessible_and_fit_a_small_phone(lang, new_device_factory):
    check = Checker(lang)
    _, page, _ = new_device_factory(locale={"fr": "fr-FR", "ar": "ar"}[lang], viewport=PHONE)
    signup(page, f"Axe Dossiers {lang}", lang)

    page.goto("/files/new")
    check(page, "files/new (start page)")
    page.goto("/files/new/q/permit")
    check(page, "question: permit")
    page.locator("form[data-question] button[type=submit]").click()  # no answer chosen
    expect(page.get_by_role("alert").first).to_be_visible()
    check(page, "question with an error")
    page.goto("/files/new/q/renewal.family")
    check(page, "question: a ground")
    page.goto("/files/new/help?from=permit")
    check(page, "help (je ne sais pas)")
    page.goto("/files/new/for/renewal.parent_of_french_child")
    check(page, "the pieces before the file")
    page.get_by_role("button", name=tr(lang, "Créer mon dossier"), exact=True).click()
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    check(page, "file page: task list")
    found = FILE_URL.search(page.url)
    assert found
    file_id = found.group(1)
    page.goto(f"/files/{file_id}/grounds")
    check(page, "grounds of an existing file")
    page.locator("#t-multi_year_card").check()
    page.locator(f"form[action='/files/{file_id}/grounds'] button[type=submit]").click()
    page.wait_for_url(f"**/files/{file_id}/checklist")
    page.goto(f"/files/{file_id}/situation")

    fill_field(page, "current_permit_expiry", "2026-12-31")
    expect(page.locator("[data-autosave-status]")).not_to_be_empty()
    check(page, "step: situation (autosaved)")
    page.goto(f"/files/{file_id}/identity")
    check(page, "step: identity")
    page.goto(f"/files/{file_id}/address")
    page.locator("#f-postcode").fill("93200")
    save_and_stay(page)
    check(page, "step: address (the prefecture from the postcode)")

    page.goto(f"/files/{file_id}/checklist")
    check(page, "checklist")
    # A long name, as phones and scanners make them: it must not widen the page.
    upload(page, file_id, "residence_card", [payload("titre_de_sejour_recto_verso_scan_2026.pdf", pdf())])
    form = page.locator("#piece-residence_card form.upload-form")
    form.locator("#files-residence_card").set_input_files(payload("passport.pdf", samples.exe()))
    expect(page.get_by_role("alert").first).to_be_visible()
    check(page, "checklist with a file and an upload error")

    page.goto(f"/files/{file_id}/review")
    expect(page.locator("main .alert--warning li").first).to_be_visible()
    expect(page.locator("[data-first-missing]")).to_be_visible()  # no send button yet
    check(page, "review with problems")
    # Sent all the same (a page kept from before): where the server sends it back.
    origin = page.evaluate("location.origin")
    refused = page.request.post(
        f"/files/{file_id}/submit", form={"declaration": "yes"}, headers={"Origin": origin}, max_redirects=0
    )
    assert refused.status == 303, refused.status
    page.goto(refused.headers["location"])
    expect(page.get_by_role("alert").first).to_be_visible()
    check(page, "review, refused")

    page.goto(f"/files/{file_id}/messages")
    page.locator("#f-body").fill("Bonjour")
    page.locator("#f-attachments").set_input_files(payload("note.pdf", pdf()))
    page.locator(f"form[action='/files/{file_id}/messages'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"done=message_sent"))
    check(page, "messages (one sent, with an attachment)")
    for path, label in [
        (f"/files/{file_id}", "file"),
        (f"/files/{file_id}/withdraw", "withdraw"),
        ("/timeline", "timeline"),
        ("/dashboard", "dashboard with a file"),
    ]:
        page.goto(path)
        check(page, label)

    check.check()
