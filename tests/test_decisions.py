"""Decisions with reasons: the reasons list is checked at start-up; a file is
decided once, by the agent who holds it, with a reason, the facts, the legal
basis and the appeal routes; a correction is a new, linked decision."""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from server.domain import decision_reasons, decisions

from .test_complements import submitted_renewal
from .test_files_http import agent_command, cat, file_row, renewal_ground

DETAILS = "Le contrat de travail présenté a pris fin le 3 mars ; aucun autre emploi n’est justifié."


def raw() -> dict:
    return json.loads(decision_reasons.DEFAULT_PATH.read_text(encoding="utf-8"))


def test_the_reasons_file_is_valid_and_covers_every_procedure() -> None:
    assert decision_reasons.validate(raw()) == []
    reasons = decision_reasons.load()
    for procedure in cat().procedures:
        outcomes = {o.id for o in reasons.outcomes_for(procedure)}
        assert "granted" in outcomes and outcomes - {"granted"}, procedure
    assert [a.months for a in reasons.appeals] == [2, 2, 2]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["reasons"][2]["label"].pop("ar"), "the ar text is missing"),
        (lambda d: d["reasons"][2].update(basis=None), "a negative decision needs its legal basis"),
        (lambda d: d["reasons"][2]["basis"].update(article="432-1"), "is not like L.432-1"),
        (lambda d: d["reasons"][5].update(basis={"code": "CESEDA", "article": "ground"}), "'ground' needs"),
        (lambda d: d["reasons"][0].update(procedures=["visa"]), "unknown procedure 'visa'"),
        (lambda d: d["reasons"][1].update(id=d["reasons"][0]["id"]), "the id is used twice"),
        (lambda d: d["appeals"][2].update(months=0), "months must be a whole number"),
        (lambda d: d["outcomes"].pop(), "outcomes: must be"),
        (
            lambda d: next(r for r in d["reasons"] if r["id"] == "document_issued").update(
                procedures=["duplicate"]
            ),
            "procedure 'change_of_situation': needs a reason to grant",
        ),
    ],
)
def test_a_broken_reasons_file_is_refused_with_reasons(change, expected) -> None:
    data = copy.deepcopy(raw())
    change(data)
    problems = decision_reasons.validate(data)
    assert any(expected in p for p in problems), problems
    with pytest.raises(decision_reasons.ReasonsError):
        decision_reasons.parse(data)


def decide(app, file_id: str, **args) -> object:
    return agent_command(app, "file.decide", {"file_id": file_id, "decision_id": str(uuid.uuid4()), **args})


def test_decide_once_with_reason_basis_and_appeals_then_correct(app, make_person) -> None:
    p, file_id = submitted_renewal(app, make_person, lock=False)
    refusal = {"outcome": "refused", "reason": "conditions_not_met", "details": DETAILS}
    assert decide(app, file_id, **refusal).code == "not_locked"
    assert agent_command(app, "file.lock", {"file_id": file_id}).applied
    assert decide(app, file_id, **{**refusal, "details": " "}).code == "details_required"
    assert decide(app, file_id, **{**refusal, "outcome": "granted"}).code == "reason_unknown"
    assert decide(app, file_id, **{**refusal, "reason": "asylum_request_late"}).code == "reason_unknown"
    assert decide(app, file_id, **{**refusal, "outcome": "maybe"}).code == "outcome_unknown"
    closing = {"outcome": "closed", "reason": "complement_not_provided", "details": "Rien reçu."}
    assert decide(app, file_id, **closing).code == "complement_not_overdue"
    assert agent_command(app, "file.decide", {"file_id": file_id, **refusal}, "75").code == "not_found"

    # Another agent holds the file: only they decide.
    app.state.db.write_sync(
        lambda c: c.execute("UPDATE files SET locked_by = 'agent-2' WHERE id = ?", (file_id,))
    )
    assert decide(app, file_id, **refusal).code == "held_by_other"
    app.state.db.write_sync(
        lambda c: c.execute("UPDATE files SET locked_by = 'agent-1' WHERE id = ?", (file_id,))
    )

    agent_command(
        app,
        "complement.request",
        {"file_id": file_id, "items": [{"kind": "field", "target": "city", "reason": "?"}]},
    )
    first = decide(app, file_id, **refusal)
    assert first.applied, first
    row = file_row(app, file_id)
    assert row["status"] == "decided" and row["complement_state"] is None
    assert decide(app, file_id, **refusal).code == "already_decided"

    found = app.state.db.read_sync(lambda c: decisions.for_file(c, file_id))
    assert len(found) == 1 and found[0].in_force
    m = found[0].motivation
    ground = cat().grounds[renewal_ground()]
    assert m["bases"] == [{"code": "CESEDA", "article": ground.ceseda}]
    assert [a["id"] for a in m["appeals"]] == ["gracieux", "hierarchique", "contentieux"]
    assert m["details"] == DETAILS and m["addressee"] == "Aminata Diallo" and m["removal_order_note"]

    # A correction is a new decision linked to the first; both stay.
    granted = {"outcome": "granted", "reason": "conditions_met", "details": ""}
    fix = decide(app, file_id, **granted, corrects=first.data["decision_id"])
    assert fix.applied, fix
    again = decide(app, file_id, **granted, corrects=first.data["decision_id"])
    assert again.code == "already_corrected"
    found = app.state.db.read_sync(lambda c: decisions.for_file(c, file_id))
    assert [d.outcome for d in found] == ["granted", "refused"]
    assert found[0].in_force and not found[1].in_force and found[1].corrected_by == found[0].id
    assert found[0].motivation["appeals"] == []
    kinds = [
        r[0]
        for r in app.state.db.read_sync(
            lambda c: c.execute("SELECT kind FROM timeline WHERE file_id = ?", (file_id,)).fetchall()
        )
    ]
    assert kinds.count("decided") == 1 and kinds.count("decision_corrected") == 1

    # The person reads both, newest first, with the motivation and where to appeal.
    page = p.client.get(f"/files/{file_id}").text
    assert "Accordé" in page and "Refusé" in page
    letter_page = p.client.get(f"/files/{file_id}/decisions/{first.data['decision_id']}").text
    assert DETAILS.replace("’", "&#39;") in letter_page or DETAILS in letter_page
    assert (
        ground.ceseda in letter_page and "2 mois" in letter_page and "tribunal administratif" in letter_page
    )
    assert "une décision plus récente la remplace" in letter_page


def test_closing_needs_an_overdue_complement(app, make_person) -> None:
    _, file_id = submitted_renewal(app, make_person)
    agent_command(
        app,
        "complement.request",
        {"file_id": file_id, "items": [{"kind": "field", "target": "city", "reason": "?"}]},
    )
    app.state.db.write_sync(
        lambda c: c.execute("UPDATE complement_items SET due = '2020-01-01' WHERE file_id = ?", (file_id,))
    )
    closing = {
        "outcome": "closed",
        "reason": "complement_not_provided",
        "details": "Rien reçu dans le délai.",
    }
    result = decide(app, file_id, **closing)
    assert result.applied, result
    m = app.state.db.read_sync(lambda c: decisions.current(c, file_id)).motivation
    assert m["bases"] == [{"code": "CRPA", "article": "L.114-5"}] and m["removal_order_note"] is None


def test_the_phone_pulls_complements_and_decisions(app, make_person) -> None:
    p, file_id = submitted_renewal(app, make_person)
    agent_command(
        app,
        "complement.request",
        {"file_id": file_id, "items": [{"kind": "field", "target": "city", "reason": "?"}]},
    )
    decide(app, file_id, outcome="refused", reason="public_order", details=DETAILS)
    records = p.client.get("/sync/pull?cursor=0").json()["records"]
    kinds = {r["type"] for r in records}
    assert {"complement", "decision"} <= kinds
    decision = next(r for r in records if r["type"] == "decision")
    assert decision["data"]["motivation"]["bases"] == [{"code": "CESEDA", "article": "L.432-1"}]
    complement = next(r for r in records if r["type"] == "complement")
    assert complement["data"]["status"] == "closed"
    file = next(r for r in records if r["type"] == "file")
    assert file["data"]["status"] == "decided"


def test_the_export_holds_decisions_their_letters_and_what_was_asked(app, make_person) -> None:
    import io
    import zipfile

    p, file_id = submitted_renewal(app, make_person)
    agent_command(
        app,
        "complement.request",
        {"file_id": file_id, "items": [{"kind": "field", "target": "city", "reason": "Commune ?"}]},
    )
    assert decide(app, file_id, outcome="refused", reason="public_order", details=DETAILS).applied
    archive = zipfile.ZipFile(io.BytesIO(p.client.get("/account/export").content))
    letters_in = [n for n in archive.namelist() if "/decisions/" in n]
    assert len(letters_in) == 1 and archive.read(letters_in[0]).startswith(b"%PDF")
    data = json.loads(archive.read("data.json"))
    [exported] = [f for f in data["files"] if f["decisions"]]
    assert exported["decisions"][0]["motivation"]["details"] == DETAILS
    assert exported["complements"][0]["reason"] == "Commune ?"
    index = archive.read("index.html").decode()
    assert "Menace pour l’ordre public" in index and letters_in[0] in index
