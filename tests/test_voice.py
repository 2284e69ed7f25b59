"""Users' voice: one optional question, stored anonymised, counted, shown to administrators."""

from __future__ import annotations

from server.domain import voice

from .test_prefecture_review import staff


def test_an_opinion_is_kept_without_the_person(app, settings, make_person) -> None:
    person = make_person()
    person.signup("Aminata")
    sent = person.client.post(
        "/voice",
        data={
            "context": "blockage",
            "departement": "93",
            "clear": "partly",
            "text": "Le délai",
            "next": "/dashboard",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/dashboard?done=voice_thanks"
    row = app.state.db.read_sync(lambda c: dict(c.execute("SELECT * FROM voice").fetchone()))
    assert set(row) == {"id", "departement", "context", "month", "clear", "text", "version"}
    assert len(row["month"]) == 7
    # Not even the command log ties it to the person.
    logged = app.state.db.read_sync(
        lambda c: [dict(r) for r in c.execute("SELECT * FROM commands WHERE op = 'voice.give'")]
    )
    assert len(logged) == 1 and logged[0]["actor"] == "anonymous"
    counts = app.state.db.read_sync(lambda c: voice.counts(c, "93"))
    assert counts["blockage"] == {"total": 1, "yes": 0, "partly": 1, "no": 0, "text": 1}
    admin = staff(app, settings, role="admin", prefecture="93")
    page = admin.get("/prefecture/voice")
    assert page.status_code == 200 and "Le délai" in page.text
    assert (
        staff(app, settings, role="admin", prefecture="75").get("/prefecture/voice").text.count("Le délai")
        == 0
    )


def test_an_empty_or_odd_opinion_is_refused_with_a_reason(client) -> None:
    empty = client.post("/voice", data={"context": "blockage", "next": "/blocked"}, follow_redirects=False)
    assert empty.headers["location"] == "/blocked?voice=voice_empty#voice"
    odd = client.post(
        "/voice",
        data={"context": "x", "clear": "yes", "next": "https://evil.example"},
        follow_redirects=False,
    )
    assert odd.headers["location"].startswith("/?voice=")
