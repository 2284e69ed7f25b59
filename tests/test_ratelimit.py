from __future__ import annotations

from server.auth.ratelimit import Limit, RateLimiter


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
