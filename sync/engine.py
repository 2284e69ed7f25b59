"""Apply commands: one transaction each, idempotent by id.

`apply_command` expects the caller to hold the single writer connection inside
an open transaction (`BEGIN IMMEDIATE`); it runs the handler in a savepoint so a
refusal leaves no trace but the record of the refusal itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from . import log
from .protocol import CODES, Command, Result

A = TypeVar("A")


class Refused(Exception):
    """Raised by a handler: the command is checked and not applied."""

    def __init__(self, code: str, field: str | None = None, **data: Any) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.data = data


@dataclass
class Context(Generic[A]):
    """What a handler gets: the connection, the actor, and the command's version."""

    conn: sqlite3.Connection
    actor: A
    command: Command
    _version: int | None = field(default=None, repr=False)

    @property
    def version(self) -> int:
        """The counter value for rows this command changes (taken on first use)."""
        if self._version is None:
            self._version = log.next_version(self.conn)
        return self._version


Handler = Callable[[Context[A], dict[str, Any]], dict[str, Any] | None]


def apply_command(
    conn: sqlite3.Connection,
    command: Command,
    *,
    actor: A,
    actor_key: str,
    handlers: Mapping[str, Handler[A]],
) -> Result:
    """Apply `command` once. Same id and same content again: the first result.

    Same id, different content: refused with `id_conflict`, logged, not recorded
    over the first one.
    """
    seen = log.find(conn, command.id)
    if seen is not None:
        digest, first = seen
        if digest == command.digest():
            return first
        log.record_conflict(conn, command, actor_key)
        return Result(id=command.id, status="refused", code="id_conflict")

    handler = handlers.get(command.op)
    if handler is None:
        result = Result(id=command.id, status="refused", code="unknown_op")
        log.record(conn, command, actor_key, result)
        return result

    ctx: Context[A] = Context(conn=conn, actor=actor, command=command)
    conn.execute("SAVEPOINT command")
    try:
        data = handler(ctx, dict(command.args)) or {}
    except Refused as refusal:
        conn.execute("ROLLBACK TO command")
        conn.execute("RELEASE command")
        result = Result(
            id=command.id,
            status="refused",
            code=refusal.code,
            field=refusal.field,
            data=refusal.data,
        )
    except BaseException:
        conn.execute("ROLLBACK TO command")
        conn.execute("RELEASE command")
        raise
    else:
        conn.execute("RELEASE command")
        result = Result(id=command.id, status="applied", version=ctx._version, data=data)
    log.record(conn, command, actor_key, result)
    return result


__all__ = ["CODES", "Context", "Handler", "Refused", "apply_command"]
