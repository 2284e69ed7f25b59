"""The file state machine, and file commands applied twice."""

from __future__ import annotations

import uuid

import pytest

from server import commands
from server.auth.policy import Actor
from server.domain import files
from sync.protocol import Command

ACTIONS = ("submit", "withdraw", "lock", "unlock", "decide")


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        ("draft", {"submit": "submitted", "withdraw": "withdrawn"}),
        ("submitted", {"withdraw": "withdrawn", "lock": "locked"}),
        ("locked", {"withdraw": "withdrawn", "unlock": "submitted", "decide": "decided"}),
        ("decided", {}),
        ("withdrawn", {}),
    ],
)
def test_transitions(status: str, allowed: dict[str, str]) -> None:
    assert {a: files.next_status(status, a) for a in ACTIONS if files.next_status(status, a)} == allowed


def test_editable_states() -> None:
    assert files.EDITABLE == ("draft", "submitted")


def test_field_checks_at_submission() -> None:
    f = files.FIELDS
    assert files.field_problem(f["birth_date"], "") == "field_required"
    assert files.field_problem(f["birth_date"], "12/04/1991") == "field_date"
    assert files.field_problem(f["birth_date"], "1991-04-12") is None
    assert files.field_problem(f["postcode"], "7501") == "field_postcode"
    assert files.field_problem(f["postcode"], "20 200") is None  # Haute-Corse
    assert files.field_problem(f["foreign_number"], "") is None  # optional
    assert files.field_problem(f["foreign_number"], "12345") == "field_foreign_number"
    assert files.field_problem(f["change_kind"], "holiday") == "field_choice"
    assert files.field_problem(f["prefecture"], "2A") is None


def test_competent_prefecture() -> None:
    assert files.competent_departement({"postcode": "93200"}) == "93"
    assert files.competent_departement({"postcode": "93200", "prefecture": "75"}) == "75"
    assert files.competent_departement({"postcode": "nope"}) is None


def run(app, actor: Actor, op: str, args: dict, command_id: str | None = None):
    command = Command(id=command_id or str(uuid.uuid4()), client="test", seq=1, op=op, args=args)
    return app.state.db.write_sync(lambda c: commands.apply(c, command, actor))


def test_create_twice_with_one_command_id_makes_one_file(app, person) -> None:
    person.signup()
    account_id = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM accounts").fetchone()[0])
    me = Actor(role="applicant", account_id=account_id)
    file_id, cid = str(uuid.uuid4()), str(uuid.uuid4())
    args = {"file_id": file_id, "procedure": "change_of_situation", "grounds": []}
    first = run(app, me, "file.create", args, cid)
    again = run(app, me, "file.create", args, cid)
    assert first.applied and again == first
    assert app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM files").fetchone()[0]) == 1
    # A new command for the same file id is refused, not a second file.
    assert run(app, me, "file.create", args).code == "exists"


def test_agents_and_strangers_cannot_create_or_edit(app, person) -> None:
    person.signup()
    account_id = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM accounts").fetchone()[0])
    me = Actor(role="applicant", account_id=account_id)
    file_id = str(uuid.uuid4())
    run(app, me, "file.create", {"file_id": file_id, "procedure": "duplicate", "grounds": []})
    agent = Actor(role="agent", account_id="x", prefecture="75")
    stranger = Actor(role="applicant", account_id="someone-else")
    assert (
        run(app, agent, "file.create", {"file_id": str(uuid.uuid4()), "procedure": "duplicate"}).code
        == "forbidden"
    )
    for who in (agent, stranger):
        assert run(app, who, "file.update", {"file_id": file_id, "fields": {"city": "x"}}).code == "not_found"
        assert run(app, who, "file.withdraw", {"file_id": file_id}).code == "not_found"
    # An agent does not see drafts, even of their own prefecture.
    run(app, me, "file.update", {"file_id": file_id, "fields": {"postcode": "75011"}})
    assert run(app, agent, "file.lock", {"file_id": file_id}).code == "not_found"
