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


# -- the __Host- cookie ---------------------------------------------------------


def secure_settings(tmp_path):
    return load({"SESAME_DATA": str(tmp_path / "data"), "SESAME_ORIGIN": "https://sesame.example.org"})


def test_over_https_the_cookie_is_host_prefixed(tmp_path) -> None:
    from server.app import create_app

    settings = secure_settings(tmp_path)
    app = create_app(settings)
    try:
        with Person.new(app, settings) as p:
            p.signup()
            cookie = next(c for c in p.client.cookies.jar if c.name.startswith("__Host-"))
            assert cookie.name == "__Host-sesame_session" and cookie.secure and cookie.path == "/"
            assert not cookie.domain_specified
            assert "sesame_session" not in p.client.cookies  # no bare-named twin
            assert p.client.get("/dashboard", follow_redirects=False).status_code == 200
            p.signout()
            assert p.client.get("/dashboard", follow_redirects=False).status_code != 200
    finally:
        app.state.db.close()


def test_a_cookie_set_before_the_prefix_is_moved_not_lost(tmp_path) -> None:
    from starlette.testclient import TestClient

    from server.app import create_app

    settings = secure_settings(tmp_path)
    app = create_app(settings)
    try:
        who = account(app.state.db)
        token, _ = app.state.db.write_sync(
            lambda c: sessions.create(
                c, who, lifetime=3600, sliding=True, user_agent="UA", ip="1.2.3.4", now=clock.now()
            )
        )
        with TestClient(app, base_url=settings.origin) as client:
            response = client.get("/account", headers={"cookie": f"sesame_session={token}"})
            assert response.status_code == 200
            set_cookies = response.headers.get_list("set-cookie")
            moved = next(c for c in set_cookies if c.startswith("__Host-sesame_session="))
            assert token in moved and "Secure" in moved and "Path=/" in moved
            assert any(c.startswith("sesame_session=;") and "Max-Age=0" in c for c in set_cookies)
    finally:
        app.state.db.close()


# -- sessions end with the passkey that opened them, and on recovery -----------------


def signed_in(p: Person) -> bool:
    return p.client.get("/dashboard", follow_redirects=False).status_code == 200


def test_removing_a_passkey_ends_the_sessions_it_opened(app, settings) -> None:
    from .softauthn import SoftAuthenticator

    with Person.new(app, settings) as first, Person.new(app, settings) as second:
        first.signup()
        second.phone = SoftAuthenticator(origin=settings.origin)
        assert first.add_passkey(second.phone).status_code == 303
        second.signin()  # a session opened by the second passkey
        passkeys = app.state.db.read_sync(
            lambda c: {r["label"]: r["id"] for r in c.execute("SELECT id, label FROM passkeys")}
        )
        removed = first.client.post(
            f"/account/passkeys/{passkeys['Second phone']}/remove", follow_redirects=False
        )
        assert removed.headers["location"] == "/account?done=passkey_removed_signed_out"
        assert not signed_in(second) and signed_in(first)
        assert "servi à se connecter sont déconnectés" in first.client.get(removed.headers["location"]).text

        # Removing the passkey that opened one's own session signs this device out too.
        third = SoftAuthenticator(origin=settings.origin)
        assert first.add_passkey(third, "Third").status_code == 303
        own = next(k for k in passkeys.values() if k != passkeys["Second phone"])
        removed = first.client.post(f"/account/passkeys/{own}/remove", follow_redirects=False)
        assert removed.headers["location"] == "/signin?done=signed_out"
        assert any("Max-Age=0" in c for c in removed.headers.get_list("set-cookie"))
        assert not signed_in(first)
        rows = app.state.db.read_sync(
            lambda c: [dict(r) for r in c.execute("SELECT passkey_id, revoked_at FROM sessions")]
        )
        assert all(r["passkey_id"] for r in rows)  # every session knows its passkey
        assert all(r["revoked_at"] for r in rows)


def test_recovery_signs_out_everywhere_by_default(app, settings) -> None:
    with Person.new(app, settings) as owner, Person.new(app, settings) as new_phone:
        codes = owner.signup()
        assert "f-others-end" in new_phone.client.get("/recover").text
        done = new_phone.recover(codes[0])
        assert done.headers["location"] == "/account?done=recovered_signed_out"
        assert signed_in(new_phone) and not signed_in(owner)


def test_recovery_may_keep_the_other_devices(app, settings) -> None:
    with Person.new(app, settings) as owner, Person.new(app, settings) as new_phone:
        codes = owner.signup()
        page = new_phone.client.post("/recover", data={"code": codes[0], "others": "keep"})
        assert 'name="others" value="keep"' in page.text
        step = ceremony(page.text)
        done = new_phone.client.post(
            "/recover/finish",
            data={
                "flow": step["flow"],
                "credential": json.dumps(new_phone.phone.create(step["publicKey"])),
                "code": codes[0],
                "others": "keep",
            },
            follow_redirects=False,
        )
        assert done.headers["location"] == "/account?done=recovered"
        assert signed_in(new_phone) and signed_in(owner)


def test_a_session_seen_an_hour_ago_slides_on_the_next_request(app, settings) -> None:
    """The sliding end moves on a request (it used to answer 500 once an hour had passed)."""
    with Person.new(app, settings) as person:
        person.signup()
        earlier = clock.iso(clock.now() - sessions.TOUCH_EVERY - timedelta(minutes=1))
        app.state.db.write_sync(lambda c: c.execute("UPDATE sessions SET last_seen_at = ?", (earlier,)))
        assert person.client.get("/dashboard").status_code == 200
        seen = app.state.db.read_sync(lambda c: c.execute("SELECT last_seen_at FROM sessions").fetchone()[0])
        assert seen > earlier
