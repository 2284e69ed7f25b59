"""Any input to the public "I'm blocked" form and its JSON endpoint: never a
server error, and what is refused is refused with a reason."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from server.auth import ratelimit
from server.auth.ratelimit import Limit

text = st.text(st.characters(codec="utf-8"), max_size=300)
values = st.fixed_dictionaries(
    {},
    optional={
        "report_id": st.one_of(text, st.uuids().map(str)),
        "kind": st.one_of(
            text, st.sampled_from(["account", "signin", "step", "upload", "no_answer", "other"])
        ),
        "weeks": st.one_of(text, st.integers(-5, 10_000).map(str)),
        "details": st.text(max_size=5000),
        "departement": st.one_of(text, st.sampled_from(["93", "75", "2A", "971", ""])),
        "contact": st.text(max_size=400),
        "language": st.one_of(text, st.sampled_from(["fr", "en", "ar"])),
    },
)
json_bodies = st.one_of(
    values,
    st.recursive(
        st.none() | st.booleans() | st.integers() | text,
        lambda c: st.lists(c) | st.dictionaries(text, c),
        max_leaves=8,
    ),
)


def _client(app, settings) -> TestClient:
    # No rate limit here: the point is the handling of the input.
    app.state.limiter.limits.update({name: Limit(10**9, 1) for name in ratelimit.LIMITS})
    return TestClient(
        app, base_url=settings.origin, headers={"origin": settings.origin}, follow_redirects=False
    )


def test_the_form_never_fails(app, settings) -> None:
    client = _client(app, settings)

    @hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(values)
    def run(data: dict[str, str]) -> None:
        response = client.post("/blocked", data=data)
        assert response.status_code in (303, 400), response.status_code
        if response.status_code == 400:
            assert 'role="alert"' in response.text

    with client:
        run()


def test_the_json_endpoint_never_fails(app, settings) -> None:
    client = _client(app, settings)

    @hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(json_bodies)
    def run(body: object) -> None:
        if isinstance(body, dict) and "report_id" not in body and body:
            body = {**body, "report_id": str(uuid.uuid4())}
        response = client.post("/blocked/send", json=body)
        assert response.status_code in (200, 400), response.status_code
        if response.status_code == 400:
            assert response.json()["message"]

    with client:
        run()
