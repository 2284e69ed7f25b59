"""Issue 11's appointments, information page and figures, in real browsers:

an administrator of Seine-Saint-Denis defines a counter and its hours and writes the
prefecture's information page → an agent grants a renewal and marks the card ready →
the applicant books a pick-up slot, moves it, downloads the .ics (its DTSTART is the
slot's), cancels → the information page opens offline once visited.

Then axe-core on every page this adds, in French and in Arabic, at 320 px.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from server.domain import appointments, decision_reasons

from .helpers import assert_no_horizontal_scroll, continue_after_codes, enrol, invite, new_device
from .test_accessibility import Scanner, set_language
from .test_backoffice_flow import submitted_renewal
from .test_offline import CONTROLLED, person, ready_for_offline, rows, served, wait_until


@pytest.fixture(scope="module")
def team(browser: Browser, server: Any) -> Iterator[dict[str, Page]]:
    """The prefecture of Seine-Saint-Denis's administrator and agent, for the whole
    module (enrolments are rate-limited per address: the tests share them)."""
    contexts = []

    def device() -> Page:
        context, page, _ = new_device(browser, server.base_url)
        contexts.append(context)
        return page

    national = device()
    assert server.bootstrap_link
    enrol(national, server.bootstrap_link, "Admin national")
    continue_after_codes(national)
    members = {}
    for role, name in (("admin", "Admin Seine-Saint-Denis"), ("agent", "Agent Diallo")):
        page = device()
        enrol(page, invite(national, role=role, prefecture="93", name=name), name)
        continue_after_codes(page)
        members[role] = page
    yield members
    for context in contexts:
        context.close()


SUBSTITUTION = "Déposez votre dossier papier au guichet 3, sans rendez-vous, le mardi matin."


def define_counter(admin: Page, name: str = "Accueil des étrangers") -> str:
    admin.goto("/prefecture/appointments")
    admin.get_by_role("link", name="Ajouter un guichet").click()
    admin.wait_for_url(re.compile(r"/prefecture/appointments/[0-9a-f-]{36}/new$"))
    desk_id = admin.url.rsplit("/", 2)[1]
    admin.locator("#f-name").fill(name)
    admin.locator("#f-address").fill("1 esplanade Jean Moulin\n93000 Bobigny")
    admin.locator("#f-capacity").fill("2")
    admin.locator("#f-horizon_days").fill("14")
    for day in range(7):
        admin.locator(f"input[name=opens_{day}_0]").fill("08:00")
        admin.locator(f"input[name=closes_{day}_0]").fill("18:00")
    admin.get_by_role("button", name="Enregistrer").click()
    admin.wait_for_url("**/prefecture/appointments?done=desk_saved")
    expect(admin.locator(f"main h3 a[href$='{desk_id}']")).to_have_text(name)
    return desk_id


def grant_and_ready(agent: Page, file_id: str) -> None:
    agent.goto(f"/prefecture/files/{file_id}")
    agent.get_by_role("button", name="Prendre en examen").click()
    expect(agent.locator("main")).to_contain_text("pris en examen")
    reason = decision_reasons.load().for_file("renewal", "granted")[0]
    agent.goto(f"/prefecture/files/{file_id}/decision")
    agent.locator(f"#reason-{reason.id}").check()
    agent.get_by_role("button", name="Rendre la décision").click()
    agent.wait_for_url(f"**/prefecture/files/{file_id}/decision?done=decided")
    agent.goto(f"/prefecture/files/{file_id}")
    agent.get_by_role("button", name="Carte prête").click()
    agent.wait_for_url(f"**/prefecture/files/{file_id}?done=card_ready")
    expect(agent.locator("section[data-card=ready]")).to_contain_text("Pas encore de rendez-vous")


def booked(server: Any, file_id: str) -> list[dict[str, Any]]:
    return rows(server, "SELECT * FROM appointments WHERE file_id = ? AND status = 'booked'", file_id)


def test_a_card_ready_file_books_moves_downloads_and_cancels(new_device_factory, server, team, name):
    context, applicant = person(new_device_factory, name)
    file_id, _ = submitted_renewal(applicant, server)
    admin, agent = team["admin"], team["agent"]

    desk_id = define_counter(admin)
    admin.goto("/prefecture/information")
    admin.locator("#f-substitution_fr").fill(SUBSTITUTION)
    admin.locator("#f-hours_fr").fill("Du lundi au dimanche, de 8 h à 18 h.")
    admin.get_by_role("button", name="Publier").click()
    admin.wait_for_url("**/prefecture/information?done=information_saved")

    # Before the card is ready, the person is told so, and offered no slot.
    applicant.goto(f"/files/{file_id}/appointment")
    expect(applicant.locator("main")).to_contain_text("pas encore prête")
    grant_and_ready(agent, file_id)

    # The person books the first free slot, from the file's page.
    applicant.goto(f"/files/{file_id}")
    applicant.locator("section[data-card=ready]").get_by_role("link", name="Prendre rendez-vous").click()
    applicant.wait_for_url(f"**/files/{file_id}/appointment")
    applicant.locator("input[name=slot]").first.check()
    applicant.get_by_role("button", name="Réserver ce créneau").click()
    applicant.wait_for_url(f"**/files/{file_id}/appointment?done=appointment_booked")
    [first] = booked(server, file_id)
    expect(applicant.locator("[data-appointment-start]")).to_have_attribute(
        "data-appointment-start", first["starts_at"]
    )

    # It moves to another slot (the old booking ends, the new one starts).
    applicant.locator("input[name=slot]").nth(3).check()
    chosen = applicant.locator("input[name=slot]").nth(3).get_attribute("value") or ""
    applicant.get_by_role("button", name="Déplacer à ce créneau").click()
    applicant.wait_for_url(f"**/files/{file_id}/appointment?done=appointment_moved")
    [moved] = booked(server, file_id)
    assert moved["starts_at"] == chosen.split("|")[1] != first["starts_at"]
    assert moved["desk_id"] == desk_id

    # On the dashboard, and as an .ics file whose DTSTART is the slot's (in UTC).
    applicant.goto("/dashboard")
    expect(applicant.locator("[data-dashboard-appointment]")).to_contain_text(moved["starts_at"][11:16])
    applicant.goto(f"/files/{file_id}/appointment")
    with applicant.expect_download() as download:
        applicant.get_by_role("link", name="Ajouter à mon agenda (.ics)").click()
    ics = Path(download.value.path()).read_bytes().decode("utf-8").replace("\r\n ", "")
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and "BEGIN:VEVENT" in ics
    start = re.search(r"^DTSTART:(\d{8}T\d{6}Z)\r$", ics, re.M)
    assert start, ics
    when = datetime.strptime(start.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    local = appointments.stamp(when.astimezone(appointments.PARIS).replace(tzinfo=None))
    assert local == moved["starts_at"]
    assert f"UID:{moved['id']}@" in ics and "Bobigny" in ics

    # Cancelled: the seat is free again, and the history keeps all three acts.
    applicant.get_by_role("button", name="Annuler ce rendez-vous").click()
    applicant.wait_for_url(f"**/files/{file_id}/appointment?done=appointment_cancelled")
    assert booked(server, file_id) == []
    applicant.goto(f"/files/{file_id}")
    history = applicant.locator("section[aria-labelledby=history]")
    for words in ("Rendez-vous pris le", "Rendez-vous déplacé au", "annulé"):
        expect(history).to_contain_text(words)

    # The prefecture's information page, linked from the file, opens offline once visited.
    applicant.get_by_role("link", name=re.compile("Informations sur la préfecture")).click()
    applicant.wait_for_url("**/prefectures/93")
    expect(applicant.locator("[data-block=substitution]")).to_contain_text(SUBSTITUTION)
    applicant.wait_for_function(CONTROLLED)
    applicant.reload()
    wait_until(
        applicant, "async () => !!(await caches.match('/prefectures/93'))", what="information page kept"
    )
    context.set_offline(True)
    applicant.goto("/prefectures/93")
    served(applicant, "cache")
    expect(applicant.locator("[data-block=substitution]")).to_contain_text(SUBSTITUTION)
    context.set_offline(False)

    # -- every new page, in French and Arabic, on a 320 px screen -----------------------------
    # A booked slot again, for the pages that show one.
    applicant.goto(f"/files/{file_id}/appointment")
    applicant.locator("input[name=slot]").first.check()
    applicant.get_by_role("button", name="Réserver ce créneau").click()
    applicant.wait_for_url(f"**/files/{file_id}/appointment?done=appointment_booked")
    for lang in ("fr", "ar"):
        scan = Scanner(lang)
        for page in (applicant, agent, admin):
            page.set_viewport_size({"width": 320, "height": 800})
            page.goto("/dashboard")
            set_language(page, lang)
        for page, url in (
            (applicant, "/dashboard"),
            (applicant, f"/files/{file_id}"),
            (applicant, f"/files/{file_id}/appointment"),
            (applicant, "/"),
            (applicant, "/prefectures"),
            (applicant, "/prefectures/93"),
            (applicant, "/prefectures/93/figures"),
            (applicant, "/figures"),
            (agent, f"/prefecture/files/{file_id}"),
            (agent, "/prefecture/figures"),
            (admin, "/prefecture/appointments"),
            (admin, f"/prefecture/appointments/{desk_id}"),
            (admin, "/prefecture/information"),
        ):
            page.goto(url)
            scan(page, url)
            assert_no_horizontal_scroll(page)
        admin.goto("/prefecture/appointments")
        admin.locator("a[href$='/new']").click()
        scan(admin, "new counter form")
        admin.locator("main form button[type=submit]").click()
        expect(admin.get_by_role("alert")).to_be_visible()
        scan(admin, "counter form with an error")
        scan.check()


def test_a_booking_queued_offline_for_a_slot_filled_meanwhile_needs_attention(
    new_device_factory, server, team, name
):
    """The phone books offline; someone else takes the last seat; back online, the
    booking is refused, and "needs attention" says why and which slots are free."""
    admin, agent = team["admin"], team["agent"]
    for page in (admin, agent):  # the test before may have left them in Arabic
        page.goto("/dashboard")
        set_language(page, "fr")
    desk_id = define_counter(admin, "Guichet des cartes")
    admin.goto(f"/prefecture/appointments/{desk_id}")
    admin.locator("#f-capacity").fill("1")
    admin.locator("main form button[type=submit]").click()
    admin.wait_for_url("**/prefecture/appointments?done=desk_saved")
    context, first = person(new_device_factory, name)
    _, second = person(new_device_factory, name + " B")
    files = {}
    for page in (first, second):
        file_id, _ = submitted_renewal(page, server)
        grant_and_ready(agent, file_id)
        files[page] = file_id
    page_url = f"/files/{files[first]}/appointment"
    first.goto(page_url)
    slot = first.locator(f"input[name=slot][value^='{desk_id}|']").last
    value = slot.get_attribute("value") or ""
    ready_for_offline(first, also=(page_url,))

    context.set_offline(True)
    first.goto(page_url)
    served(first, "cache")
    first.locator(f"input[name=slot][value='{value}']").check()
    first.get_by_role("button", name="Réserver ce créneau").click()
    wait_until(
        first,
        "async () => (await Sesame.outbox.list()).some((e) => e.command.op === 'appointment.book')",
        what="the booking waits in the outbox",
    )
    # Meanwhile, online, someone else takes the only seat of that slot.
    second.goto(f"/files/{files[second]}/appointment")
    second.locator(f"input[name=slot][value='{value}']").check()
    second.get_by_role("button", name="Réserver ce créneau").click()
    second.wait_for_url("**/appointment?done=appointment_booked")

    context.set_offline(False)
    wait_until(
        first,
        "async () => (await Sesame.outbox.list()).some((e) => e.state === 'refused')",
        what="the booking is refused when it reaches the server",
    )
    assert booked(server, files[first]) == []
    first.goto("/outbox")
    refused = first.locator("[data-outbox-refused]")
    expect(refused).to_contain_text("vient d’être complet")
    expect(refused).to_contain_text("Prochains créneaux libres")
