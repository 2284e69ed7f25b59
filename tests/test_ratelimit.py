from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from starlette.testclient import TestClient

from server import cli, clock
from server.app import create_app
from server.auth import invitations
from server.auth.ratelimit import LIMITS, Limit, RateLimiter
from server.settings import load

from .people import Person


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"signin": Limit(3, 60)}, clock=clock)
    assert [limiter.hit("signin", "1.2.3.4") for _ in range(3)] == [0, 0, 0]
    wait = limiter.hit("signin", "1.2.3.4")
    assert 59 <= wait <= 60
    assert limiter.hit("signin", "5.6.7.8") == 0  # another address is not affected
    clock.now += 61
    assert limiter.hit("signin", "1.2.3.4") == 0


def test_recovery_attempts_are_limited_over_http(client) -> None:
    limit = client.app.state.limiter.limits["recover"].limit
    statuses = [
        client.post("/recover", data={"code": "AAAA-AAAA-AAAA-AAAA"}).status_code for _ in range(limit + 1)
    ]
    assert statuses[:limit] == [400] * limit
    blocked = client.post("/recover", data={"code": "AAAA-AAAA-AAAA-AAAA"})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Trop d’essais" in blocked.text


def test_sign_in_is_limited_over_http(client) -> None:
    limit = client.app.state.limiter.limits["signin"].limit
    for _ in range(limit):
        assert client.get("/signin").status_code == 200
    assert client.post("/signin", data={"flow": "x", "credential": "{}"}).status_code == 429


# -- by address AND by what is aimed at; forwarded addresses only from our proxies ----

CODE = {"code": "AAAA-AAAA-AAAA-AAAA"}


def from_address(app, settings, address: str) -> TestClient:
    return TestClient(
        app, base_url=settings.origin, headers={"origin": settings.origin}, client=(address, 4000)
    )


def test_sign_in_is_limited_per_account_whatever_the_address(app, settings) -> None:
    app.state.limiter.limits["signin:account"] = Limit(3, 300)
    with Person.new(app, settings) as owner:
        owner.signup()
        answers = []
        for i in range(5):
            with from_address(app, settings, f"10.0.0.{i}") as c:
                elsewhere = Person(client=c, phone=owner.phone)
                answers.append(elsewhere.signin_response())
        assert [a.status_code for a in answers] == [303, 303, 303, 429, 429]
        # The page names the limit that applies: this account's, not this connection's.
        assert "pour ce compte ou ce lien" in answers[-1].text
        assert "depuis cette connexion" not in answers[-1].text
        # Someone else's account is not affected.
        with Person.new(app, settings) as other:
            other.signup("Other")
            other.signout()
            other.signin()


def test_enrolment_is_limited_per_invitation_whatever_the_address(app, settings) -> None:
    app.state.limiter.limits["enrol:invitation"] = Limit(2, 900)
    token = app.state.db.write_sync(
        lambda c: invitations.create(
            c, role="agent", prefecture="75", name=None, created_by="cli", lifetime=3600, now=clock.now()
        )
    )
    statuses = []
    for i in range(3):
        with from_address(app, settings, f"10.0.1.{i}") as c:
            statuses.append(
                c.post(f"/enrol/{token}", data={"display_name": "", "language": "fr"}).status_code
            )
    assert statuses[:2] == [400, 400] and statuses[2] == 429


def test_a_spoofed_forwarded_address_does_not_reset_the_limits(app, settings) -> None:
    limit = app.state.limiter.limits["recover"].limit
    with from_address(app, settings, "127.0.0.1") as c:
        for _ in range(limit):
            assert c.post("/recover", data=CODE).status_code == 400
        for claimed in ("1.2.3.4", "5.6.7.8, 9.9.9.9"):
            spoofed = c.post("/recover", data=CODE, headers={"x-forwarded-for": claimed})
            assert spoofed.status_code == 429


def test_a_configured_proxy_is_believed(tmp_path) -> None:
    settings = load(
        {"SESAME_DATA": str(tmp_path / "data"), "SESAME_TRUSTED_PROXIES": "127.0.0.1, 10.9.0.0/16"}
    )
    app = create_app(settings)
    limit = app.state.limiter.limits["recover"].limit
    try:
        with from_address(app, settings, "10.9.3.4") as proxy:
            for _ in range(limit):
                assert (
                    proxy.post("/recover", data=CODE, headers={"x-forwarded-for": "1.2.3.4"}).status_code
                    == 400
                )
            assert (
                proxy.post("/recover", data=CODE, headers={"x-forwarded-for": "1.2.3.4"}).status_code == 429
            )
            # What the client itself claims, left of the address the proxy saw, changes nothing.
            claimed = proxy.post("/recover", data=CODE, headers={"x-forwarded-for": "7.7.7.7, 1.2.3.4"})
            assert claimed.status_code == 429
            assert (
                proxy.post("/recover", data=CODE, headers={"x-forwarded-for": "5.6.7.8"}).status_code == 400
            )
    finally:
        app.state.db.close()


def test_trusted_proxies_must_be_addresses(tmp_path) -> None:
    with pytest.raises(ValueError, match="SESAME_TRUSTED_PROXIES"):
        load({"SESAME_DATA": str(tmp_path), "SESAME_TRUSTED_PROXIES": "proxy.local"})


def test_uvicorn_does_not_read_forwarded_headers_itself(settings) -> None:
    argv = cli.uvicorn_argv(settings)
    assert "--no-proxy-headers" in argv
    assert "--proxy-headers" not in argv and "--forwarded-allow-ips" not in argv


def test_on_the_real_server_a_spoofed_address_from_localhost_changes_nothing() -> None:
    from bench import memory

    with memory.serving() as server:

        def recover(forwarded: str) -> int:
            request = urllib.request.Request(
                server.base + "/recover",
                data=b"code=AAAA-AAAA-AAAA-AAAA",
                headers={"origin": server.base, "x-forwarded-for": forwarded},
            )
            try:
                with urllib.request.urlopen(request) as response:
                    return int(response.status)
            except urllib.error.HTTPError as error:
                return int(error.code)

        limit = LIMITS["recover"].limit
        statuses = [recover(f"203.0.113.{i}") for i in range(limit + 1)]
        assert statuses == [400] * limit + [429]
