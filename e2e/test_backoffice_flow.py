"""Issue 8's acceptance scenario, with two browsers (the applicant's phone and the
agent's computer, each with real virtual passkeys):

submit → the agent opens the file (the person sees "viewed by the prefecture of …")
→ the agent takes it for review and asks for one piece again → the person, OFFLINE,
adds it, then comes back online → the agent is told, accepts the piece and refuses the
request with a reason → the phone keeps the decision, readable offline → the person
reads the reason, the legal basis and the appeal time limit, and downloads the letter
(a PDF that says them, in French and Arabic).

Then axe-core on every page this issue adds, in French and in Arabic, at 320 px.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from playwright.sync_api import Page, expect

from server.domain import catalogue as catalogue_module
from server.domain import decision_reasons
from tests import samples

from .helpers import assert_no_horizontal_scroll, continue_after_codes, enrol, invite
from .test_accessibility import Scanner, set_language
from .test_offline import (
    ADDRESS,
    IDENTITY,
    command,
    person,
    push,
    ready_for_offline,
    rows,
    served,
    wait_outbox_empty,
    wait_until,
)

DETAILS = "Aucune pièce ne montre que vous contribuez à l’entretien et à l’éducation de l’enfant depuis sa naissance."


def cat() -> catalogue_module.Catalogue:
    return catalogue_module.load()


def submitted_renewal(page: Page, server: Any) -> tuple[str, str]:
    """A complete renewal (one legal ground), sent to the prefecture of Seine-Saint-Denis."""
    ground = cat().grounds_for("renewal")[0]
    file_id = str(uuid.uuid4())
    fields = {**IDENTITY, **ADDRESS, "phone": "06 12 34 56 78", "current_permit_expiry": "2027-02-28"}
    made = push(
        page,
        server,
        [
            command("file.create", {"file_id": file_id, "procedure": "renewal", "grounds": [ground.id]}),
            command("file.update", {"file_id": file_id, "fields": fields}),
        ],
    )
    assert all(r["status"] == "applied" for r in made.json()["results"]), made.json()
    for item in cat().checklist("renewal", [ground.id]):
        if item.optional:
            continue
        pdf_ok = "application/pdf" in cat().media_types(item.piece.id)
        payload = (
            {"name": f"{item.piece.id}.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(3000)}
            if pdf_ok
            else {"name": f"{item.piece.id}.png", "mimeType": "image/png", "buffer": samples.png(64, 64)}
        )
        sent = page.request.post(
            f"/files/{file_id}/pieces/{item.piece.id}",
            multipart={"files": payload},
            headers={"Origin": server.base_url},
        )
        assert sent.ok, sent.text()
    submitted = push(page, server, [command("file.submit", {"file_id": file_id})])
    assert submitted.json()["results"][0]["status"] == "applied", submitted.json()
    return file_id, ground.ceseda


def staff(new_device_factory: Any, server: Any, role: str, name: str) -> Page:
    """A member of the prefecture of Seine-Saint-Denis, invited by the national administrator."""
    if not hasattr(server, "_e2e_admin"):
        _, admin, _ = new_device_factory()
        assert server.bootstrap_link
        enrol(admin, server.bootstrap_link, "Admin national")
        continue_after_codes(admin)
        server._e2e_admin = admin
    link = invite(server._e2e_admin, role=role, prefecture="93", name=name)
    _, page, _ = new_device_factory()
    enrol(page, link, name)
    continue_after_codes(page)
    return page


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return re.sub(r"\s+", " ", " ".join(p.get_textpage().get_text_range() for p in document))
    finally:
        document.close()


def test_submit_open_ask_answer_offline_accept_refuse_and_read_why(new_device_factory, server, name):
    reasons = decision_reasons.load()
    refusal = reasons.reasons["conditions_not_met"]
    context, applicant = person(new_device_factory, name)
    file_id, article = submitted_renewal(applicant, server)
    agent = staff(new_device_factory, server, "agent", "Agent Martin")

    # The agent opens the file: the person sees that the prefecture of Seine-Saint-Denis did.
    agent.goto(f"/prefecture/files/{file_id}")
    expect(agent.locator("main h1")).to_be_visible()
    applicant.goto(f"/files/{file_id}")
    expect(applicant.locator("ol.timeline")).to_contain_text("Seine-Saint-Denis (93)")

    # The agent takes it for review and asks for the passport again, with a reason.
    agent.get_by_role("button", name="Prendre en examen").click()
    expect(agent.locator("main")).to_contain_text("pris en examen")
    agent.locator("a[href$='/complements/new?piece=passport']").click()
    expect(agent.locator("#ask-piece-passport")).to_be_checked()
    agent.locator("#reason-piece-passport").fill(
        "La page de la photo est illisible : photographiez-la de nouveau."
    )
    agent.get_by_role("button", name="Envoyer la demande de complément").click()
    agent.wait_for_url(f"**/prefecture/files/{file_id}?done=complement_requested")
    expect(agent.locator("#complements-title")).to_be_visible()
    [row] = rows(server, "SELECT status, complement_state FROM files WHERE id = ?", file_id)
    assert row == {"status": "locked", "complement_state": "asked"}

    # The person sees exactly what is asked, on the dashboard and in the checklist.
    applicant.goto("/dashboard")
    expect(applicant.locator(".asked")).to_contain_text("illisible")
    checklist = f"/files/{file_id}/checklist"
    applicant.goto(checklist)
    card = applicant.locator("#piece-passport")
    expect(card.locator(".asked")).to_contain_text("photographiez-la de nouveau")
    expect(applicant.locator("form.upload-form")).to_have_count(1)  # only what was asked reopens

    # Offline: the person adds the new page; it waits on the phone.
    ready_for_offline(applicant, also=(checklist,))
    context.set_offline(True)
    applicant.goto(checklist)
    served(applicant, "cache")
    applicant.locator("#files-passport").set_input_files(
        files=[{"name": "passeport-nouveau.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(4000)}]
    )
    wait_until(
        applicant,
        "async () => (await Sesame.outbox.list()).some((e) => e.command.op === 'piece.attach')",
        what="the new page waits in the outbox",
    )
    assert rows(server, "SELECT complement_state FROM files WHERE id = ?", file_id) == [
        {"complement_state": "asked"}
    ]

    # Back online: it is sent; the agent is told ("complément reçu").
    context.set_offline(False)
    wait_outbox_empty(applicant)
    names = [
        r["filename"] for r in rows(server, "SELECT filename FROM attachments WHERE file_id = ?", file_id)
    ]
    assert "passeport-nouveau.pdf" in names
    assert rows(server, "SELECT complement_state FROM files WHERE id = ?", file_id) == [
        {"complement_state": "answered"}
    ]
    agent.goto(f"/prefecture/files/{file_id}")
    expect(agent.locator("#complements-title + ul")).to_contain_text("complément reçu")

    # The agent accepts the piece, then refuses the request, with a reason and the facts.
    agent.locator("form[action$='/pieces/passport/accept'] button").click()
    expect(agent.locator("main")).to_contain_text("La pièce est acceptée")
    assert rows(server, "SELECT complement_state FROM files WHERE id = ?", file_id) == [
        {"complement_state": None}
    ]
    agent.goto(f"/prefecture/files/{file_id}/decision")
    agent.locator("#reason-conditions_not_met").check()
    agent.locator("#f-details").fill(DETAILS)
    agent.get_by_role("button", name="Rendre la décision").click()
    agent.wait_for_url(f"**/prefecture/files/{file_id}/decision?done=decided")
    expect(agent.locator("main")).to_contain_text("en vigueur")

    # The phone pulls the decision and keeps its page: readable with no network.
    [decided] = rows(server, "SELECT id FROM decisions WHERE file_id = ?", file_id)
    decision_page = f"/files/{file_id}/decisions/{decided['id']}"
    applicant.goto("/dashboard")
    wait_until(applicant, f"async () => !!(await caches.match('{decision_page}'))", what="decision page kept")
    context.set_offline(True)
    applicant.goto(decision_page)
    served(applicant, "cache")
    expect(applicant.locator("main")).to_contain_text(refusal.label.fr)
    context.set_offline(False)

    # The person reads why, on what legal basis, and how long they have to appeal.
    applicant.goto(f"/files/{file_id}")
    summary = applicant.locator("section[aria-labelledby=decision-title]")
    expect(summary).to_contain_text("Refusé")
    expect(summary).to_contain_text(refusal.label.fr)
    expect(summary).to_contain_text(article)
    expect(summary).to_contain_text("2 mois")
    summary.get_by_role("link", name=re.compile("Lire la décision")).click()
    applicant.wait_for_url(re.compile(rf"/files/{file_id}/decisions/[0-9a-f-]{{36}}$"))
    main = applicant.locator("main")
    expect(main).to_contain_text(refusal.explanation.fr)
    expect(main).to_contain_text(DETAILS)
    expect(main).to_contain_text(f"Article {article} du code de l’entrée et du séjour des étrangers")
    expect(main).to_contain_text("Délai : 2 mois")
    expect(main).to_contain_text("tribunal administratif")

    # The letter, in Arabic beside the French, once the person reads Arabic.
    set_language(applicant, "ar")
    expect(applicant.locator("main")).to_contain_text(refusal.label.ar)
    with applicant.expect_download() as download:
        applicant.locator("main a[href$='.pdf']").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (refusal.label.fr, refusal.label.ar, f"CESEDA {article}", "Délai : 2 mois", DETAILS):
        assert expected in text, expected
    set_language(applicant, "fr")
    timeline = [
        r["kind"] for r in rows(server, "SELECT kind FROM timeline WHERE file_id = ? ORDER BY id", file_id)
    ]
    for kind in (
        "viewed",
        "locked",
        "complement_requested",
        "complement_answered",
        "piece_accepted",
        "decided",
    ):
        assert kind in timeline, (kind, timeline)

    # -- every new page, in French and Arabic, on a 320 px screen -----------------------------
    admin93 = staff(new_device_factory, server, "admin", "Admin Seine-Saint-Denis")
    [decision] = rows(server, "SELECT id FROM decisions WHERE file_id = ?", file_id)
    # A second file, with something still asked, for the pages that show it.
    second, _ = submitted_renewal(applicant, server)
    agent.goto(f"/prefecture/files/{second}/complements/new?piece=passport")
    agent.locator("#reason-piece-passport").fill("Le verso manque.")
    agent.locator("#ask-field-city").check()
    agent.locator("#reason-field-city").fill("Précisez la commune.")
    agent.get_by_role("button", name="Envoyer la demande de complément").click()
    agent.wait_for_url(f"**/prefecture/files/{second}?done=complement_requested")

    for lang in ("fr", "ar"):
        scan = Scanner(lang)
        for page in (applicant, agent, admin93):
            page.set_viewport_size({"width": 320, "height": 800})
            page.goto("/dashboard")
            set_language(page, lang)
        for page, url in (
            (applicant, "/dashboard"),
            (applicant, f"/files/{second}"),
            (applicant, f"/files/{second}/checklist"),
            (applicant, f"/files/{second}/address"),
            (applicant, f"/files/{file_id}"),
            (applicant, f"/files/{file_id}/decisions/{decision['id']}"),
            (agent, f"/prefecture/files/{second}"),
            (agent, f"/prefecture/files/{second}/complements/new"),
            (agent, f"/prefecture/files/{file_id}"),
            (agent, f"/prefecture/files/{file_id}/decision"),
            (agent, f"/prefecture/files/{second}/decision"),
            (admin93, "/prefecture/settings"),
        ):
            page.goto(url)
            scan(page, url)
            assert_no_horizontal_scroll(page)
        # A form sent back with its errors, too.
        agent.goto(f"/prefecture/files/{file_id}/decision")
        agent.locator("form[action$='/decision'] button[type=submit]").click()
        expect(agent.locator(".alert--error")).to_be_visible()
        scan(agent, "decision form with errors")
        admin93.goto("/prefecture/settings")
        admin93.locator("#f-complement_days").fill("2")
        admin93.locator("main form button[type=submit]").click()
        expect(admin93.locator(".error-text")).to_be_visible()
        scan(admin93, "settings with an error")
        scan.check()
