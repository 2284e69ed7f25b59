"""The audit trail: every access of prefecture staff to a file or a piece, and
every staff command, one row each, written in the same transaction as the act
and committed before any data is sent.

Rows are never updated. Each row carries `digest = sha256(previous digest ‖
canonical JSON of the row)`, so a row changed or removed afterwards breaks the
chain at that point (`verify` finds where): tamper evidence without a second
system (the idea of démarches-simplifiées' `dossier_operation_log`). The trail
names agents; the person whose file it is sees only "viewed by the prefecture"
in their timeline (see `review.view`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from server import clock
from server.auth import policy
from server.auth.policy import Actor
from sync.protocol import Command, Result

GENESIS = "0" * 64
STAFF = ("agent", "admin")
# Whose commands leave an audit row: staff, and the server's scheduled acts.
AUDITED = (*STAFF, policy.SYSTEM_ROLE)
# Command arguments kept in the trail: ids and names, never what a person wrote
# (a message's body, a note) — the trail says who did what, the file holds the rest.
KEPT_ARGS = ("piece", "procedure", "status", "decision", "kind")


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    actor_id: str | None
    actor_role: str | None
    actor_name: str | None
    departement: str | None
    file_id: str | None
    file_number: str | None
    attachment_id: str | None
    action: str
    outcome: str
    command_id: str | None
    detail: dict[str, Any]


def _digest(previous: str, fields: list[Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256((previous + canonical).encode()).hexdigest()


def _chained(row: dict[str, Any]) -> list[Any]:
    """The fields a digest covers, in a fixed order."""
    return [
        row["id"],
        row["at"],
        row["actor_id"],
        row["actor_role"],
        row["departement"],
        row["file_id"],
        row["attachment_id"],
        row["action"],
        row["outcome"],
        row["command_id"],
        row["detail"],
    ]


def record(
    conn: sqlite3.Connection,
    *,
    actor: Actor,
    action: str,
    outcome: str,
    departement: str | None,
    file_id: str | None = None,
    attachment_id: str | None = None,
    command_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Add one row at the end of the chain (inside the caller's write transaction:
    the single writer makes "the previous row" well defined)."""
    last = conn.execute("SELECT id, digest FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    row = {
        "id": (last[0] + 1) if last else 1,
        "at": clock.iso(clock.now()),
        "actor_id": actor.account_id,
        "actor_role": actor.role,
        "departement": departement,
        "file_id": file_id,
        "attachment_id": attachment_id,
        "action": action,
        "outcome": outcome,
        "command_id": command_id,
        "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
    }
    row["digest"] = _digest(last[1] if last else GENESIS, _chained(row))
    conn.execute(
        "INSERT INTO audit (id, at, actor_id, actor_role, departement, file_id, attachment_id, action,"
        " outcome, command_id, detail, digest) VALUES (:id, :at, :actor_id, :actor_role, :departement,"
        " :file_id, :attachment_id, :action, :outcome, :command_id, :detail, :digest)",
        row,
    )
    return int(row["id"])


def record_command(conn: sqlite3.Connection, command: Command, actor: Actor, result: Result) -> None:
    """The audit row of one staff command (called by `server/commands.py` for
    every command of an agent or administrator, applied or refused)."""
    args = dict(command.args)
    file_id = str(args["file_id"]) if isinstance(args.get("file_id"), str) else None
    departement = actor.prefecture
    if file_id:
        found = conn.execute("SELECT departement FROM files WHERE id = ?", (file_id,)).fetchone()
        # A file of another prefecture stays unnamed: the attempt shows in the
        # actor's own prefecture's trail, nothing of the file is revealed there.
        if found and (policy.is_agent_of(actor, found[0]) or policy.is_system(actor)):
            departement = found[0]
    detail: dict[str, Any] = {k: args[k] for k in KEPT_ARGS if isinstance(args.get(k), str)}
    for key, value in args.items():
        if key.endswith("_id") and key not in ("file_id", "attachment_id") and isinstance(value, str):
            detail[key] = value
        elif isinstance(value, dict):
            detail[key] = sorted(str(k) for k in value)  # which fields, not their values
    attachment = args.get("attachment_id")
    record(
        conn,
        actor=actor,
        action=command.op,
        outcome="applied" if result.applied else f"refused:{result.code}",
        departement=departement,
        file_id=file_id,
        attachment_id=attachment if isinstance(attachment, str) else None,
        command_id=command.id,
        detail=detail,
    )


def check(conn: sqlite3.Connection) -> tuple[int, int | None]:
    """Walk the whole chain: (rows checked, id of the first row whose digest does
    not follow from the rows before it — a row changed, inserted or removed — or
    None if the chain holds)."""
    previous = GENESIS
    expected_id = None
    checked = 0
    for row in conn.execute("SELECT * FROM audit ORDER BY id"):
        values = dict(row)
        if expected_id is not None and values["id"] != expected_id:
            return checked, int(values["id"])
        if _digest(previous, _chained(values)) != values["digest"]:
            return checked, int(values["id"])
        previous, expected_id = values["digest"], values["id"] + 1
        checked += 1
    return checked, None


def verify(conn: sqlite3.Connection) -> int | None:
    """The id of the first row that breaks the chain, or None if it holds."""
    return check(conn)[1]


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_before: int | None  # the id to ask `before` for the next (older) page


def for_prefecture(
    conn: sqlite3.Connection,
    departement: str,
    *,
    file_id: str | None = None,
    actor_id: str | None = None,
    day_from: str | None = None,
    day_to: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Page:
    """One prefecture's trail, newest first, by pages keyed on the row id.

    Ids grow with time (one writer), so a date range becomes an id range found
    through the index on `at`."""
    where = ["a.departement = :dep"]
    params: dict[str, Any] = {"dep": departement, "limit": limit + 1}
    if file_id:
        where.append("a.file_id = :file")
        params["file"] = file_id
    if actor_id:
        where.append("a.actor_id = :actor")
        params["actor"] = actor_id
    if day_from:
        where.append("a.id >= coalesce((SELECT min(id) FROM audit WHERE at >= :from), 1 << 62)")
        params["from"] = day_from
    if day_to:
        where.append("a.id <= coalesce((SELECT max(id) FROM audit WHERE at < :to), 0)")
        params["to"] = (date.fromisoformat(day_to) + timedelta(days=1)).isoformat()
    if before is not None:
        where.append("a.id < :before")
        params["before"] = before
    rows = conn.execute(
        "SELECT a.*, acc.display_name AS actor_name, f.number AS file_number FROM audit a"
        " LEFT JOIN accounts acc ON acc.id = a.actor_id LEFT JOIN files f ON f.id = a.file_id"
        f" WHERE {' AND '.join(where)} ORDER BY a.id DESC LIMIT :limit",
        params,
    ).fetchall()
    entries = [
        Entry(
            id=r["id"],
            at=r["at"],
            actor_id=r["actor_id"],
            actor_role=r["actor_role"],
            actor_name=r["actor_name"],
            departement=r["departement"],
            file_id=r["file_id"],
            file_number=r["file_number"],
            attachment_id=r["attachment_id"],
            action=r["action"],
            outcome=r["outcome"],
            command_id=r["command_id"],
            detail=json.loads(r["detail"] or "{}"),
        )
        for r in rows[:limit]
    ]
    return Page(entries, entries[-1].id if len(rows) > limit else None)


def staff_of(conn: sqlite3.Connection, departement: str) -> list[tuple[str, str]]:
    """(account id, name) of the prefecture's agents and administrators, for filters."""
    rows = conn.execute(
        "SELECT id, display_name FROM accounts WHERE prefecture = ? AND role IN ('agent', 'admin')"
        " ORDER BY display_name",
        (departement,),
    )
    return [(r[0], r[1]) for r in rows]
