from __future__ import annotations

import json
from datetime import timedelta

from server import clock
from server.auth import flows

from .softauthn import SoftAuthenticator


def test_an_expired_challenge_is_refused_and_journaled(app, settings) -> None:
    db = app.state.db
    start = clock.now()
    begun = db.write_sync(
        lambda c: flows.begin_signup(c, settings, display_name="Late", language="fr", now=start)
    )
    answer = json.dumps(SoftAuthenticator(origin=settings.origin).create(begun.options))
    late = start + timedelta(seconds=settings.challenge_seconds + 1)
    outcome = db.write_sync(
        lambda c: flows.attempt(
            flows.finish_signup,
            c,
            settings,
            flow_id=begun.flow,
            credential=answer,
            device=flows.Device(label="x", ip="10.0.0.1"),
            now=late,
        )
    )
    assert isinstance(outcome, flows.FlowError) and outcome.code == "expired"
    rows = db.read_sync(lambda c: c.execute("SELECT kind, ip FROM auth_events").fetchall())
    assert [tuple(r) for r in rows] == [("signup_failed", "10.0.0.1")]
    assert db.read_sync(lambda c: c.execute("SELECT count(*) FROM accounts").fetchone()[0]) == 0


def test_a_failed_finish_spends_the_challenge(app, settings) -> None:
    db = app.state.db
    now = clock.now()
    begun = db.write_sync(lambda c: flows.begin_signup(c, settings, display_name="A", language="fr", now=now))

    def finish(credential: str) -> object:
        return db.write_sync(
            lambda c: flows.attempt(
                flows.finish_signup,
                c,
                settings,
                flow_id=begun.flow,
                credential=credential,
                device=flows.Device(label="x"),
                now=now,
            )
        )

    assert finish("{not json").code == "invalid_response"
    good = json.dumps(SoftAuthenticator(origin=settings.origin).create(begun.options))
    assert finish(good).code == "expired"  # the challenge went with the failed attempt


def test_wrong_origin_is_refused(app, settings) -> None:
    db = app.state.db
    now = clock.now()
    begun = db.write_sync(lambda c: flows.begin_signup(c, settings, display_name="A", language="fr", now=now))
    phishing = json.dumps(SoftAuthenticator(origin="https://sesame-login.example").create(begun.options))
    outcome = db.write_sync(
        lambda c: flows.attempt(
            flows.finish_signup,
            c,
            settings,
            flow_id=begun.flow,
            credential=phishing,
            device=flows.Device(label="x"),
            now=now,
        )
    )
    assert outcome.code == "invalid_response"
