"""The documents page on a cheap phone (issue 10, items 7 and 9), at 360 px in
French and Arabic:

- each piece is one status line (name, state, a thumbnail) until it is opened;
  ten pieces stay within two screens per five pieces;
- one "Ajouter une photo ou un fichier" control per piece: choosing a file sends
  it, no second button; the status line then says "1 fichier, 3 pages" for a
  three-page PDF (counted on the server);
- "Modifier" opens "Remplacer" and "Retirer";
- a blurry photo is asked about inside the page, both answers in its language;
- file names and numbers isolated from the text's direction, sizes in the
  language's format, files in the order chosen, tap targets of 44 px, axe.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image
from playwright.sync_api import Page, expect

from server import translation
from server.domain.pieces import Attachment
from server.templating import number
from server.web.checklist_rows import files_and_pages

from .helpers import tr
from .test_offline import command, push
from .test_way_through import axe, person
from .test_way_through_details import flat_png

SCREEN = 640  # a small phone's screen height, at 360 px wide


def pdf_pages(pages: int) -> bytes:
    document = FPDF()
    for n in range(pages):
        document.add_page()
        document.set_font("helvetica", size=24)
        document.cell(text=f"Page {n + 1}")
    return bytes(document.output())


def photo(seed: int) -> bytes:
    """A small real JPEG with some detail (not questioned as blurry)."""
    image = Image.effect_noise((640, 480), 60 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def file_with(page: Page, server: Any, procedure: str, grounds: list[str]) -> str:
    file_id = str(uuid.uuid4())
    made = command(
        "file.create", {"file_id": file_id, "procedure": procedure, "grounds": grounds, "title": None}
    )
    response = push(page, server, [made])
    assert response.json()["results"][0]["status"] == "applied", response.text()
    return file_id


def said_in(lang: str, msgid: str, domain: str = "messages") -> str:
    return msgid if lang == "fr" else tr(lang, msgid, domain)


def state_of(lang: str, files: list[tuple[str, int | None]]) -> str:
    """What the status line says of these files (media type, pages), in `lang`."""
    made = [
        Attachment(str(i), "", "", "", "", media, 1, "", None, None, None, False, pages)
        for i, (media, pages) in enumerate(files)
    ]
    with translation.language(lang):
        return files_and_pages(made)


def choose(page: Page, piece: str, files: list[dict[str, Any]]) -> None:
    """Choose files with the piece's one control: nothing else to press."""
    page.locator(f"#files-{piece}").set_input_files(files)
    page.wait_for_url(re.compile(rf"/checklist\?done=pieces_added&open={piece}"))


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_choosing_a_file_sends_it_and_the_status_line_says_its_pages(lang, new_device_factory, server, name):
    _, page = person(new_device_factory, f"{name} {lang}", lang)
    file_id = file_with(page, server, "change_of_situation", [])
    page.goto(f"/files/{file_id}/checklist")
    card = page.locator("#piece-residence_card")
    line = card.locator("[data-piece-state]")
    expect(line).to_have_text(said_in(lang, "manquante"))
    # One control, and no second button to press (it is there only without JavaScript).
    card.locator("summary.piece__line").click()
    control = card.locator("form.upload-form")
    expect(control.locator("label.pick-label")).to_have_text(said_in(lang, "Ajouter une photo ou un fichier"))
    expect(control.locator("label.pick-label")).to_be_visible()
    # The file input is the one control (its role is "button", named by the label) …
    expect(
        control.get_by_role("button", name=said_in(lang, "Ajouter une photo ou un fichier"))
    ).to_have_count(1)
    # … and the form's own submit button is there only for pages without JavaScript.
    expect(control.locator("button")).to_have_count(1)
    expect(control.locator("button")).to_be_hidden()

    choose(
        page,
        "residence_card",
        [{"name": "carte-3-pages.pdf", "mimeType": "application/pdf", "buffer": pdf_pages(3)}],
    )
    expect(line).to_have_text(state_of(lang, [("application/pdf", 3)]))
    if lang == "fr":
        expect(line).to_have_text("1 fichier, 3 pages")
    expect(card.locator("details").first).to_have_attribute("open", "")
    row = card.locator("ol.attachments > li")
    expect(row).to_have_count(1)
    with translation.language(lang):
        three = translation.ngettext("%(num)s page", "%(num)s pages", 3) % {"num": number(3)}
    expect(row).to_contain_text(three)
    expect(row.locator("a bdi")).to_have_text("carte-3-pages.pdf")

    # A photo next to it: a thumbnail on the line, drawn small by the server.
    choose(page, "residence_card", [{"name": "verso.jpg", "mimeType": "image/jpeg", "buffer": photo(1)}])
    expect(line).to_have_text(state_of(lang, [("application/pdf", 3), ("image/jpeg", None)]))
    thumb = card.locator("summary img.thumb")
    expect(thumb).to_have_attribute("src", re.compile(r"/thumb$"))
    small = page.request.get(thumb.get_attribute("src") or "")
    assert small.ok and small.headers["content-type"] == "image/jpeg"
    assert len(small.body()) < 10_000, len(small.body())

    # Modifier opens Remplacer and Retirer.
    first = row.first
    first.locator("details.change > summary").click()
    expect(first.locator("label.pick-label")).to_contain_text(said_in(lang, "Remplacer"))
    expect(first.locator("label.pick-label")).to_be_visible()
    remove = first.get_by_role("button", name=re.compile("^" + re.escape(said_in(lang, "Retirer"))))
    expect(remove).to_be_visible()
    # Remplacer sends as soon as the new file is chosen.
    first.locator("input[type=file]").set_input_files(
        {"name": "carte-2-pages.pdf", "mimeType": "application/pdf", "buffer": pdf_pages(2)}
    )
    page.wait_for_url(re.compile(r"done=piece_replaced&open=residence_card"))
    expect(line).to_have_text(state_of(lang, [("image/jpeg", None), ("application/pdf", 2)]))
    expect(card.locator("ol.attachments > li a bdi")).to_have_text(["verso.jpg", "carte-2-pages.pdf"])
    # Retirer takes a file off, with no native confirm() (its buttons follow the browser's language).
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for _ in range(2):
        card.locator("ol.attachments > li").first.locator("details.change > summary").click()
        card.locator("ol.attachments > li").first.get_by_role(
            "button", name=re.compile("^" + re.escape(said_in(lang, "Retirer")))
        ).click()
        page.wait_for_url(re.compile(r"done=piece_removed"))
    expect(line).to_have_text(said_in(lang, "manquante"))
    assert dialogs == []


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_blurry_photo_is_asked_about_in_the_page_in_its_language(lang, new_device_factory, server, name):
    _, page = person(new_device_factory, f"{name} {lang}", lang)
    file_id = file_with(page, server, "change_of_situation", [])
    page.goto(f"/files/{file_id}/checklist")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    card = page.locator("#piece-residence_card")
    card.locator("summary.piece__line").click()
    blurry = {"name": "photo-floue.png", "mimeType": "image/png", "buffer": flat_png()}
    card.locator("#files-residence_card").set_input_files(blurry)  # sends at once: the question comes first
    question = card.get_by_role("alertdialog")
    expect(question).to_be_visible()
    expect(question).to_contain_text(
        said_in(lang, "La photo « %(name)s » semble floue : la préfecture pourrait la refuser.", "js")
        .split("«")[0]
        .strip()
    )
    keep = question.locator("[data-photo-choice=keep]")
    retake = question.locator("[data-photo-choice=retake]")
    expect(keep).to_have_text(said_in(lang, "Garder cette photo", "js"))
    expect(retake).to_have_text(said_in(lang, "Reprendre la photo", "js"))
    # "Reprendre la photo": nothing is sent, the line says again what is true.
    retake.click()
    expect(question).to_have_count(0)
    expect(card.locator("[data-piece-state]")).to_have_text(said_in(lang, "manquante"))
    card.locator("#files-residence_card").set_input_files(blurry)
    card.get_by_role("alertdialog").locator("[data-photo-choice=keep]").click()
    page.wait_for_url(re.compile(r"done=pieces_added"))
    expect(page.locator("#piece-residence_card ol.attachments > li")).to_have_count(1)
    assert dialogs == []


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_ten_pieces_fit_two_screens_per_five_and_pass_axe(lang, new_device_factory, server, name):
    _, page = person(new_device_factory, f"{name} {lang}", lang)
    file_id = file_with(page, server, "first_application", ["student"])
    page.goto(f"/files/{file_id}/checklist")
    pieces = page.locator("li.piece")
    expect(pieces).to_have_count(10)
    # Some pieces with files: a PDF, photos.
    ids = [p.get_attribute("data-piece-card") or "" for p in pieces.all()]
    takes_pdf = [
        i for i in ids if "application/pdf" in (page.locator(f"#files-{i}").get_attribute("accept") or "")
    ]
    choose(page, takes_pdf[0], [{"name": "a.pdf", "mimeType": "application/pdf", "buffer": pdf_pages(4)}])
    choose(page, ids[0], [{"name": "b.jpg", "mimeType": "image/jpeg", "buffer": photo(2)}])
    choose(page, ids[2], [{"name": "c.jpg", "mimeType": "image/jpeg", "buffer": photo(3)}])
    page.goto(f"/files/{file_id}/checklist")  # nothing open
    expect(page.locator("li.piece > details[open]")).to_have_count(0)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 2 * SCREEN * 10 / 5, f"{height} px for 10 pieces"
    failures: list[str] = []
    axe(page, f"documents page, closed ({lang})", failures)
    page.locator(f"#piece-{takes_pdf[0]} summary.piece__line").click()
    page.locator(f"#piece-{takes_pdf[0]} details.change > summary").first.click()
    axe(page, f"documents page, a piece open ({lang})", failures)
    page.set_viewport_size({"width": 320, "height": 640})
    axe(page, f"documents page at 320 px ({lang})", failures)
    assert not failures, "\n".join(failures)


def test_in_arabic_names_numbers_sizes_order_and_tap_targets(new_device_factory, server, name):
    _, page = person(new_device_factory, name, "ar")
    file_id = file_with(page, server, "change_of_situation", [])
    page.goto(f"/files/{file_id}/checklist")
    # Three files chosen at once are listed in the order chosen.
    names = ["1-premier.pdf", "2-deuxième.pdf", "3-troisième.pdf"]
    choose(
        page,
        "residence_card",
        [{"name": n, "mimeType": "application/pdf", "buffer": pdf_pages(i + 1)} for i, n in enumerate(names)],
    )
    card = page.locator("#piece-residence_card")
    expect(card.locator("ol.attachments > li > a > bdi")).to_have_text(names)
    # File names and the file number are isolated from the text's direction.
    number_box = page.locator("[data-file-number] bdi")
    expect(number_box).to_have_text(re.compile(r"^\d{4}-\d{6}$"))
    for bdi in card.locator("ol.attachments > li > a > bdi").all():
        assert bdi.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
    # Sizes in the language's format (the server's formatter, never a raw float).
    with translation.language("ar"):
        unit = translation.gettext("%(size)s Mo")
    sizes = card.locator("ol.attachments > li > span.small").all_inner_texts()
    for text in sizes:
        assert unit.split("%(size)s")[-1].strip() in text, text
        assert not re.search(r"\d\.\d\d", text), text
    # Tap targets of at least 44 px: the lines, the controls, the links to the files.
    card.locator("ol.attachments > li").first.locator("details.change > summary").click()
    small = page.evaluate(
        """() => [...document.querySelectorAll(
             'main summary, main a, main button, main label.pick-label')]
           .filter(e => e.offsetParent !== null && !e.closest('p'))
           .map(e => [e.textContent.trim().slice(0, 30), Math.round(e.getBoundingClientRect().height)])
           .filter(([, h]) => h < 44)"""
    )
    assert small == [], small
    # No seconds in the history; the file number kept whole.
    page.goto("/timeline")
    expect(page.locator("main .timeline a bdi").first).to_have_text(re.compile(r"^\d{4}-\d{6}$"))
    times = page.locator("main time").all_inner_texts()
    assert times, "the history shows when"
    assert not [t for t in times if re.search(r"\d:\d\d:\d\d", t)], times
