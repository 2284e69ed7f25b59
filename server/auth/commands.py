"""Commands on one's own credentials and devices (through the sync engine).

Codes: not_found [passkey_id|session_id], last_passkey, label_required,
label_too_long [label].
"""

from __future__ import annotations

from typing import Any

from server import clock
from server.domain import accounts, timeline
from sync.engine import Context, Refused, text

from . import credentials, events, sessions
from .policy import Actor


def _own_passkey(ctx: Context[Actor], args: dict[str, Any]) -> credentials.StoredPasskey:
    if not ctx.actor.signed_in:
        raise Refused("forbidden")
    passkey = credentials.get(ctx.conn, text(args, "passkey_id"))
    # Someone else's passkey is "not found", never "forbidden": ids reveal nothing.
    if passkey is None or passkey.account_id != ctx.actor.account_id:
        raise Refused("not_found", "passkey_id")
    return passkey


def rename_passkey(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    passkey = _own_passkey(ctx, args)
    label = " ".join(text(args, "label").split())
    if not label:
        raise Refused("label_required", "label")
    if len(label) > credentials.LABEL_MAX:
        raise Refused("label_too_long", "label")
    ctx.conn.execute(
        "UPDATE passkeys SET label = ?, version = ? WHERE id = ?", (label, ctx.version, passkey.id)
    )
    return {"label": label}


def remove_passkey(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    passkey = _own_passkey(ctx, args)
    if credentials.count(ctx.conn, passkey.account_id) <= 1:
        raise Refused("last_passkey")
    ctx.conn.execute("DELETE FROM passkeys WHERE id = ?", (passkey.id,))
    # The account row changes too, so a reader of the change feed learns of it.
    ctx.conn.execute("UPDATE accounts SET version = ? WHERE id = ?", (ctx.version, passkey.account_id))
    # A passkey removed (lost, stolen) must not leave open the devices it signed in.
    ended = sessions.revoke_opened_by(ctx.conn, passkey.account_id, passkey.id, clock.now())
    events.record(
        ctx.conn,
        "passkey_removed",
        account_id=passkey.account_id,
        passkey=passkey.id,
        sessions_ended=len(ended),
    )
    owner = accounts.get(ctx.conn, passkey.account_id)
    if owner is not None and not owner.is_staff:
        # The person's history says when a key stopped opening their account
        # (after an assisted recovery, the old phone's key).
        timeline.record(
            ctx.conn,
            kind="passkey_removed",
            person_id=passkey.account_id,
            file_id=None,
            actor_id=ctx.actor.account_id,
            actor_role=ctx.actor.role,
            version=ctx.version,
            command_id=ctx.command.id,
            label=passkey.label,
        )
    return {"sessions_ended": len(ended), "current": ctx.actor.session_id in ended}


def revoke_session(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    if not ctx.actor.signed_in or ctx.actor.account_id is None:
        raise Refused("forbidden")
    session_id = text(args, "session_id")
    if not sessions.revoke(ctx.conn, session_id, ctx.actor.account_id, clock.now()):
        raise Refused("not_found", "session_id")
    events.record(ctx.conn, "session_revoked", account_id=ctx.actor.account_id)
    return {"current": session_id == ctx.actor.session_id}


HANDLERS = {
    "passkey.rename": rename_passkey,
    "passkey.remove": remove_passkey,
    "session.revoke": revoke_session,
}
