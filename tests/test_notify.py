"""Reminders and the dispatcher (ADR 0023), driven by a fake clock: what each
trigger says and when, moot reminders cancelled, quiet hours, one digest
instead of a burst, retries with backoff then a failure shown, exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

import i18n
from server import clock, commands, renewals
from server.auth.policy import Actor
from server.domain import appointments, files
from server.notify import channels, contacts, dispatch, texts
from server.notify.channels import Outcome
from sync.protocol import Command

from .notify_servers import Recorder
from .test_appointments import book, desk, free, granted
from .test_attestations import FakeClock
from .test_complements import a_piece, submitted_renewal
from .test_files_http import a_file_for, agent_command, cat

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris
NO_DIGEST = dispatch.Policy(digest_minutes=0)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return FakeClock(monkeypatch, START)


def neutral_sentences() -> set[str]:
    """Every sentence a notification may say, in every language: nothing else
    ever leaves (no name, file number, reason, ground or document)."""
    return {texts.sentence([t], lang) for t in texts.TOPICS for lang in i18n.LANGUAGES} | {
        texts.sentence(texts.TOPICS[:2], lang) for lang in i18n.LANGUAGES
    }


@pytest.fixture
def sms() -> Recorder:
    recorder = Recorder("sms")
    channels.register(recorder)
    yield recorder
    channels.unregister("sms")
    # Whatever trigger the test drove, every message said one of the fixed sentences.
    allowed = neutral_sentences() | {""}
    assert all(m.text in allowed and m.title in ("Sésame", "") for _, m in recorder.sent)


def owner(app, file_id: str) -> str:
    return app.state.db.read_sync(lambda c: files.get(c, file_id)).owner_id


def as_person(app, account_id: str, op: str, args: dict) -> object:
    actor = Actor(role="applicant", account_id=account_id)
    command = Command(id=str(uuid.uuid4()), client="t", seq=0, op=op, args=args)
    return app.state.db.write_sync(lambda c: commands.apply(c, command, actor))


def confirmed(db, account_id: str, *kinds: str) -> None:
    """The account's addresses confirmed as the person does it: a code made, typed back (ADR 0029)."""
    for kind in kinds:
        made = db.write_sync(contacts.new_code, "test-key", account_id, kind, clock.now())
        assert made is not None, kind
        assert (
            db.write_sync(contacts.check, "test-key", account_id, kind, made[1], clock.now()) == "confirmed"
        )


def reachable(app, file_id: str, **prefs: str) -> str:
    account_id = owner(app, file_id)
    assert as_person(app, account_id, "notify.preferences", {"phone": "06 12 34 56 78", **prefs}).applied
    return account_id


def run(app, policy: dispatch.Policy = NO_DIGEST) -> dict[str, int]:
    return dict(dispatch.run(app.state.db, policy))


def topics(recorder: Recorder) -> list[tuple[str, ...]]:
    return [m.topics for _, m in recorder.sent]


def ask(app, file_id: str, due: date) -> None:
    item = {"kind": "piece", "target": a_piece(file_id), "reason": "Page illisible.", "due": due.isoformat()}
    assert agent_command(app, "complement.request", {"file_id": file_id, "items": [item]}).applied


def at_paris(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=appointments.PARIS).astimezone(UTC)


def test_a_complement_reminds_now_then_7_and_2_days_before_unless_answered(app, make_person, fake_clock, sms):
    p, file_id = submitted_renewal(app, make_person)
    reachable(app, file_id)
    due = START.date() + timedelta(days=20)
    ask(app, file_id, due)
    run(app)
    assert topics(sms) == [("complement_asked",)]
    assert sms.sent[0][1].path == f"/files/{file_id}"
    run(app)  # nothing twice
    fake_clock.moment = at_paris(due - timedelta(days=7), 9)
    run(app)
    assert len(sms.sent) == 1  # not before 10:00 Paris time
    fake_clock.moment = at_paris(due - timedelta(days=7), 10)
    run(app)
    assert topics(sms)[-1] == ("complement_due_7",)
    # Answered: the reminder 2 days before is moot, and cancelled when due.
    piece = a_piece(file_id)
    assert p.upload(file_id, piece, a_file_for(cat().media_types(piece), "again")).status_code == 303
    fake_clock.moment = at_paris(due - timedelta(days=2), 12)
    run(app)
    assert len(sms.sent) == 2
    states = app.state.db.read_sync(
        lambda c: dict(c.execute("SELECT topic, state FROM notify_reminders").fetchall())
    )
    assert states == {
        "complement_asked": "grouped",
        "complement_due_7": "grouped",
        "complement_due_2": "cancelled",
    }


def test_a_message_and_a_decision_each_say_so_and_a_burst_becomes_one_digest(
    app, make_person, fake_clock, sms
):
    _, file_id = submitted_renewal(app, make_person)
    reachable(app, file_id)
    policy = dispatch.Policy(digest_minutes=10)
    message = {
        "file_id": file_id,
        "message_id": str(uuid.uuid4()),
        "body": "Merci de venir avec votre passeport.",
    }
    assert agent_command(app, "message.send", message).applied
    run(app, policy)
    assert topics(sms) == [("prefecture_message",)] and sms.sent[0][1].path == f"/files/{file_id}/messages"
    # Two more acts within the window: held, then one message for both.
    fake_clock.moment += timedelta(minutes=2)
    assert agent_command(app, "message.send", {**message, "message_id": str(uuid.uuid4())}).applied
    from .test_attestations import decide

    assert decide(app, file_id, "refused").applied
    run(app, policy)
    assert len(sms.sent) == 1
    fake_clock.moment += timedelta(minutes=8)
    run(app, policy)
    assert topics(sms)[1] == ("decision", "prefecture_message")
    assert sms.sent[1][1].text == "Sésame\u00a0: plusieurs nouvelles vous attendent. Ouvrez l’application."


def test_attestations_issued_then_ending_in_30_and_7_days_unless_renewed(app, make_person, fake_clock, sms):
    _, file_id = submitted_renewal(app, make_person, lock=False)
    reachable(app, file_id)
    fake_clock.advance(21)
    renewals.run(app.state.db)
    run(app)
    assert topics(sms) == [("attestation_issued",)]
    assert sms.sent[0][1].path == f"/files/{file_id}/attestation"
    ends = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT valid_until FROM attestations WHERE file_id = ? AND kind = 'provisional'", (file_id,)
        ).fetchone()[0]
    )
    ends = date.fromisoformat(ends)
    fake_clock.moment = at_paris(ends - timedelta(days=30), 10)
    renewals.run(app.state.db)  # renewed that day: "ends in 30 days" is moot
    run(app)
    assert topics(sms)[1:] == [("attestation_renewed",)]
    states = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT r.topic, r.state FROM notify_reminders r JOIN attestations a ON r.ref = 'attestation:' || a.id"
            " WHERE a.status = 'replaced' ORDER BY r.due_at"
        ).fetchall()
    )
    assert [tuple(r) for r in states] == [
        ("attestation_issued", "grouped"),
        ("attestation_ends_30", "cancelled"),
        ("attestation_ends_7", "pending"),  # cancelled when it falls due
    ]


def test_the_ending_reminder_comes_when_no_renewal_came(app, make_person, fake_clock, sms):
    _, file_id = submitted_renewal(app, make_person, lock=False)
    reachable(app, file_id)
    fake_clock.advance(21)
    renewals.run(app.state.db)
    run(app)
    ends = date.fromisoformat(
        app.state.db.read_sync(
            lambda c: c.execute(
                "SELECT valid_until FROM attestations WHERE file_id = ? AND kind = 'provisional'", (file_id,)
            ).fetchone()[0]
        )
    )
    fake_clock.moment = at_paris(ends - timedelta(days=30), 10)
    run(app)  # no renewal ran (a stopped schedule): the person is told
    assert topics(sms)[-1] == ("attestation_ends_30",)
    fake_clock.moment = at_paris(ends - timedelta(days=7), 10)
    run(app)
    assert topics(sms)[-1] == ("attestation_ends_7",)


def test_appointments_booked_moved_and_the_day_before(app, settings, make_person, fake_clock, sms):
    from .test_prefecture_review import staff

    person, file_id = granted(app, make_person)
    reachable(app, file_id)
    run(app)
    assert topics(sms) == [("decision",)]
    desk(app)
    assert staff(app, settings).post(f"/prefecture/files/{file_id}/card/ready", data={}).status_code == 303
    slots = free(app)
    first, second = slots[0], slots[-1]
    assert book(app, person, file_id, first).status_code == 303
    run(app)
    assert (
        topics(sms)[-1] == ("appointment_booked",) and sms.sent[-1][1].path == f"/files/{file_id}/appointment"
    )
    current = app.state.db.read_sync(appointments.current, file_id)
    assert book(app, person, file_id, second, appointment_id_current=current.id).status_code == 303
    run(app)
    assert topics(sms)[-1] == ("appointment_moved",)
    # The eve of the first slot: moved, nothing; the eve of the second: a reminder.
    sent = len(sms.sent)
    first_day = date.fromisoformat(first.starts_at[:10])
    second_day = date.fromisoformat(second.starts_at[:10])
    if first_day != second_day:
        fake_clock.moment = at_paris(first_day - timedelta(days=1), 18)
        run(app)
        assert len(sms.sent) == sent
    fake_clock.moment = at_paris(second_day - timedelta(days=1), 18)
    run(app)
    assert topics(sms)[-1] == ("appointment_tomorrow",)


def test_a_blockage_answered_reaches_its_signed_in_author(app, settings, make_person, fake_clock, sms):
    from .test_prefecture_review import staff

    p = make_person()
    p.signup()
    data = {"report_id": str(uuid.uuid4()), "kind": "account", "language": "fr", "departement": "93"}
    assert p.client.post("/blocked", data=data, follow_redirects=False).status_code == 303
    account_id = app.state.db.read_sync(lambda c: c.execute("SELECT account_id FROM blockages").fetchone()[0])
    assert account_id and as_person(app, account_id, "notify.preferences", {"phone": "0612345678"}).applied
    answer = {"answer_id": str(uuid.uuid4()), "kind": "message", "body": "Nous vous rappelons demain."}
    agent = staff(app, settings, prefecture="93")
    assert agent.post(f"/prefecture/reports/{data['report_id']}/answer", data=answer).status_code == 303
    run(app)
    assert topics(sms) == [("blockage_answered",)] and sms.sent[0][1].path == "/blocked/mine"


def test_quiet_hours_hold_sms_but_not_email_and_the_person_sets_them(app, make_person, fake_clock, sms):
    email = Recorder("email")
    channels.register(email)
    try:
        _, file_id = submitted_renewal(app, make_person)
        account_id = reachable(app, file_id)
        fake_clock.moment = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # 22:30 in Paris
        ask(app, file_id, START.date() + timedelta(days=20))
        run(app)
        assert len(email.sent) == 1 and sms.sent == []
        fake_clock.moment = datetime(2026, 3, 3, 6, 59, tzinfo=UTC)
        run(app)
        assert sms.sent == []
        fake_clock.moment = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 in Paris
        run(app)
        assert len(sms.sent) == 1
        # No quiet hours at all, by choice: an SMS at night.
        assert as_person(app, account_id, "notify.preferences", {"quiet_start": "", "quiet_end": ""}).applied
        fake_clock.moment = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)
        message = {"file_id": file_id, "message_id": str(uuid.uuid4()), "body": "Bonsoir."}
        assert agent_command(app, "message.send", message).applied
        run(app)
        assert len(sms.sent) == 2
        # SMS off: only the e-mail.
        assert as_person(app, account_id, "notify.preferences", {"by_sms": "0"}).applied
        assert agent_command(app, "message.send", {**message, "message_id": str(uuid.uuid4())}).applied
        run(app)
        assert len(sms.sent) == 2 and len(email.sent) == 3
    finally:
        channels.unregister("email")


def test_discreet_sends_no_text_at_all(app, make_person, fake_clock, sms):
    _, file_id = submitted_renewal(app, make_person)
    reachable(app, file_id, discreet="on")
    ask(app, file_id, START.date() + timedelta(days=20))
    run(app)
    message = sms.sent[0][1]
    assert message.discreet and message.text == "" and message.title == "" and message.body == channels.SIGN


def test_retries_back_off_then_the_failure_is_shown_on_the_account_page(app, make_person, fake_clock, sms):
    p, file_id = submitted_renewal(app, make_person)
    reachable(app, file_id)
    policy = dispatch.Policy(digest_minutes=0, max_attempts=3, retry_seconds=60)
    sms.answers = [Outcome("sms", "sms", False, "http_503", retryable=True)] * 3
    ask(app, file_id, START.date() + timedelta(days=20))
    run(app, policy)
    assert len(sms.sent) == 1
    fake_clock.moment += timedelta(seconds=59)
    run(app, policy)
    assert len(sms.sent) == 1  # waits a minute
    fake_clock.moment += timedelta(seconds=1)
    run(app, policy)
    fake_clock.moment += timedelta(seconds=119)
    run(app, policy)
    assert len(sms.sent) == 2  # then two minutes
    fake_clock.moment += timedelta(seconds=1)
    run(app, policy)
    assert len(sms.sent) == 3
    fake_clock.moment += timedelta(days=1)
    run(app, policy)
    assert len(sms.sent) == 3  # gave up
    row = app.state.db.read_sync(
        # (the push channel has a send too, dropped: this person has no device)
        lambda c: c.execute(
            "SELECT state, attempts, error FROM notify_sends WHERE channel = 'sms'"
        ).fetchone()
    )
    assert tuple(row) == ("failed", 3, "http_503")
    log = app.state.db.read_sync(
        lambda c: c.execute("SELECT * FROM notify_log WHERE channel = 'sms'").fetchall()
    )
    assert [(r["channel"], r["attempt"], r["delivered"], r["error"]) for r in log] == [
        ("sms", n, 0, "http_503") for n in (1, 2, 3)
    ]
    page = p.client.get("/account").text
    assert "Nous n’avons pas pu vous joindre par SMS le 2 mars 2026" in page


def test_a_claimed_send_is_taken_again_only_after_its_lease(app, make_person, fake_clock, sms):
    _, file_id = submitted_renewal(app, make_person)
    reachable(app, file_id)
    ask(app, file_id, START.date() + timedelta(days=20))
    db = app.state.db
    policy = dispatch.Policy(digest_minutes=0, lease_seconds=120)
    db.write_sync(lambda c: dispatch.schedule.derive(c, clock.now()))
    db.write_sync(lambda c: dispatch.plan(c, clock.now(), policy, ["sms"]))
    taken = db.write_sync(lambda c: dispatch.claim(c, clock.now(), policy))
    assert len(taken) == 1
    # The process that took it died before sending: nobody else takes it while it is held…
    assert db.write_sync(lambda c: dispatch.claim(c, clock.now(), policy)) == []
    run(app, policy)
    assert sms.sent == []
    # …then the next pass does, once, with the same key.
    fake_clock.moment += timedelta(seconds=120)
    run(app, policy)
    run(app, policy)
    assert len(sms.sent) == 1 and sms.sent[0][1].key == taken[0].id
    # The late process now finishing finds the send taken over and changes nothing.
    assert db.write_sync(lambda c: dispatch.finish(c, taken[0], [], clock.now(), policy)) == ""


def test_deriving_again_from_the_start_adds_nothing(app, make_person, fake_clock, sms):
    _, file_id = submitted_renewal(app, make_person)
    reachable(app, file_id)
    ask(app, file_id, START.date() + timedelta(days=20))
    run(app)
    db = app.state.db
    before = db.read_sync(lambda c: c.execute("SELECT count(*) FROM notify_reminders").fetchone()[0])
    db.write_sync(lambda c: c.execute("UPDATE notify_cursor SET position = 0"))
    run(app)
    after = db.read_sync(lambda c: c.execute("SELECT count(*) FROM notify_reminders").fetchone()[0])
    assert before == after == 3 and len(sms.sent) == 1


def test_preferences_are_checked(app, make_person) -> None:
    p = make_person()
    p.signup()
    account_id = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM accounts").fetchone()[0])
    assert as_person(app, account_id, "notify.preferences", {"quiet_start": "25:00"}).code == "quiet_format"
    assert as_person(
        app, account_id, "notify.preferences", {"quiet_start": "22:00", "quiet_end": ""}
    ).code == ("quiet_format")
    assert as_person(app, account_id, "notify.preferences", {"phone": "abc"}).code == "phone_format"
    assert as_person(app, account_id, "notify.preferences", {"colour": "red"}).code == "invalid"
    other = {"account_id": "someone-else", "by_sms": "0"}
    assert as_person(app, account_id, "notify.preferences", other).code == "forbidden"
    assert as_person(app, "someone-else", "notify.preferences", {"by_sms": "0"}).code == "forbidden"
    assert as_person(
        app, account_id, "notify.preferences", {"quiet_start": "7:30", "quiet_end": "22:00"}
    ).applied


def test_the_account_page_form_saves_all_optional_choices(app, make_person) -> None:
    p = make_person()
    p.signup()
    page = p.client.get("/account").text
    assert "Être prévenu" in page and 'name="discreet"' in page
    # Everything empty and unticked is a valid choice: nothing is required.
    # What the page sends with every field emptied and every box unticked.
    shown = {
        "shown": "by_push by_email by_sms discreet",
        "email": "",
        "phone": "",
        "quiet_start": "",
        "quiet_end": "",
    }
    saved = p.client.post("/account/notifications", data=shown, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/account?done=notify_saved#notify"
    account_id = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM accounts").fetchone()[0])
    from server.notify import preferences

    prefs = app.state.db.read_sync(preferences.get, account_id)
    assert (prefs.push, prefs.email, prefs.sms, prefs.discreet, prefs.quiet_start) == (
        False,
        False,
        False,
        False,
        None,
    )
    # A bad time keeps what was typed, with the reason beside it.
    data = {
        **shown,
        "phone": "06 11 22 33 44",
        "by_sms": "1",
        "quiet_start": "22:00",
        "quiet_end": "",
        "discreet": "1",
    }
    refused = p.client.post("/account/notifications", data=data)
    assert refused.status_code == 400
    assert "Indiquez les deux heures" in refused.text and 'value="06 11 22 33 44"' in refused.text
    data["quiet_end"] = "07:30"
    assert p.client.post("/account/notifications", data=data, follow_redirects=False).status_code == 303
    prefs = app.state.db.read_sync(preferences.get, account_id)
    assert (prefs.sms, prefs.discreet, prefs.quiet_start, prefs.quiet_end) == (True, True, "22:00", "07:30")
    page = p.client.get("/account?done=notify_saved").text
    assert "Vos choix pour être prévenu sont enregistrés." in page and 'value="06 11 22 33 44"' in page
    # The profile form no longer carries the address and number: saving it keeps them.
    assert p.client.post(
        "/account/profile", data={"display_name": "Amina D.", "language": "ar"}
    ).status_code in (200, 303)
    row = app.state.db.read_sync(lambda c: c.execute("SELECT phone, language FROM accounts").fetchone())
    assert tuple(row) == ("06 11 22 33 44", "ar")


def test_the_outbox_form_of_the_phone_applies_the_same(app, make_person) -> None:
    """Offline, the form becomes a command in the outbox (pwa/forms.js): ticked
    boxes as lists, unticked ones absent but named in `shown`."""
    from server.notify import preferences

    p = make_person()
    p.signup()
    account_id = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM accounts").fetchone()[0])
    args = {
        "shown": "by_push by_email by_sms discreet",
        "by_sms": ["1"],
        "phone": "0611223344",
        "quiet_start": "21:30",
        "quiet_end": "07:00",
    }
    assert as_person(app, account_id, "notify.preferences", args).applied
    prefs = app.state.db.read_sync(preferences.get, account_id)
    assert (prefs.push, prefs.email, prefs.sms, prefs.discreet) == (False, False, True, False)
    assert (prefs.quiet_start, prefs.quiet_end) == ("21:30", "07:00")
    # A key the page did not show keeps its value.
    assert as_person(app, account_id, "notify.preferences", {"discreet": ["1"]}).applied
    prefs = app.state.db.read_sync(preferences.get, account_id)
    assert (prefs.sms, prefs.discreet) == (True, True)
