"""Counters, the card of a granted file, and the applicant's booking of a slot."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from server import commands
from server.auth.policy import Actor
from server.domain import appointments, decision_reasons, files, timeline
from sync.protocol import Command

from .test_prefecture_review import staff, submitted_file

ADMIN93 = Actor(role="admin", account_id="adm-93", prefecture="93")
AGENT93 = Actor(role="agent", account_id="agent-1", prefecture="93")
EVERY_DAY = [{"weekday": d, "opens": "08:00", "closes": "18:00"} for d in range(7)]


def run(app, actor: Actor, op: str, args: dict) -> object:
    command = Command(id=str(uuid.uuid4()), client="t", seq=0, op=op, args=args)
    return app.state.db.write_sync(lambda c: commands.apply(c, command, actor))


def desk(app, actor: Actor = ADMIN93, **changes) -> str:
    args = {
        "desk_id": str(uuid.uuid4()),
        "name": "Accueil des étrangers",
        "address": "1 esplanade Jean Moulin\n93000 Bobigny",
        "kinds": ["card_pickup", "help_desk"],
        "slot_minutes": 30,
        "capacity": 2,
        "horizon_days": 14,
        "hours": EVERY_DAY,
        "closures": [],
        **changes,
    }
    result = run(app, actor, "desk.save", args)
    assert result.applied, result
    return args["desk_id"]


def granted(app, make_person) -> tuple[object, str]:
    person, file_id = submitted_file(make_person)
    assert run(app, AGENT93, "file.lock", {"file_id": file_id}).applied
    procedure = app.state.db.read_sync(lambda c: files.get(c, file_id)).procedure
    reason = decision_reasons.load().for_file(procedure, "granted")[0]
    args = {"file_id": file_id, "decision_id": str(uuid.uuid4()), "outcome": "granted", "reason": reason.id}
    assert run(app, AGENT93, "file.decide", args).applied
    return person, file_id


def free(app, departement: str = "93") -> list[appointments.Slot]:
    return app.state.db.read_sync(appointments.slots, departement, "card_pickup")


def book(app, person, file_id: str, slot: appointments.Slot, **extra) -> object:
    data = {"slot": f"{slot.desk_id}|{slot.starts_at}", "appointment_id": str(uuid.uuid4()), **extra}
    return person.client.post(f"/files/{file_id}/appointment", data=data, follow_redirects=False)


def test_counters_are_checked_and_belong_to_their_prefecture(app) -> None:
    assert run(app, AGENT93, "desk.save", {"desk_id": str(uuid.uuid4())}).code == "forbidden"
    bad = {
        "name": ("", "desk_name_required"),
        "address": ("", "address_required"),
        "kinds": ([], "kinds_required"),
        "slot_minutes": (7, "slot_minutes_invalid"),
        "capacity": (0, "capacity_invalid"),
        "horizon_days": (400, "horizon_invalid"),
        "hours": ([{"weekday": 0, "opens": "12:00", "closes": "09:00"}], "hours_invalid"),
        "closures": ([{"day": "31/12/2026"}], "closure_invalid"),
    }
    base = {
        "name": "Guichet",
        "address": "Bobigny",
        "kinds": ["card_pickup"],
        "slot_minutes": 15,
        "capacity": 1,
        "horizon_days": 7,
        "hours": [],
        "closures": [],
    }
    for name, (value, code) in bad.items():
        result = run(app, ADMIN93, "desk.save", {**base, "desk_id": str(uuid.uuid4()), name: value})
        assert result.code == code, name
    overlap = [
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
        {"weekday": 1, "opens": "11:00", "closes": "14:00"},
    ]
    assert run(app, ADMIN93, "desk.save", {**base, "desk_id": str(uuid.uuid4()), "hours": overlap}).code == (
        "hours_invalid"
    )
    desk_id = desk(app)
    paris = Actor(role="admin", account_id="adm-75", prefecture="75")
    assert run(app, paris, "desk.save", {**base, "desk_id": desk_id}).code == "not_found"


def test_slots_follow_hours_capacity_closures_and_horizon(app) -> None:
    desk_id = desk(app, capacity=3, horizon_days=3)
    slots = free(app)
    assert slots and all(s.desk_id == desk_id and s.free == 3 for s in slots)
    days = {s.starts_at[:10] for s in slots}
    today = appointments.now_local().date()
    assert max(days) <= (today + timedelta(days=3)).isoformat()
    assert all("08:00" <= s.starts_at[11:] < "18:00" for s in slots)
    closed = (today + timedelta(days=2)).isoformat()
    desk(app, desk_id=desk_id, capacity=3, horizon_days=3, closures=[{"day": closed, "reason": "Férié"}])
    assert closed not in {s.starts_at[:10] for s in free(app)}
    # A counter of another prefecture, or another kind, offers nothing here.
    assert free(app, "75") == []
    assert app.state.db.read_sync(appointments.slots, "93", "substitution") == []


def test_card_ready_needs_a_granted_decision_and_handing_over_ends_the_booking(app, make_person) -> None:
    person, file_id = submitted_file(make_person)
    assert run(app, AGENT93, "card.ready", {"file_id": file_id}).code == "not_granted"
    person, file_id = granted(app, make_person)
    assert run(app, AGENT93, "card.handed_over", {"file_id": file_id}).code == "not_ready"
    paris = Actor(role="agent", account_id="a75", prefecture="75")
    assert run(app, paris, "card.ready", {"file_id": file_id}).code == "not_found"
    assert run(app, AGENT93, "card.ready", {"file_id": file_id}).applied
    assert run(app, AGENT93, "card.ready", {"file_id": file_id}).code == "already_ready"
    desk(app)
    slot = free(app)[0]
    assert book(app, person, file_id, slot).status_code == 303
    assert run(app, AGENT93, "card.handed_over", {"file_id": file_id}).applied
    assert run(app, AGENT93, "card.handed_over", {"file_id": file_id}).code == "already_handed_over"
    assert app.state.db.read_sync(appointments.current, file_id) is None
    assert free(app)[0].free == 2  # the seat is free again
    kinds = [e.kind for e in app.state.db.read_sync(timeline.for_file, file_id)]
    # The card in hand ends the attestation that stood in for it.
    assert kinds[-4:] == ["card_ready", "appointment_booked", "card_handed_over", "attestation_ended"]


def test_the_person_books_moves_downloads_and_cancels(app, settings, make_person) -> None:
    person, file_id = granted(app, make_person)
    desk(app)
    page = person.client.get(f"/files/{file_id}/appointment")
    assert page.status_code == 200 and "pas encore prête" in page.text
    assert book(app, person, file_id, free(app)[0]).status_code == 400  # card_not_ready
    agent = staff(app, settings)
    assert agent.post(f"/prefecture/files/{file_id}/card/ready", data={}).status_code == 303
    assert "Carte prête depuis le" in agent.get(f"/prefecture/files/{file_id}").text
    shown = person.client.get(f"/files/{file_id}").text
    assert f"/files/{file_id}/appointment" in shown and "/prefectures/93" in shown
    page = person.client.get(f"/files/{file_id}/appointment").text
    first, second = free(app)[0], free(app)[5]
    assert f'value="{first.desk_id}|{first.starts_at}"' in page
    assert book(app, person, file_id, first).headers["location"].endswith("done=appointment_booked")
    assert book(app, person, file_id, second).status_code == 400  # already booked: move it instead
    dashboard = person.client.get("/dashboard").text
    assert "data-dashboard-appointment" in dashboard and first.starts_at[11:16] in dashboard
    # The .ics: a UID, UTC times matching the slot, the counter's address.
    ics = person.client.get(f"/files/{file_id}/appointment.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    text = ics.text.replace("\r\n ", "")
    start = re.search(r"^DTSTART:(\d{8}T\d{6}Z)\r$", text, re.M).group(1)
    utc = datetime.strptime(start, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert appointments.stamp(utc.astimezone(appointments.PARIS).replace(tzinfo=None)) == first.starts_at
    assert (
        re.search(r"^UID:[0-9a-f-]{36}@", text, re.M)
        and "LOCATION:1 esplanade Jean Moulin\\, 93000 Bobigny" in text
    )
    assert all(len(line.encode()) <= 75 for line in ics.text.split("\r\n"))
    current = app.state.db.read_sync(appointments.current, file_id)
    moved = book(app, person, file_id, second, appointment_id_current=current.id)
    assert moved.headers["location"].endswith("done=appointment_moved")
    now = app.state.db.read_sync(appointments.current, file_id)
    assert now.starts_at == second.starts_at and now.id != current.id
    assert app.state.db.read_sync(appointments.get, current.id).status == "moved"
    cancel = person.client.post(
        f"/files/{file_id}/appointment/cancel", data={"appointment_id": now.id}, follow_redirects=False
    )
    assert cancel.status_code == 303
    assert app.state.db.read_sync(appointments.current, file_id) is None
    assert person.client.get(f"/files/{file_id}/appointment.ics").status_code == 404
    history = person.client.get(f"/files/{file_id}").text
    for words in ("Rendez-vous pris le", "Rendez-vous déplacé au", "annulé"):
        assert words in history


def test_a_full_slot_is_refused_with_the_next_free_ones(app, make_person) -> None:
    desk(app, capacity=1)
    people = [granted(app, make_person) for _ in range(2)]
    for _, file_id in people:
        assert run(app, AGENT93, "card.ready", {"file_id": file_id}).applied
    slot = free(app)[0]
    assert book(app, *people[0], slot).status_code == 303
    refused = book(app, *people[1], slot)
    assert refused.status_code == 409
    assert "vient d’être complet" in refused.text and "Prochains créneaux libres" in refused.text
    # Through the outbox (sync push), the refusal carries the next free slots.
    person, file_id = people[1]
    command = {
        "id": str(uuid.uuid4()),
        "client": "phone",
        "seq": 1,
        "op": "appointment.book",
        "args": {
            "appointment_id": str(uuid.uuid4()),
            "file_id": file_id,
            "desk_id": slot.desk_id,
            "starts_at": slot.starts_at,
        },
    }
    result = person.client.post("/sync/push", json={"commands": [command]}).json()["results"][0]
    assert result["status"] == "refused" and result["code"] == "slot_full"
    assert result["data"]["next_slots"][0]["starts_at"] != slot.starts_at
    assert "Prochains créneaux libres" in result["message"]
    # A time off the counter's grid, or someone else's file, is refused too.
    off = appointments.Slot(slot.desk_id, slot.starts_at[:11] + "08:10", "", 1, 0)
    assert "pas ouvert à la réservation" in book(app, person, file_id, off).text
    assert book(app, people[0][0], file_id, free(app)[0]).status_code == 404


def test_no_free_slot_says_when_the_next_ones_open(app, make_person) -> None:
    person, file_id = granted(app, make_person)
    assert run(app, AGENT93, "card.ready", {"file_id": file_id}).applied
    page = person.client.get(f"/files/{file_id}/appointment").text
    assert "data-no-slot" in page and "pas encore publié ses horaires" in page
    later = (appointments.now_local().date() + timedelta(days=5)).weekday()
    desk(app, horizon_days=1, hours=[{"weekday": later, "opens": "09:00", "closes": "10:00"}])
    page = person.client.get(f"/files/{file_id}/appointment").text
    assert "data-no-slot" in page and "ouvriront à la réservation le" in page
    openings = app.state.db.read_sync(appointments.next_openings, "93", "card_pickup")
    day = appointments.now_local().date() + timedelta(days=5)
    assert openings[0].day == day.isoformat()
    assert openings[0].opens_on == (day - timedelta(days=1)).isoformat()


def test_administrators_define_counters_from_the_form(app, settings) -> None:
    admin = staff(app, settings, role="admin")
    page = admin.get("/prefecture/appointments")
    assert page.status_code == 200 and "Aucun guichet" in page.text
    new = re.search(r'href="(/prefecture/appointments/[0-9a-f-]{36}/new)"', page.text).group(1)
    form = admin.get(new)
    assert form.status_code == 200
    target = new.removesuffix("/new")
    data = {
        "name": "Guichet 3",
        "address": "Bobigny",
        "kinds": ["card_pickup", "substitution"],
        "slot_minutes": "20",
        "capacity": "2",
        "horizon_days": "10",
        "opens_0_0": "09:00",
        "closes_0_0": "12:00",
        "opens_0_1": "14:00",
        "closes_0_1": "16:30",
        "closures": "2027-05-08 Victoire 1945\n",
    }
    wrong = admin.post(target, data={**data, "closes_0_0": ""})
    assert wrong.status_code == 400 and "Horaires à corriger" in wrong.text and "Guichet 3" in wrong.text
    assert admin.post(target, data=data).status_code == 303
    found = app.state.db.read_sync(appointments.get_desk, target.rsplit("/", 1)[1])
    assert found.kinds == ("card_pickup", "substitution") and len(found.hours) == 2
    assert found.closures == (("2027-05-08", "Victoire 1945"),)
    assert "Guichet 3" in admin.get("/prefecture/appointments").text
    assert 'value="14:00"' in admin.get(target).text
    other = staff(app, settings, role="admin", prefecture="75")
    assert other.get(target).status_code == 404
