"""Every command the server knows, and the one function that applies them.

Routes (plain HTML forms), the sync API and the back office all come here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from server.auth import commands as auth_commands
from server.auth.policy import Actor
from server.domain import accounts, complement_commands, decisions, file_commands, messages, pieces
from sync.engine import Handler, apply_command
from sync.protocol import Command, Result

HANDLERS: Mapping[str, Handler[Actor]] = {
    **accounts.HANDLERS,
    **auth_commands.HANDLERS,
    **file_commands.HANDLERS,
    **pieces.HANDLERS,
    **messages.HANDLERS,
    # prefecture: complements and decisions
    **complement_commands.HANDLERS,
    **decisions.HANDLERS,
}


def apply(conn: sqlite3.Connection, command: Command, actor: Actor) -> Result:
    """Apply one command inside the caller's write transaction."""
    return apply_command(conn, command, actor=actor, actor_key=actor.key, handlers=HANDLERS)


def ops() -> list[str]:
    return sorted(HANDLERS)
