"""Confirmed addresses (ADR 0029): nothing goes to an e-mail address or a phone
number until the person typed back a code sent there; a new address is
unconfirmed by itself; codes expire, wear out, and are sent sparingly."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from server import clock
from server.auth.ratelimit import RateLimiter
from server.notify import channels, contacts, texts
from server.notify.mail import EmailSender
from server.notify.sms import HttpSmsProvider, SmsSender
from server.store import migrations
from server.store.db import Database

from .notify_servers import SmsProviderServer, SmtpServer
from .test_notify import as_person

SHOWN = "by_push by_email by_sms discreet"


def account_of(app: Any, name: str) -> str:
    return app.state.db.read_sync(
        lambda c: c.execute("SELECT id FROM accounts WHERE display_name = ?", (name,)).fetchone()["id"]
    )


def someone(app: Any, make_person: Any, name: str, lang: str = "fr", **contact: str) -> tuple[Any, str]:
    """A person signed up, with the address or number given (saved, not confirmed)."""
    p = make_person()
    p.signup(name, language=lang)
    account_id = account_of(app, name)
    if contact:
        assert as_person(app, account_id, "notify.preferences", contact).applied
    return p, account_id


def neutral(lang: str = "fr") -> channels.Message:
    return texts.message(key=str(uuid.uuid4()), topics=["decision"], lang=lang, path="/", discreet=False)


@pytest.fixture
def senders() -> Any:
    with SmtpServer() as smtp, SmsProviderServer() as provider:
        email = EmailSender(smtp.url, "Sésame <sesame@example.org>", "https://sesame.example")
        sms = SmsSender(HttpSmsProvider(provider.url, provider.token, provider.sender))
        channels.register(email)
        channels.register(sms)
        try:
            yield smtp, provider, email, sms
        finally:
            channels.unregister("email")
            channels.unregister("sms")


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def test_nothing_leaves_until_the_code_comes_back(app, make_person, senders) -> None:
    smtp, provider, email, sms = senders
    p = make_person()
    p.signup("Aminata Diallo")
    account_id = account_of(app, "Aminata Diallo")
    saved = p.client.post(
        "/account/notifications",
        data={
            "email": "aminata@example.org",
            "phone": "06 12 34 56 78",
            "shown": SHOWN,
            "by_email": "1",
            "by_sms": "1",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    db = app.state.db

    # Saved, not confirmed: the dispatcher's senders find nothing to reach.
    assert email.send(db, account_id, neutral()) == [] and sms.send(db, account_id, neutral()) == []
    page = p.client.get("/account").text
    assert (
        'data-contact="email" data-confirmed="no"' in page
        and 'data-contact="sms" data-confirmed="no"' in page
    )
    assert 'href="/account/contact/sms"' in page and 'href="/account/contact/email"' in page

    # The SMS: a code is sent, only the code; a wrong one is refused on the form; the right one confirms.
    asking = p.client.get("/account/contact/sms")
    assert asking.status_code == 200 and "06 12 34 56 78" in asking.text and 'name="code"' not in asking.text
    sent = p.client.post("/account/contact/sms/code", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith(
        "/account/contact/sms?done=code_sent"
    )
    [request] = provider.requests
    assert request["to"] == "+33612345678" and provider.problems == []
    code = code_in("".join(request["parts"]))
    assert "Aminata" not in "".join(request["parts"])
    form = p.client.get("/account/contact/sms").text
    assert 'name="code"' in form and 'autocomplete="one-time-code"' in form
    wrong = p.client.post("/account/contact/sms", data={"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "Ce n’est pas le bon code" in wrong.text
    assert 'aria-invalid="true"' in wrong.text and 'href="#f-code"' in wrong.text
    right = p.client.post(
        "/account/contact/sms", data={"code": f" {code[:3]} {code[3:]} "}, follow_redirects=False
    )
    assert right.status_code == 303 and right.headers["location"] == "/account?done=sms_confirmed#notify"
    assert [o.delivered for o in sms.send(db, account_id, neutral())] == [True]
    assert email.send(db, account_id, neutral()) == []  # the e-mail address is still to confirm

    # The e-mail: the same way.
    assert p.client.post("/account/contact/email/code", follow_redirects=False).status_code == 303
    [(rcpt, mail)] = smtp.mailbox.messages
    assert rcpt == ["aminata@example.org"]
    code = code_in(mail.get_content())
    assert (
        p.client.post("/account/contact/email", data={"code": code}, follow_redirects=False).status_code
        == 303
    )
    assert [o.delivered for o in email.send(db, account_id, neutral())] == [True]
    page = p.client.get("/account").text
    assert (
        'data-contact="email" data-confirmed="yes"' in page
        and 'data-contact="sms" data-confirmed="yes"' in page
    )

    # Each code sent is logged like any message (never the code, never the address).
    logged = db.read_sync(
        lambda c: [
            dict(r) for r in c.execute("SELECT * FROM notify_log WHERE send_id LIKE 'code:%' ORDER BY id")
        ]
    )
    assert [(r["channel"], r["delivered"]) for r in logged] == [("sms", 1), ("email", 1)]
    assert not any(code in str(v) or "example.org" in str(v) for r in logged for v in r.values())
    assert db.read_sync(lambda c: c.execute("SELECT count(*) FROM contact_codes").fetchone()[0]) == 0


def test_a_new_address_is_unconfirmed_and_the_old_code_is_void(app, make_person, senders) -> None:
    _, provider, _, sms = senders
    p, account_id = someone(app, make_person, "Moussa Traoré", phone="0612345678")
    p.client.post("/account/contact/sms/code")
    first = code_in("".join(provider.requests[-1]["parts"]))
    # A digit was wrong: the number changes before the code is typed.
    assert as_person(app, account_id, "notify.preferences", {"phone": "0612345679"}).applied
    stale = p.client.post("/account/contact/sms", data={"code": first})
    assert stale.status_code == 400 and "Aucun code valable" in stale.text
    p.client.post("/account/contact/sms/code")
    assert provider.requests[-1]["to"] == "+33612345679"
    second = code_in("".join(provider.requests[-1]["parts"]))
    assert p.client.post("/account/contact/sms", data={"code": second}).status_code == 200
    assert [o.delivered for o in sms.send(app.state.db, account_id, neutral())] == [True]
    # Changed again, from a phone's outbox or a worker's: unconfirmed by itself.
    assert as_person(app, account_id, "notify.preferences", {"phone": "0700000000"}).applied
    assert sms.send(app.state.db, account_id, neutral()) == []


def test_codes_expire_and_five_wrong_tries_end_one(app, make_person) -> None:
    p, account_id = someone(app, make_person, "Farida Benali", email="farida@example.org")
    db, now = app.state.db, datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    address, code = db.write_sync(contacts.new_code, "k", account_id, "email", now)
    assert address == "farida@example.org" and re.fullmatch(r"\d{6}", code)
    later = now + timedelta(minutes=contacts.CODE_MINUTES, seconds=1)
    assert db.write_sync(contacts.check, "k", account_id, "email", code, later) == "code_missing"

    _, code = db.write_sync(contacts.new_code, "k", account_id, "email", now)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    outcomes = [db.write_sync(contacts.check, "k", account_id, "email", wrong, now) for _ in range(5)]
    assert outcomes == ["code_wrong"] * 4 + ["code_used_up"]
    assert db.write_sync(contacts.check, "k", account_id, "email", code, now) == "code_missing"
    # Under another server key the same code is another hash: nothing to find.
    _, code = db.write_sync(contacts.new_code, "k", account_id, "email", now)
    assert db.write_sync(contacts.check, "other", account_id, "email", code, now) == "code_wrong"
    assert db.write_sync(contacts.check, "k", account_id, "email", code, now) == "confirmed"
    assert db.write_sync(contacts.new_code, "k", account_id, "email", now) is None  # nothing left to confirm


def test_codes_are_sent_sparingly(app, make_person, senders) -> None:
    _, provider, _, _ = senders
    p, account_id = someone(app, make_person, "Awa Koné", phone="0611111111")
    answers = [
        p.client.post("/account/contact/sms/code", follow_redirects=False).status_code for _ in range(4)
    ]
    assert answers == [303, 303, 303, 429]
    assert len(provider.requests) == 3


def test_without_a_channel_on_this_server_the_page_says_so(app, make_person) -> None:
    p, account_id = someone(app, make_person, "Ibrahim Sy", phone="0622222222")
    assert "data-contact" not in p.client.get("/account").text  # nothing to confirm by
    page = p.client.get("/account/contact/sms")
    assert page.status_code == 200 and "n’envoie pas encore" in page.text
    assert p.client.post("/account/contact/sms/code").status_code == 400
    assert p.client.get("/account/contact/fax").status_code == 404
    # No address given: back to the account page.
    assert (
        p.client.get("/account/contact/email", follow_redirects=False).headers["location"]
        == "/account#notify"
    )


def test_an_arabic_speaker_gets_the_code_in_arabic_as_ucs2(app, make_person, senders) -> None:
    _, provider, _, _ = senders
    p, account_id = someone(app, make_person, "Karim", "ar", phone="+213 555 12 34 56")
    assert p.client.post("/account/contact/sms/code", follow_redirects=False).status_code == 303
    [request] = provider.requests
    assert request["encoding"] == "UCS-2" and len(request["parts"]) == 1 and provider.problems == []
    assert code_in("".join(request["parts"]))


def test_addresses_in_use_before_the_step_stay_confirmed(tmp_path: Path) -> None:
    db = Database(tmp_path / "old.db")
    with db.exclusive() as conn:
        migrations.migrations.apply(sqlite_utils.Database(conn), stop_before="m028_contact_confirmation")
        for n, (email, phone) in enumerate([("a@example.org", "0612345678"), (None, ""), ("", None)]):
            conn.execute(
                "INSERT INTO accounts (id, user_handle, display_name, language, role, email, phone, created_at,"
                " version) VALUES (?, ?, 'X', 'fr', 'applicant', ?, ?, '2026-01-01', 1)",
                (f"a{n}", bytes([n]), email, phone),
            )
    assert migrations.migrate(db) == ["m028_contact_confirmation"]
    rows = db.read_sync(
        lambda c: [
            tuple(r)
            for r in c.execute("SELECT id, email_confirmed, phone_confirmed FROM accounts ORDER BY id")
        ]
    )
    assert rows == [("a0", "a@example.org", "0612345678"), ("a1", None, None), ("a2", None, None)]
    db.close()


def test_whatever_is_typed_as_a_code_gets_an_answer_on_the_form(app, make_person) -> None:
    p = make_person()
    p.signup("Essai")
    account_id = account_of(app, "Essai")
    secret = str(app.state.settings.secret_key)
    tries = iter(range(10**6))

    @settings(max_examples=40, deadline=None)
    @given(typed=st.text(max_size=60))
    def attempt(typed: str) -> None:
        app.state.limiter = RateLimiter()  # each try on its own: the limits are tested above
        address = f"essai{next(tries)}@example.org"  # a new one: unconfirmed
        assert as_person(app, account_id, "notify.preferences", {"email": address}).applied
        _, code = app.state.db.write_sync(contacts.new_code, secret, account_id, "email", clock.now())
        answer = p.client.post("/account/contact/email", data={"code": typed}, follow_redirects=False)
        assert answer.status_code == 400 and 'role="alert"' in answer.text, answer.text
        right = p.client.post("/account/contact/email", data={"code": code}, follow_redirects=False)
        assert right.status_code == 303

    attempt()


def test_what_the_page_is_told(app, make_person) -> None:
    """`contact()`: the address, whether it is confirmed, until when a code sent to it is live."""
    p = make_person()
    p.signup("Lina")
    account_id = account_of(app, "Lina")
    db = app.state.db
    now = clock.now()
    assert db.read_sync(contacts.contact, account_id, "sms", now) == contacts.Contact("sms", "", False, None)
    assert as_person(app, account_id, "notify.preferences", {"phone": "0633333333"}).applied
    db.write_sync(contacts.new_code, "k", account_id, "sms", now)
    found = db.read_sync(contacts.contact, account_id, "sms", now)
    assert found.address == "0633333333" and not found.confirmed
    assert found.code_until == now.replace(microsecond=0) + timedelta(minutes=contacts.CODE_MINUTES)
