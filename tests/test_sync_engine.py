"""The command path: one transaction per command, idempotent by id, versions."""

from __future__ import annotations

from typing import Any

import pytest

from server.store.db import Database
from sync import log
from sync.engine import Context, Refused, apply_batch, apply_command
from sync.protocol import Command, ProtocolError, Result


def setup_table(db: Database) -> None:
    db.write_sync(lambda c: c.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, text TEXT, version INT)"))


def put_note(ctx: Context[str], args: dict[str, Any]) -> dict[str, Any]:
    if not args.get("text"):
        raise Refused("invalid", "text")
    ctx.conn.execute(
        "INSERT INTO notes (id, text, version) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET text = excluded.text, version = excluded.version",
        (args["id"], args["text"], ctx.version),
    )
    return {"id": args["id"]}


def half_then_refuse(ctx: Context[str], args: dict[str, Any]) -> dict[str, Any]:
    ctx.conn.execute("INSERT INTO notes (id, text, version) VALUES ('half', 'x', ?)", (ctx.version,))
    raise Refused("conflict")


HANDLERS = {"note.put": put_note, "note.half": half_then_refuse}


def cmd(op: str = "note.put", n: int = 1, **args: Any) -> Command:
    return Command(id=f"00000000-0000-4000-8000-{n:012d}", client="phone-1", seq=n, op=op, args=args)


def apply(db: Database, command: Command) -> Result:
    return db.write_sync(lambda c: apply_command(c, command, actor="me", actor_key="me", handlers=HANDLERS))


def notes(db: Database) -> list[tuple[str, str, int]]:
    return db.read_sync(
        lambda c: [tuple(r) for r in c.execute("SELECT id, text, version FROM notes ORDER BY id")]
    )


def test_applied_once_and_versioned(db: Database) -> None:
    setup_table(db)
    first = apply(db, cmd(id="a", text="hello"))
    assert first.applied and first.version == 1
    again = apply(db, cmd(id="a", text="hello"))
    assert again == first
    assert notes(db) == [("a", "hello", 1)]
    second = apply(db, cmd(n=2, id="b", text="world"))
    assert second.version == 2
    assert db.read_sync(log.current_version) == 2


def test_same_id_different_content_is_refused_and_logged(db: Database) -> None:
    setup_table(db)
    apply(db, cmd(id="a", text="hello"))
    clash = apply(db, cmd(id="a", text="CHANGED"))
    assert clash.status == "refused" and clash.code == "id_conflict"
    assert notes(db) == [("a", "hello", 1)]
    logged = db.read_sync(lambda c: c.execute("SELECT count(*) FROM command_conflicts").fetchone()[0])
    assert logged == 1
    # The first result is still the one returned for the original content.
    assert apply(db, cmd(id="a", text="hello")).applied


def test_refusal_rolls_back_the_handlers_writes_and_is_final(db: Database) -> None:
    setup_table(db)
    refused = apply(db, cmd(op="note.half"))
    assert refused.status == "refused" and refused.code == "conflict"
    assert notes(db) == []
    assert db.read_sync(log.current_version) == 0  # no version burnt
    assert apply(db, cmd(op="note.half")) == refused


def test_validation_refusal_names_the_field(db: Database) -> None:
    setup_table(db)
    result = apply(db, cmd(id="a", text=""))
    assert (result.status, result.code, result.field) == ("refused", "invalid", "text")


def test_unknown_op(db: Database) -> None:
    assert apply(db, cmd(op="note.fly")).code == "unknown_op"


def test_an_exception_refuses_that_command_alone_and_records_nothing(db: Database) -> None:
    setup_table(db)

    def boom(ctx: Context[str], args: dict[str, Any]) -> None:
        ctx.conn.execute("INSERT INTO notes VALUES ('x', 'y', ?)", (ctx.version,))
        raise RuntimeError("bug")

    handlers = {**HANDLERS, "note.boom": boom}
    batch = [cmd(n=1, id="a", text="before"), cmd(op="note.boom", n=2), cmd(n=3, id="b", text="after")]
    results = db.write_sync(lambda c: apply_batch(c, batch, actor="me", actor_key="me", handlers=handlers))
    assert [r.status for r in results] == ["applied", "refused", "applied"]
    assert results[1].code == "failed"
    (a, _, first), (b, _, second) = notes(db)  # the failed one left nothing
    assert (a, b) == ("a", "b") and second > first
    assert db.read_sync(log.current_version) >= second  # the batch wrote its counter back
    assert db.read_sync(log.find, "me", batch[1].id) is None  # not recorded: it may be sent again


@pytest.mark.parametrize(
    "data",
    [
        {"op": "note.put"},
        {"id": "not-a-uuid", "op": "note.put"},
        {"id": "00000000-0000-4000-8000-000000000001", "op": "Bad Op"},
        {"id": "00000000-0000-4000-8000-000000000001", "op": "note.put", "args": [1]},
        [],
    ],
)
def test_malformed_commands(data: Any) -> None:
    with pytest.raises(ProtocolError):
        Command.from_json(data)


def test_round_trip() -> None:
    c = Command.from_json(
        {
            "id": "00000000-0000-4000-8000-000000000001",
            "client": "p",
            "seq": 3,
            "op": "note.put",
            "args": {"a": 1},
        }
    )
    assert Command.from_json(c.to_json()) == c
    r = Result(id=c.id, status="refused", code="invalid", field="a")
    assert Result.from_json(r.to_json()) == r


def test_the_durable_mark_follows_the_replica() -> None:
    import threading

    from sync.durability import Durability

    assert Durability(lambda: 7, None).mark(7) == 7  # no replica: committed is all there is
    commits, replica_up, asked = [0], threading.Event(), threading.Event()

    def replicate() -> bool:
        asked.set()
        return replica_up.is_set()

    marks = Durability(lambda: commits[0], replicate, pause=0, retry=0.01)
    commits[0] = 3
    marks.noticed()
    assert asked.wait(300)  # a safety net: the thread runs at once
    assert marks.mark(3) == 0  # the replica is down: nothing is called safe
    replica_up.set()
    commits[0] = 5
    marks.noticed()
    for _ in range(30_000):  # polled until it holds (a safety net of minutes, never the criterion)
        if marks.mark(5) == 5:
            break
        threading.Event().wait(0.01)
    assert marks.mark(5) == 5
    assert marks.mark(4) == 4  # never more than what the caller committed
