"""The residence card of a granted file: ready at the prefecture, then handed over.

The seeds' Paimann was granted his renewal and waited months for an
appointment to fetch the card, and lost his job meanwhile. Here an agent marks
the card ready, and the person books a pick-up slot at once
(`appointment_commands.py`).

`card.ready` {file_id}: an agent of the file's prefecture; the decision in
    force on the file grants it.
`card.handed_over` {file_id}: the card was given to the person; a pick-up
    booking still open ends (`done`), which frees its seat if it was later.

Refusal codes: not_found [file_id]; not_granted (no decision in force grants
the file); already_ready; not_ready (no card ready to hand over);
already_handed_over.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from server.auth.policy import Actor
from sync.engine import Context, Refused

from . import attestations, decisions
from .complement_commands import agents_file
from .file_commands import note, when


@dataclass(frozen=True)
class Card:
    file_id: str
    status: str  # ready | handed_over
    ready_at: str
    handed_over_at: str | None


def get(conn: sqlite3.Connection, file_id: str) -> Card | None:
    row = conn.execute("SELECT * FROM cards WHERE file_id = ?", (file_id,)).fetchone()
    if row is None:
        return None
    return Card(row["file_id"], row["status"], row["ready_at"], row["handed_over_at"])


def ready(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`card.ready`: the card of a granted file can be fetched."""
    file = agents_file(ctx, args)
    decision = decisions.current(ctx.conn, file.id)
    if file.status != "decided" or decision is None or decision.outcome != "granted":
        raise Refused("not_granted")
    if get(ctx.conn, file.id) is not None:
        raise Refused("already_ready")
    at = when(ctx)
    ctx.conn.execute(
        "INSERT INTO cards (file_id, departement, status, ready_at, ready_by, submitted_at, version)"
        " VALUES (?, ?, 'ready', ?, ?, ?, ?)",
        (file.id, file.departement, at, ctx.actor.account_id, file.submitted_at, ctx.version),
    )
    ctx.conn.execute("UPDATE files SET updated_at = ?, version = ? WHERE id = ?", (at, ctx.version, file.id))
    note(ctx, file, "card_ready")
    return {"status": "ready"}


def handed_over(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`card.handed_over`: the person has their card."""
    file = agents_file(ctx, args)
    card = get(ctx.conn, file.id)
    if card is None:
        raise Refused("not_ready")
    if card.status == "handed_over":
        raise Refused("already_handed_over")
    at = when(ctx)
    ctx.conn.execute(
        "UPDATE cards SET status = 'handed_over', handed_over_at = ?, handed_over_by = ?, version = ?"
        " WHERE file_id = ?",
        (at, ctx.actor.account_id, ctx.version, file.id),
    )
    ctx.conn.execute(
        "UPDATE appointments SET status = 'done', ended_at = ?, version = ? WHERE file_id = ?"
        " AND kind = 'card_pickup' AND status = 'booked'",
        (at, ctx.version, file.id),
    )
    ctx.conn.execute("UPDATE files SET updated_at = ?, version = ? WHERE id = ?", (at, ctx.version, file.id))
    note(ctx, file, "card_handed_over")
    # A granted file's provisional attestation lasts until the card is in hand.
    attestations.end_for_file(
        ctx.conn,
        file.id,
        "card_handed_over",
        ctx.version,
        at,
        actor_id=ctx.actor.account_id,
        actor_role=ctx.actor.role,
        command_id=ctx.command.id,
    )
    return {"status": "handed_over"}


HANDLERS = {"card.ready": ready, "card.handed_over": handed_over}
