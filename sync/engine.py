"""Apply commands: a batch in one write transaction, one savepoint per command,
idempotent by (actor, id).

`apply_command` and `apply_batch` expect the caller to hold the single writer
connection inside an open transaction (`BEGIN IMMEDIATE`) and to commit once
afterwards. Each command runs in its own savepoint, so a refusal — or a fault of
the handler — undoes that command alone: the commands after it still apply, in
order, and one commit makes the whole batch durable (commits, not commands, are
what a write costs).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from . import log
from .protocol import CODES, Command, ProtocolError, Result, effective_at

A = TypeVar("A")

logger = logging.getLogger("sesame.sync")


class Refused(Exception):
    """Raised by a handler: the command is checked and not applied."""

    def __init__(self, code: str, field: str | None = None, **data: Any) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.data = data


def text(args: Mapping[str, Any], name: str, default: str = "") -> str:
    """The argument `name` as text: missing or null gives `default`; any other
    type (a list, an object, a number) is refused `invalid` with the field —
    never turned into its Python repr."""
    value = args.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise Refused("invalid", name)
    return value


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context(Generic[A]):
    """What a handler gets: the connection, the actor, the command, when the
    server received it, and the command's version."""

    conn: sqlite3.Connection
    actor: A
    command: Command
    received: datetime = field(default_factory=_now)
    _version: int | None = field(default=None, repr=False)
    _at: datetime | None = field(default=None, repr=False)
    versions: log.Versions | None = field(default=None, repr=False)

    @property
    def version(self) -> int:
        """The counter value for rows this command changes (taken on first use)."""
        if self._version is None:
            self._version = self.versions.take() if self.versions else log.next_version(self.conn)
        return self._version

    @property
    def at(self) -> datetime:
        """When the command counts as done (see `protocol.effective_at`)."""
        if self._at is None:
            self._at = effective_at(self.command.at, self.received)
        return self._at


Handler = Callable[[Context[A], dict[str, Any]], dict[str, Any] | None]


def apply_command(
    conn: sqlite3.Connection,
    command: Command,
    *,
    actor: A,
    actor_key: str,
    handlers: Mapping[str, Handler[A]],
    received: datetime | None = None,
    checked: bool = False,
    seen: tuple[str, Result] | None | Literal[False] = False,
    log_rows: list[log.Row] | None = None,
    versions: log.Versions | None = None,
) -> Result:
    """Apply `command` once. Same actor, id and content again: the first result.

    Same actor and id, different content: refused with `id_conflict`, logged,
    not recorded over the first one. Another actor's id is another command.
    `checked`: the command comes from `Command.from_json`, which checked it;
    `seen`: what the log holds for this id, when the caller looked it up already;
    `log_rows`: where to put the command's row in the log, for the caller to write
    with the others (the batch), instead of writing it now; `versions`: the
    batch's counter.
    """
    if not checked:
        try:
            command.check()
        except ProtocolError:
            return Result(id=str(command.id), status="refused", code="bad_command")
    if seen is False:
        seen = log.find(conn, actor_key, command.id)
    if seen is not None:
        digest, first = seen
        if digest == command.digest():
            return first
        log.record_conflict(conn, command, actor_key)
        return Result(id=command.id, status="refused", code="id_conflict")

    handler = handlers.get(command.op)
    ctx: Context[A] = Context(
        conn=conn, actor=actor, command=command, received=received or _now(), versions=versions
    )
    conn.execute("SAVEPOINT command")
    try:
        if handler is None:
            result = Result(id=command.id, status="refused", code="unknown_op")
        else:
            try:
                data = handler(ctx, dict(command.args)) or {}
            except Refused as refusal:
                conn.execute("ROLLBACK TO command")
                result = Result(
                    id=command.id,
                    status="refused",
                    code=refusal.code,
                    field=refusal.field,
                    data=refusal.data,
                )
            else:
                result = Result(id=command.id, status="applied", version=ctx._version, data=data)
        logged = log.row(command, actor_key, result)
        if log_rows is None:
            log.record_many(conn, [logged])
        else:
            log_rows.append(logged)
    except Exception:
        if not conn.in_transaction:
            raise  # SQLite ended the transaction itself (disk full, I/O): the batch fails whole
        logger.exception("command %s (%s) failed", command.id, command.op)
        conn.execute("ROLLBACK TO command")
        conn.execute("RELEASE command")
        return Result(id=command.id, status="refused", code="failed")
    conn.execute("RELEASE command")
    return result


def apply_batch(
    conn: sqlite3.Connection,
    commands: Sequence[Command],
    *,
    actor: A,
    actor_key: str,
    handlers: Mapping[str, Handler[A]],
    received: datetime | None = None,
) -> list[Result]:
    """Apply commands made by `Command.from_json` (so already checked) in order,
    inside the caller's one transaction; one result each. A refused or failed
    command never stops the ones after it."""
    received = received or _now()
    known = log.find_many(conn, actor_key, [c.id for c in commands])
    results = []
    rows: list[log.Row] = []
    versions = log.Versions(conn)
    for c in commands:
        result = apply_command(
            conn,
            c,
            actor=actor,
            actor_key=actor_key,
            handlers=handlers,
            received=received,
            checked=True,
            seen=known.get(c.id),
            log_rows=rows,
            versions=versions,
        )
        if c.id not in known and result.code not in ("failed", "id_conflict"):
            known[c.id] = (c.digest(), result)  # the same id again in this batch
        results.append(result)
    log.record_many(conn, rows)
    versions.close()
    return results


__all__ = ["CODES", "Context", "Handler", "Refused", "apply_batch", "apply_command", "text"]
