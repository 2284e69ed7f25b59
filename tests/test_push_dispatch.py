"""Web Push through notify's dispatcher (ADR 0023, 0024): an agent's act becomes
one encrypted push of the neutral sentence, held through quiet hours, logged
without its content; a push service that says the device is gone removes it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from server.notify import dispatch, texts
from server.translation import gettext, language

from .push_receiver import Receiver
from .test_attestations import FakeClock
from .test_complements import submitted_renewal
from .test_notify import as_person, ask, owner, run

MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris
NIGHT = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 23:00 in Paris


def _subscribe(person, receiver: Receiver):
    browser = receiver.new_subscription()
    form = {
        "endpoint": browser.endpoint,
        "p256dh": browser.p256dh,
        "auth": browser.auth_b64,
        "command_id": str(uuid.uuid4()),
    }
    assert person.client.post("/account/push", data=form, follow_redirects=False).status_code == 303
    return browser


def _expected(lang: str, topic: str) -> tuple[str, str]:
    with language(lang):
        return gettext(texts.TITLE), gettext(texts.TEXTS[topic])


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_complement_asked_is_one_neutral_push_in_the_persons_language(app, make_person, monkeypatch, lang):
    FakeClock(monkeypatch, MORNING)
    person, file_id = submitted_renewal(app, make_person)
    account_id = owner(app, file_id)
    assert as_person(app, account_id, "account.update", {"language": lang}).applied
    with Receiver() as receiver:
        browser = _subscribe(person, receiver)
        ask(app, file_id, date(2026, 4, 1))
        run(app)
        [push] = receiver.wait(1)
        assert push.token == browser.token
        title, body = _expected(lang, "complement_asked")
        assert receiver.decrypt_json(push) == {
            "title": title,
            "body": body,
            "path": f"/files/{file_id}",
            "lang": lang,
            "dir": "rtl" if lang == "ar" else "ltr",
        }
        run(app)  # nothing more: the send is settled
        assert len(receiver.received) == 1
    logged = app.state.db.read_sync(
        lambda c: [
            tuple(r)
            for r in c.execute(
                "SELECT channel, channel_id, delivered, error FROM notify_log WHERE account_id = ?",
                (account_id,),
            )
        ]
    )
    [(channel, channel_id, delivered, error)] = [r for r in logged if r[0] == "push"]
    assert (channel, delivered, error) == ("push", 1, None)
    assert browser.endpoint not in channel_id  # which device, never its address


def test_quiet_hours_hold_a_push_until_morning_and_discreet_has_no_words(app, make_person, monkeypatch):
    moment = FakeClock(monkeypatch, NIGHT)
    person, file_id = submitted_renewal(app, make_person)
    account_id = owner(app, file_id)
    assert as_person(app, account_id, "notify.preferences", {"discreet": "on"}).applied
    with Receiver() as receiver:
        _subscribe(person, receiver)
        ask(app, file_id, date(2026, 4, 1))
        run(app)
        assert receiver.received == []  # 23:00 in Paris: the phone stays silent
        moment.moment = NIGHT + timedelta(hours=10)  # 09:00 in Paris
        run(app)
        [push] = receiver.wait(1)
        assert receiver.decrypt_json(push) == {"path": f"/files/{file_id}", "discreet": True}


def test_a_gone_device_is_removed_and_the_send_does_not_retry_it(app, make_person, monkeypatch):
    FakeClock(monkeypatch, MORNING)
    person, file_id = submitted_renewal(app, make_person)
    with Receiver() as receiver:
        kept, gone = _subscribe(person, receiver), _subscribe(person, receiver)
        receiver.gone.add(gone.token)
        ask(app, file_id, date(2026, 4, 1))
        run(app)
        assert [p.token for p in receiver.wait(1)] == [kept.token]
    left = app.state.db.read_sync(
        lambda c: [
            tuple(r)
            for r in c.execute(
                "SELECT endpoint, removed_reason FROM push_subscriptions ORDER BY created_at, id"
            )
        ]
    )
    assert sorted(left) == sorted([(kept.endpoint, None), (gone.endpoint, "gone")])
    states = app.state.db.read_sync(
        lambda c: [r[0] for r in c.execute("SELECT state FROM notify_sends WHERE channel = 'push'")]
    )
    assert states == ["sent"]


def test_a_busy_push_service_is_tried_again_later(app, make_person, monkeypatch):
    moment = FakeClock(monkeypatch, MORNING)
    person, file_id = submitted_renewal(app, make_person)
    with Receiver() as receiver:
        _subscribe(person, receiver)
        receiver.answer_status = 503
        ask(app, file_id, date(2026, 4, 1))
        run(app, dispatch.Policy(digest_minutes=0, retry_seconds=60))
        assert receiver.received == [] and receiver.refused[-1][0] == 503
        receiver.answer_status = None
        moment.moment = MORNING + timedelta(minutes=5)
        run(app, dispatch.Policy(digest_minutes=0, retry_seconds=60))
        assert len(receiver.wait(1)) == 1
