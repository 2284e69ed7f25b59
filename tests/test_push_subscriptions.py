"""Web Push subscriptions on the account page (ADR 0024): turn on, list,
remove; one endpoint per account; refused endpoints and keys; a 410 from the
push service removes the subscription."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server import clock
from server.auth.policy import Actor
from server.commands import apply
from server.notify import subscriptions, vapid, webpush
from server.store.db import Database
from server.store.migrations import migrate
from sync.protocol import Command

from .push_receiver import Receiver


def _account_id(app, person) -> str:
    page = person.client.get("/account")
    assert page.status_code == 200
    with app.state.db.exclusive() as conn:
        (account_id,) = conn.execute("SELECT id FROM accounts ORDER BY created_at DESC LIMIT 1").fetchone()
    return account_id


def _form(browser) -> dict[str, str]:
    return {
        "endpoint": browser.endpoint,
        "p256dh": browser.p256dh,
        "auth": browser.auth_b64,
        "command_id": str(uuid.uuid4()),
    }


def _push_data(html: str) -> dict:
    return json.loads(re.search(r'id="push-data">(.*?)</script>', html, re.S).group(1))


def test_turn_on_list_and_remove(app, settings, make_person) -> None:
    person = make_person()
    person.signup()
    page = person.client.get("/account")
    data = _push_data(page.text)
    assert data["key"] == vapid.keys(settings).public_b64 and data["endpoints"] == {}
    assert "Notifications sur cet appareil" in page.text and "Aucun appareil ne reçoit" in page.text
    with Receiver() as receiver:
        browser = receiver.new_subscription()
        response = person.client.post("/account/push", data=_form(browser), follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/account?done=push_on#push"
        page = person.client.get("/account?done=push_on")
        assert "Les notifications sont activées sur cet appareil." in page.text
        assert "Chrome · Android" in page.text  # the label comes from the browser's User-Agent
        [(endpoint, sid)] = _push_data(page.text)["endpoints"].items()
        assert endpoint == browser.endpoint
        # The same browser again is the same row, not a second one.
        person.client.post("/account/push", data=_form(browser))
        assert list(_push_data(person.client.get("/account").text)["endpoints"].values()) == [sid]
        response = person.client.post(
            f"/account/push/{sid}/remove", data={"command_id": str(uuid.uuid4())}, follow_redirects=False
        )
        assert response.headers["location"] == "/account?done=push_off#push"
        assert _push_data(person.client.get("/account").text)["endpoints"] == {}
        with app.state.db.exclusive() as conn:
            row = subscriptions.get(conn, sid)
        assert row is not None and row.removed_reason == "removed"


def test_one_endpoint_belongs_to_the_last_person_who_turned_it_on(app, make_person) -> None:
    first, second = make_person(), make_person()
    first.signup(name="Amina")
    second.signup(name="Karim")
    with Receiver() as receiver:
        browser = receiver.new_subscription()
        first.client.post("/account/push", data=_form(browser))
        second.client.post("/account/push", data=_form(browser))
    assert _push_data(first.client.get("/account").text)["endpoints"] == {}
    assert list(_push_data(second.client.get("/account").text)["endpoints"]) == [browser.endpoint]


def test_someone_elses_subscription_is_not_found(app, make_person) -> None:
    owner, other = make_person(), make_person()
    owner.signup()
    other.signup()
    with Receiver() as receiver:
        owner.client.post("/account/push", data=_form(receiver.new_subscription()))
    [sid] = _push_data(owner.client.get("/account").text)["endpoints"].values()
    response = other.client.post(f"/account/push/{sid}/remove", data={})
    assert response.status_code == 400 and "Cet élément n’existe pas, ou plus." in response.text
    assert list(_push_data(owner.client.get("/account").text)["endpoints"].values()) == [sid]


def test_bad_endpoints_and_keys_are_refused_with_a_sentence(make_person) -> None:
    person = make_person()
    person.signup()
    with Receiver() as receiver:
        browser = receiver.new_subscription()
        for endpoint in ("http://10.1.2.3/push", "javascript:alert(1)", "", "https://" + "a" * 3000):
            response = person.client.post("/account/push", data={**_form(browser), "endpoint": endpoint})
            assert response.status_code == 400
            assert "adresse de notification que Sésame ne peut pas utiliser" in response.text
        for field, value in (("p256dh", "AAAA"), ("auth", "not base64!"), ("p256dh", "B" * 87)):
            response = person.client.post("/account/push", data={**_form(browser), field: value})
            assert response.status_code == 400 and "clés de notification incomplètes" in response.text
    assert _push_data(person.client.get("/account").text)["endpoints"] == {}


def test_staff_have_no_push_section(app, db) -> None:
    actor = Actor(role="agent", account_id="agent-1", prefecture="75")
    command = Command(
        id=str(uuid.uuid4()),
        client="t",
        seq=0,
        op="push.subscribe",
        args={"endpoint": "https://push.example/x", "p256dh": "", "auth": ""},
    )
    with db.transaction() as conn:
        assert apply(conn, command, actor).code == "forbidden"


def test_a_410_removes_the_subscription_and_the_page_says_so(app, settings, make_person) -> None:
    person = make_person()
    person.signup()
    with Receiver() as receiver:
        kept, expired = receiver.new_subscription(), receiver.new_subscription()
        person.client.post("/account/push", data=_form(kept))
        person.client.post("/account/push", data=_form(expired))
        receiver.gone.add(expired.token)
        account_id = _account_id(app, person)
        keys = vapid.keys(settings)
        with app.state.db.exclusive() as conn:
            live = subscriptions.live(conn, account_id)
        assert len(live) == 2
        http = webpush.session()
        data = webpush.payload(title="Sésame", body="x", path="/dashboard", lang="fr", discreet=False)
        deliveries = [webpush.deliver(s, data, keys, http=http) for s in live]
        now = clock.iso(clock.now())
        with app.state.db.transaction() as conn:
            for delivery in deliveries:
                webpush.record(conn, delivery, now)
        with app.state.db.exclusive() as conn:
            [left] = subscriptions.live(conn, account_id)
            gone = [s for s in subscriptions.recently_removed(conn, account_id)]
        assert left.endpoint == kept.endpoint and left.last_success_at == now
        assert [(s.endpoint, s.removed_reason) for s in gone] == [(expired.endpoint, "gone")]
    page = person.client.get("/account").text
    assert "ne reçoit plus les notifications depuis le" in page
    assert "dernier signal remis" in page


def test_the_push_sender_is_registered_and_reaches_every_browser_once(app, settings, make_person) -> None:
    from server.notify import channels

    person = make_person()
    person.signup()
    sender = channels.senders()["push"]
    assert sender.kind == "push"
    with Receiver() as receiver:
        phone, laptop, expired = (receiver.new_subscription() for _ in range(3))
        for browser in (phone, laptop, expired):
            person.client.post("/account/push", data=_form(browser))
        receiver.gone.add(expired.token)
        account_id = _account_id(app, person)
        message = channels.Message(
            key="send-1",
            language="fr",
            title="Sésame",
            text="La préfecture vous a écrit. Ouvrez Sésame.",
            path="/dashboard",
        )
        outcomes = sender.send(app.state.db, account_id, message)
        assert sorted((o.delivered, o.error) for o in outcomes) == [
            (False, "gone"),
            (True, None),
            (True, None),
        ]
        pushes = receiver.wait(2)
        assert {p.token for p in pushes} == {phone.token, laptop.token}
        assert all(receiver.decrypt_json(p)["body"] == message.text for p in pushes)
        # A device the push service dropped is not tried again.
        again = sender.send(
            app.state.db,
            account_id,
            channels.Message(
                key="send-2", language="ar", title="", text="", path="/dashboard", discreet=True
            ),
        )
        assert len(again) == 2 and all(o.delivered for o in again)
        discreet = receiver.wait(4)[2:]
        assert [receiver.decrypt_json(p) for p in discreet] == [{"path": "/dashboard", "discreet": True}] * 2
        # A busy push service: worth trying again later.
        receiver.answer_status = 503
        busy = sender.send(
            app.state.db,
            account_id,
            channels.Message(key="send-3", language="fr", title="Sésame", text="x", path="/"),
        )
        assert {(o.error, o.retryable) for o in busy} == {("http_503", True)}
    # Nobody to reach: an empty list.
    assert sender.send(app.state.db, "someone-else", message) == []


def test_signing_out_ends_only_this_browsers_subscription_of_this_account(app, make_person) -> None:
    """A shared phone: the sign-out form names the browser's endpoint (pwa/sync.js)."""
    amina, moussa = make_person(), make_person()
    amina.signup("Amina")
    moussa.signup("Moussa")
    ids = app.state.db.read_sync(
        lambda c: dict(c.execute("SELECT display_name, id FROM accounts").fetchall())
    )
    amina_id, moussa_id = ids["Amina"], ids["Moussa"]
    with Receiver() as receiver:
        phone, laptop, other = (receiver.new_subscription() for _ in range(3))
        for who, browser in ((amina, phone), (amina, laptop), (moussa, other)):
            assert (
                who.client.post("/account/push", data=_form(browser), follow_redirects=False).status_code
                == 303
            )
        # Moussa's endpoint named in Amina's sign-out ends nothing of his.
        amina.client.post("/signout", data={"push_endpoint": other.endpoint})
        amina.signin()
        amina.client.post("/signout", data={"push_endpoint": phone.endpoint}, follow_redirects=False)

    def live(account_id: str) -> list[str]:
        return app.state.db.read_sync(lambda c: [s.endpoint for s in subscriptions.live(c, account_id)])

    assert live(amina_id) == [laptop.endpoint] and live(moussa_id) == [other.endpoint]
    reason = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT removed_reason FROM push_subscriptions WHERE endpoint = ?", (phone.endpoint,)
        ).fetchone()[0]
    )
    assert reason == "signed_out"


def test_whatever_a_sign_out_form_names_ends_nothing_else(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    migrate(db)
    db.write_sync(
        lambda c: c.execute(
            "INSERT INTO accounts (id, user_handle, display_name, language, role, created_at, version)"
            " VALUES ('a', x'01', 'A', 'fr', 'applicant', '2026-01-01', 1)"
        )
    )
    insert = (
        "INSERT OR REPLACE INTO push_subscriptions (id, account_id, endpoint, p256dh, auth, label, created_at,"
        " version) VALUES ('s', 'a', 'https://push.example/x', 'k', 'a', 'l', '2026-01-01', 1)"
    )

    @hypothesis_settings(max_examples=60, deadline=None)
    @given(endpoint=st.text(max_size=3000))
    def sign_out_naming(endpoint: str) -> None:
        db.write_sync(lambda c: c.execute(insert))
        ended = db.write_sync(subscriptions.signed_out, "a", endpoint, "2026-01-02")
        assert ended == (1 if endpoint == "https://push.example/x" else 0)

    try:
        sign_out_naming()
        sign_out_naming.hypothesis.inner_test("https://push.example/x")  # the one that ends it
    finally:
        db.close()
