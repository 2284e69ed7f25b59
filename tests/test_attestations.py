"""Attestations (ADR 0015), driven by a fake clock: the proof at submission,
the provisional attestation N days after submission or when an agent marks the
file complete, renewal 30 days before the end, the end on a refusal, a grant
that keeps it until the card is handed over, a withdrawal that revokes it, and
the history of all of them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from server import clock, renewals
from server.domain import attestations, decision_reasons
from server.domain.attestations import Attestation

from .test_complements import submitted_renewal
from .test_files_http import agent_command, cat, file_row, renewal_ground

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """`server.clock.now`, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime = START) -> None:
        self.moment = start
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def advance(self, days: int) -> None:
        self.moment += timedelta(days=days)

    def to(self, day: date) -> None:
        self.moment = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return FakeClock(monkeypatch)


def of(app, file_id: str) -> list[Attestation]:
    return app.state.db.read_sync(lambda c: attestations.for_file(c, file_id))


def kinds(app, file_id: str) -> list[tuple[str, str]]:
    return [(a.kind, a.status) for a in of(app, file_id)]


def events(app, file_id: str) -> list[tuple[str, dict]]:
    import json

    rows = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT kind, data, actor_role FROM timeline WHERE file_id = ? ORDER BY id", (file_id,)
        ).fetchall()
    )
    return [(r[0], {**json.loads(r[1]), "by": r[2]}) for r in rows]


def run(app) -> dict[str, int]:
    return dict(renewals.run(app.state.db))


def decide(app, file_id: str, outcome: str) -> object:
    reason = decision_reasons.load().for_file("renewal", outcome)[0]
    args = {"file_id": file_id, "decision_id": str(uuid.uuid4()), "outcome": outcome, "reason": reason.id}
    if decision_reasons.load().outcomes[outcome].negative:
        args["details"] = "Les conditions ne sont pas remplies : aucun contrat de travail n’est présenté."
    return agent_command(app, "file.decide", args)


def test_the_proof_of_submission_comes_at_once(app, make_person, fake_clock) -> None:
    p, file_id = submitted_renewal(app, make_person, lock=False)
    [proof] = of(app, file_id)
    assert (proof.kind, proof.status, proof.basis) == ("submission", "valid", "submitted")
    assert len(proof.id) == 10 and set(proof.id) <= set(attestations.ALPHABET)
    c = proof.claims
    row = file_row(app, file_id)
    assert c[attestations.C_NUMBER] == row["number"] and c[attestations.C_KIND] == 1
    assert c[attestations.C_PREFECTURE] == "93" and c[attestations.C_PROCEDURE] == "renewal"
    assert c[attestations.C_GROUNDS] == [renewal_ground()] and c[attestations.C_WORK] is False
    assert c[attestations.C_ISSUED] == attestations.days(date(2026, 3, 2))
    assert proof.valid_until == "2026-09-02" and c[attestations.C_UNTIL] == attestations.days(
        date(2026, 9, 2)
    )
    assert ("attestation_issued", {"attestation": proof.id, "type": "submission", "basis": "submitted"}) in [
        (k, {x: d.get(x) for x in ("attestation", "type", "basis")}) for k, d in events(app, file_id)
    ]
    # The proof carries no right to stay: the inbox still sorts on the permit's end.
    assert file_row(app, file_id)["right_until"] == "2027-01-31"
    # The person's phone learns of it through the change feed.
    records = p.client.get("/sync/pull?cursor=0").json()["records"]
    pulled = [r for r in records if r["type"] == "attestation"]
    assert [(r["id"], r["data"]["kind"], r["data"]["valid_until"]) for r in pulled] == [
        (proof.id, "submission", "2026-09-02")
    ]
    assert any(r["type"] == "event" and r["data"]["kind"] == "attestation_issued" for r in records)
    # Nothing more is due the same day.
    assert run(app) == {}
    page = p.client.get(f"/files/{file_id}/attestation")
    assert page.status_code == 200 and proof.code in page.text and "<svg" in page.text
    assert "Preuve de dépôt" in page.text and "/verify" in page.text


def test_the_provisional_attestation_comes_n_days_after_submission(app, make_person, fake_clock) -> None:
    p, file_id = submitted_renewal(app, make_person, lock=False)
    # The permit ends soon: the inbox puts this file first…
    assert p.fill(file_id, "situation", current_permit_expiry="2026-04-01", notes="").status_code == 303
    assert file_row(app, file_id)["right_until"] == "2026-04-01"
    fake_clock.advance(20)
    assert run(app) == {} and kinds(app, file_id) == [("submission", "valid")]
    fake_clock.advance(1)
    assert run(app) == {"issued": 1}
    provisional = of(app, file_id)[0]
    assert (provisional.kind, provisional.basis, provisional.status) == ("provisional", "automatic", "valid")
    assert provisional.valid_until == "2026-09-23"
    assert provisional.work_allowed == cat().work_allowed([renewal_ground()])
    assert provisional.photo_id is not None  # the identity photo of the file
    # … until the attestation carries the right to stay beyond the permit's end.
    assert file_row(app, file_id)["right_until"] == "2026-09-23"
    kind, data = events(app, file_id)[-1]
    assert kind == "attestation_issued" and data["type"] == "provisional" and data["by"] == "system"
    # The server's act is audited like a staff act, in the file's prefecture.
    audit = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT actor_role, departement, action FROM audit WHERE file_id = ?", (file_id,)
        ).fetchall()
    )
    assert ("system", "93", "attestation.renew") in [tuple(r) for r in audit]
    assert run(app) == {}  # the same day again: nothing more
    fake_clock.moment = START + timedelta(minutes=5)  # pages read while the session is fresh
    page = p.client.get(f"/files/{file_id}").text
    assert "Attestation de prolongation d’instruction" in page and provisional.code in page


def test_no_automatic_attestation_while_a_complement_is_awaited(app, make_person, fake_clock) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=False)
    item = {"kind": "field", "target": "city", "reason": "Commune à préciser."}
    assert agent_command(app, "complement.request", {"file_id": file_id, "items": [item]}).applied
    fake_clock.advance(25)
    assert run(app) == {} and kinds(app, file_id) == [("submission", "valid")]


def test_a_prefecture_sets_its_own_delay(app, make_person, fake_clock) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=False)
    admin = {"role": "admin", "prefecture": "93"}
    from server import commands
    from server.auth.policy import Actor
    from sync.protocol import Command

    def configure(**args: object) -> object:
        who = Actor(account_id="admin-93", **admin)
        command = Command(id=str(uuid.uuid4()), client="t", seq=0, op="prefecture.configure", args=args)
        return app.state.db.write_sync(lambda c: commands.apply(c, command, who))

    assert configure(provisional_days="3").code == "days_invalid"
    assert configure(provisional_days="10").applied
    fake_clock.advance(10)
    assert run(app) == {"issued": 1}


def test_an_agent_marks_the_file_complete(app, make_person, fake_clock) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=True)
    item = {"kind": "field", "target": "city", "reason": "Commune à préciser."}
    asked = agent_command(app, "complement.request", {"file_id": file_id, "items": [item]})
    assert agent_command(app, "file.mark_complete", {"file_id": file_id}).code == "complement_pending"
    agent_command(
        app, "complement.settle", {"file_id": file_id, "item_ids": asked.data["item_ids"], "status": "closed"}
    )
    done = agent_command(app, "file.mark_complete", {"file_id": file_id})
    assert done.applied and done.data["attestation_id"]
    assert kinds(app, file_id) == [("provisional", "valid"), ("submission", "valid")]
    assert of(app, file_id)[0].basis == "marked_complete"
    assert agent_command(app, "file.mark_complete", {"file_id": file_id}).code == "already_complete"
    assert agent_command(app, "file.mark_complete", {"file_id": file_id}, "75").code == "not_found"
    # The schedule gives no second one.
    fake_clock.advance(30)
    assert run(app) == {}


def test_a_first_application_gets_the_proof_only(app, make_person, fake_clock) -> None:
    from .test_prefecture_review import submitted_file

    _, file_id = submitted_file(make_person, "change_of_situation")
    assert agent_command(app, "file.mark_complete", {"file_id": file_id}).data["attestation_id"] is None
    fake_clock.advance(60)
    assert run(app) == {}
    assert kinds(app, file_id) == [("submission", "valid")]


def test_renewal_thirty_days_before_the_end(app, make_person, fake_clock) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=True)
    first = agent_command(app, "file.mark_complete", {"file_id": file_id}).data["attestation_id"]
    end = date.fromisoformat(of(app, file_id)[0].valid_until)
    fake_clock.to(end - timedelta(days=31))
    assert run(app) == {}
    fake_clock.to(end - timedelta(days=30))
    assert run(app) == {"renewed": 1}
    new, old = of(app, file_id)[:2]
    assert old.id == first and old.status == "replaced" and old.end_reason == "renewed"
    assert new.status == "valid" and new.replaces == first and new.basis == "renewal"
    assert new.valid_until == attestations.add_months(end - timedelta(days=30), 6).isoformat()
    assert file_row(app, file_id)["right_until"] == new.valid_until
    kind, data = events(app, file_id)[-1]
    assert kind == "attestation_renewed" and data["replaces"] == first
    assert run(app) == {}
    # The proof of submission is not renewed beside a provisional attestation in force.
    assert [a.kind for a in of(app, file_id) if a.status == "valid"].count("submission") == 1


def test_a_refusal_ends_the_attestations(app, make_person, fake_clock) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=True)
    agent_command(app, "file.mark_complete", {"file_id": file_id})
    fake_clock.advance(3)
    assert decide(app, file_id, "refused").applied
    assert kinds(app, file_id) == [("provisional", "ended"), ("submission", "ended")]
    assert {a.end_reason for a in of(app, file_id)} == {"refused"}
    assert file_row(app, file_id)["right_until"] == "2027-01-31"  # back to the permit's own end
    fake_clock.advance(200)
    assert run(app) == {}
    kind, data = events(app, file_id)[-1]
    assert kind == "attestation_ended" and data["reason"] == "refused"


def test_a_grant_keeps_it_until_the_card_is_handed_over(app, make_person, fake_clock) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=True)
    agent_command(app, "file.mark_complete", {"file_id": file_id})
    assert decide(app, file_id, "granted").applied
    current = of(app, file_id)[0]
    assert current.status == "valid" and current.until_card
    # Still renewed after the decision, while the card is not handed over.
    fake_clock.to(date.fromisoformat(current.valid_until) - timedelta(days=10))
    assert run(app) == {"renewed": 1}
    renewed = of(app, file_id)[0]
    assert renewed.until_card and renewed.replaces == current.id
    at = clock.iso(clock.now())
    ended = app.state.db.write_sync(
        lambda c: attestations.end_for_file(c, file_id, "card_handed_over", 10**9, at)
    )
    assert {a.id for a in ended} >= {renewed.id, current.id}
    assert all(a.status == "ended" and a.end_reason == "card_handed_over" for a in of(app, file_id))
    fake_clock.advance(200)
    assert run(app) == {}


def test_a_withdrawal_revokes(app, make_person, fake_clock) -> None:
    p, file_id = submitted_renewal(app, make_person, lock=False)
    proof = of(app, file_id)[0]
    assert p.client.post(f"/files/{file_id}/withdraw", data={"reason": ""}).status_code in (200, 303)
    assert kinds(app, file_id) == [("submission", "revoked")]
    page = p.client.get(f"/files/{file_id}/attestations/{proof.id}").text
    assert "Annulée le" in page and "<svg" not in page  # no QR for what no longer holds
    assert "Ce dossier n’a plus d’attestation en cours." in p.client.get(f"/files/{file_id}/attestation").text


def test_the_history_is_kept_and_shown(app, settings, make_person, fake_clock) -> None:
    from .test_prefecture_review import staff

    p, file_id = submitted_renewal(app, make_person, lock=True)
    agent_command(app, "file.mark_complete", {"file_id": file_id})
    end = date.fromisoformat(of(app, file_id)[0].valid_until)
    fake_clock.to(end - timedelta(days=20))
    run(app)
    fake_clock.moment = START + timedelta(minutes=5)  # pages read while the sessions are fresh
    all_of_them = of(app, file_id)
    assert len(all_of_them) == 3
    page = p.client.get(f"/files/{file_id}/attestation").text
    for a in all_of_them:
        assert a.code in page
    old = [a for a in all_of_them if a.status == "replaced"][0]
    assert (
        "Remplacée par une attestation plus récente"
        in p.client.get(f"/files/{file_id}/attestations/{old.id}").text
    )
    mine = p.client.get("/attestation").text
    assert all_of_them[0].code in mine and old.code not in mine
    # Someone else's attestation is not found.
    other = make_person()
    other.signup("Other")
    assert other.client.get(f"/files/{file_id}/attestations/{old.id}").status_code == 404
    # The agent's file page lists them; opening one is audited.
    agent = staff(app, settings, prefecture="93")
    office = agent.get(f"/prefecture/files/{file_id}").text
    assert all(a.code in office for a in all_of_them)
    shown = agent.get(f"/prefecture/files/{file_id}/attestations/{old.id}")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    last = app.state.db.read_sync(
        lambda c: dict(c.execute("SELECT * FROM audit ORDER BY id DESC").fetchone())
    )
    assert (last["action"], last["file_id"], last["outcome"]) == ("attestation.view", file_id, "applied")
    assert agent.get(f"/prefecture/files/{file_id}/attestations/ZZZZZZZZZZ").status_code == 404


def test_the_agent_marks_complete_from_the_file_page(app, settings, make_person, fake_clock) -> None:
    from .test_prefecture_review import staff

    _, file_id = submitted_renewal(app, make_person, lock=True)
    agent = staff(app, settings, prefecture="93")
    assert "Déclarer le dossier complet" in agent.get(f"/prefecture/files/{file_id}").text
    done = agent.post(f"/prefecture/files/{file_id}/complete", data={"command_id": str(uuid.uuid4())})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=marked_complete")
    assert "Le dossier est déclaré complet" in agent.get(done.headers["location"]).text
    again = agent.post(f"/prefecture/files/{file_id}/complete", data={"command_id": str(uuid.uuid4())})
    assert again.status_code == 409 and "déjà déclaré complet" in again.text


def test_the_command_line_renews(app, settings, make_person, fake_clock, monkeypatch, capsys) -> None:
    from server import cli

    _, file_id = submitted_renewal(app, make_person, lock=False)
    fake_clock.advance(21)
    monkeypatch.setenv("SESAME_DATA", str(settings.data_dir))
    assert cli.main(["attestations", "renew"]) == 0
    assert "issued 1" in capsys.readouterr().out
    assert kinds(app, file_id)[0] == ("provisional", "valid")
    assert cli.main(["attestations", "renew"]) == 0
    assert "nothing due" in capsys.readouterr().out


def test_only_the_server_renews(app, make_person, fake_clock) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=False)
    fake_clock.advance(30)
    assert agent_command(app, "attestation.renew", {"file_id": file_id}).code == "forbidden"


def test_signed_when_issued_and_what_verify_may_say(app, settings, make_person, fake_clock) -> None:
    from server.domain import keys, seal

    p, file_id = submitted_renewal(app, make_person, lock=False)
    proof = of(app, file_id)[0]
    text = app.state.db.read_sync(lambda c: attestations.signed_text(c, proof.code.lower()))
    assert text == proof.qr and text.startswith("SES1:")
    assert seal.open(text, keys.keyring(settings)).claims[attestations.C_ID] == proof.id
    status = lambda code: app.state.db.read_sync(lambda c: attestations.public_status(c, code))  # noqa: E731
    assert status(proof.id) == "valid" and status("0000000000") is None
    fake_clock.advance(200)
    assert status(proof.id) == "expired"
    fake_clock.moment = START + timedelta(minutes=5)  # the person's session is fresh
    assert p.client.post(f"/files/{file_id}/withdraw", data={"reason": ""}).status_code in (200, 303)
    assert status(proof.id) == "revoked"


def test_short_codes_are_forgiving_when_typed() -> None:
    assert attestations.normalize_code("abcde-fgh1o") == "ABCDEFGH10"
    assert attestations.normalize_code(" 0il ") == "011"
    assert attestations.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
