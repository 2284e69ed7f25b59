"""Every command the server knows, and the one function that applies them.

Routes (plain HTML forms), the sync API and the back office all come here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from server.auth import commands as auth_commands
from server.auth.policy import Actor
from server.domain import (
    accounts,
    appointment_commands,
    audit,
    blockages,
    cards,
    complement_commands,
    decisions,
    file_commands,
    messages,
    paper,
    pieces,
    prefecture_info,
    review,
    voice,
)
from sync import log
from sync.engine import Handler, apply_command
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
    # blocked, paper files, claims
    **blockages.HANDLERS,
    **paper.HANDLERS,
    **voice.HANDLERS,
    # appointments, information, figures
    **prefecture_info.HANDLERS,
    **appointment_commands.HANDLERS,
    **cards.HANDLERS,
}


def apply(conn: sqlite3.Connection, command: Command, actor: Actor) -> Result:
    """Apply one command inside the caller's write transaction.

    Every command of prefecture staff, whatever route brought it (a back-office
    form, `/sync/push`) and whether applied or refused, leaves an audit row in
    this same transaction: the one place where staff acts are audited. A command
    sent again (same id) is not a new act and adds no row."""
    staff = actor.role in audit.STAFF and log.find(conn, command.id) is None
    result = apply_command(conn, command, actor=actor, actor_key=actor.key, handlers=HANDLERS)
    if staff:
        audit.record_command(conn, command, actor, result)
    return result


def ops() -> list[str]:
    return sorted(HANDLERS)
