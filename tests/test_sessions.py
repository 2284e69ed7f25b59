from __future__ import annotations

import json
from datetime import timedelta

from server import clock
from server.auth import sessions
from server.domain import accounts
from server.settings import load
from server.store.db import Database

from .people import Person, ceremony


def account(db: Database) -> str:
    return db.write_sync(
        lambda c: accounts.create(c, display_name="A", language="fr", user_handle=b"h" * 32, version=1).id
    )


def test_a_session_is_found_by_its_token_only(db: Database) -> None:
    who = account(db)
    now = clock.now()
    token, session = db.write_sync(
        lambda c: sessions.create(c, who, lifetime=3600, sliding=True, user_agent="UA", ip="1.2.3.4", now=now)
    )
    assert session.id != token  # only the hash is stored
    assert db.read_sync(sessions.load, token, now).account_id == who
    assert db.read_sync(sessions.load, token + "x", now) is None
    assert db.read_sync(sessions.load, "", now) is None


def test_expiry_and_sliding(db: Database) -> None:
    who = account(db)
    start = clock.now()
    ninety_days = 90 * 24 * 3600
    token, session = db.write_sync(
        lambda c: sessions.create(c, who, lifetime=ninety_days, sliding=True, user_agent="", ip="", now=start)
    )
    later = start + timedelta(days=80)
    assert sessions.needs_touch(session, later)
    db.write_sync(lambda c: sessions.touch(c, session.id, lifetime=ninety_days, now=later))
    # 80 + 60 days after sign-in: alive, because the person came back on day 80.
    assert db.read_sync(sessions.load, token, start + timedelta(days=140)) is not None
    assert db.read_sync(sessions.load, token, start + timedelta(days=171)) is None


def test_staff_sessions_do_not_slide(db: Database) -> None:
    who = account(db)
    start = clock.now()
    token, session = db.write_sync(
        lambda c: sessions.create(c, who, lifetime=12 * 3600, sliding=False, user_agent="", ip="", now=start)
    )
    assert not sessions.needs_touch(session, start + timedelta(hours=11))
    db.write_sync(
        lambda c: sessions.touch(c, session.id, lifetime=12 * 3600, now=start + timedelta(hours=11))
    )
    assert db.read_sync(sessions.load, token, start + timedelta(hours=13)) is None


def test_revoked_sessions_are_dead(db: Database) -> None:
    who = account(db)
    now = clock.now()
    token, session = db.write_sync(
        lambda c: sessions.create(c, who, lifetime=3600, sliding=True, user_agent="", ip="", now=now)
    )
    assert db.write_sync(sessions.revoke, session.id, who, now)
    assert not db.write_sync(sessions.revoke, session.id, who, now)
    assert db.read_sync(sessions.load, token, now) is None
    assert db.read_sync(sessions.live_for, who, now) == []


def test_device_labels() -> None:
    android = "Mozilla/5.0 (Linux; Android 14; SM-A145R) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " Version/17.5 Mobile Safari/604.1"
    )
    assert sessions.device_label(android) == "Chrome · Android"
    assert sessions.device_label(iphone) == "Safari · iPhone"
    assert (
        sessions.device_label("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko Firefox/128.0")
        == "Firefox · Linux"
    )
    assert sessions.device_label(None) == "?"


def test_cookie_is_httponly_samesite_lax(app, settings) -> None:
    with Person.new(app, settings) as p:
        page = p.client.post("/signup", data={"display_name": "A", "language": "fr"})
        step = ceremony(page.text)
        done = p.client.post(
            "/signup/finish",
            data={
                "flow": step["flow"],
                "credential": json.dumps(p.phone.create(step["publicKey"])),
                "display_name": "A",
                "language": "fr",
            },
        )
        cookies = done.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("sesame_session="))
        assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
        assert f"Max-Age={90 * 24 * 3600}" in session_cookie
        assert "Secure" not in session_cookie  # localhost: plain http


def test_cookie_is_secure_outside_localhost(tmp_path) -> None:
    from server.web.middleware import session_cookie

    production = load({"SESAME_DATA": str(tmp_path), "SESAME_ORIGIN": "https://sesame.example.org"})
    assert production.secure_cookies and production.rp_id == "sesame.example.org"
    assert "; Secure" in session_cookie(production, "t", 60)
