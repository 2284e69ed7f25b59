"""Every command the server knows, and the functions that apply them.

Routes (plain HTML forms), the sync API and the back office all come here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from server import clock, metrics
from server.auth import commands as auth_commands
from server.auth.policy import Actor
from server.domain import (
    accounts,
    appointment_commands,
    attestation_commands,
    audit,
    blockages,
    cards,
    complement_commands,
    decisions,
    file_commands,
    mandates,
    messages,
    paper,
    pieces,
    prefecture_info,
    review,
    voice,
)
from server.notify import preferences as notify_preferences
from server.notify import subscriptions as push_subscriptions
from sync import log
from sync.engine import Handler, apply_batch, apply_command
from sync.protocol import Command, Result

HANDLERS: Mapping[str, Handler[Actor]] = {
    **accounts.HANDLERS,
    **auth_commands.HANDLERS,
    **file_commands.HANDLERS,
    **pieces.HANDLERS,
    **messages.HANDLERS,
    **review.HANDLERS,
    # prefecture: complements and decisions
    **complement_commands.HANDLERS,
    **decisions.HANDLERS,
    # attestations: marked complete, issued and renewed by the server, shown to staff
    **attestation_commands.HANDLERS,
    # blocked, paper files, claims
    **blockages.HANDLERS,
    **paper.HANDLERS,
    **voice.HANDLERS,
    # appointments, information, figures
    **prefecture_info.HANDLERS,
    **appointment_commands.HANDLERS,
    **cards.HANDLERS,
    # reaching people: channels, discreet messages, quiet hours (ADR 0023)
    **notify_preferences.HANDLERS,
    # outreach workers: mandates, and people recorded on paper
    **mandates.HANDLERS,
    # Web Push: the browsers a person agreed to be reached on (ADR 0024)
    **push_subscriptions.HANDLERS,
}


def apply(conn: sqlite3.Connection, command: Command, actor: Actor) -> Result:
    """Apply one command inside the caller's write transaction.

    Every command of prefecture staff, whatever route brought it (a back-office
    form, `/sync/push`) and whether applied or refused, leaves an audit row in
    this same transaction: the one place where staff acts are audited (and
    the server's own scheduled acts, `policy.SYSTEM`). A command
    sent again (same id) is not a new act and adds no row."""
    staff = actor.role in audit.AUDITED and log.find(conn, actor.key, command.id) is None
    result = apply_command(
        conn, command, actor=actor, actor_key=actor.key, handlers=HANDLERS, received=clock.now()
    )
    if staff:
        audit.record_command(conn, command, actor, result)
    metrics.commands_seen([command.op], [result])
    return result


def apply_for(conn: sqlite3.Connection, command: Command, worker: Actor, person_id: str | None) -> Result:
    """A worker's pushed command. With `person_id` (its `"for"`), applied as
    the worker acting for that person — only under a live mandate to act for
    the file it names (`mandates.active_for`), and only for the person's own
    acts (`mandates.WORKER_OPS`). Without a mandate it is refused `mandate`
    and not recorded: a mandate given again lets the same command through.
    A command already applied answers its first result, mandate or not."""
    if person_id is None:
        return apply(conn, command, worker)
    found = log.find(conn, worker.key, command.id)
    if found is not None:
        return apply(conn, command, worker)  # the engine answers the first result
    if command.op not in mandates.WORKER_OPS:
        return Result(id=command.id, status="refused", code="forbidden")
    raw = command.args.get("file_id")
    file_id = raw if isinstance(raw, str) and raw else None
    # A new file is the person's as a whole, unless a paper mandate names its id.
    acting = mandates.acting(conn, worker, person_id, file_id, clock.now(), act=True)
    if acting is None:
        result = Result(id=command.id, status="refused", code="mandate")
        metrics.commands_seen([command.op], [result])
        return result
    return apply(conn, command, acting)


def apply_pushed(
    conn: sqlite3.Connection,
    batch: Sequence[Command],
    actor: Actor,
    epoch: str | None,
    targets: Sequence[str | None] = (),
) -> tuple[list[Result], str, int] | str:
    """Apply a pushed batch inside the caller's one write transaction.

    Returns the results, the epoch and the number of this commit (a phone keeps
    the commands until the durable mark passes it) — or, when the phone names
    another epoch, only the current one: nothing applied, the phone first pushes
    again what it kept (docs/adr/0008)."""
    current, commit = log.next_commit(conn)
    if epoch is not None and epoch != current:
        return current
    if actor.role in audit.AUDITED:
        # Staff commands go one by one through `apply`, which audits each.
        return [apply(conn, command, actor) for command in batch], current, commit
    if actor.role == "worker":
        # Each command names the person it is for: one mandate check each.
        people = list(targets) + [None] * (len(batch) - len(targets))
        return [apply_for(conn, c, actor, p) for c, p in zip(batch, people, strict=True)], current, commit
    results = apply_batch(
        conn, batch, actor=actor, actor_key=actor.key, handlers=HANDLERS, received=clock.now()
    )
    metrics.commands_seen([c.op for c in batch], results)
    return results, current, commit


def ops() -> list[str]:
    return sorted(HANDLERS)
