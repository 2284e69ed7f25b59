"""Commands on attestations (the model is `attestations.py`, ADR 0015).

`file.mark_complete` {file_id}
    an agent of the file's prefecture says the file is complete; a file whose
    procedure gives one gets its provisional attestation at once.
`attestation.renew` {file_id}
    the server's scheduled job (`policy.SYSTEM` only): the first provisional
    attestation N days after submission, or a renewal before it ends.
`attestation.view` {file_id, attestation_id}
    staff open a person's attestation in the back office: it changes nothing,
    it exists so that the access is audited (`server/commands.py`).

The proof of submission is issued by `file.submit`; decisions and withdrawals
end attestations through `attestations.on_decision` / `end_for_file`.

Refusal codes (field in brackets): not_found [file_id]; forbidden;
not_allowed (the file is not under review); already_complete;
complement_pending (a complement is still awaited); not_found [attestation_id].
"""

from __future__ import annotations

from typing import Any

from server import clock
from server.auth import policy
from server.auth.policy import Actor
from sync.engine import Context, Refused

from . import attestations, files
from .attestations import Act
from .complement_commands import agents_file
from .file_commands import _act, catalogue, note, when


def act(ctx: Context[Actor]) -> Act:
    return _act(ctx)


def mark_complete(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`file.mark_complete`: the file has everything; its attestation follows."""
    file = agents_file(ctx, args)
    if file.status not in attestations.UNDER_REVIEW:
        raise Refused("not_allowed")
    row = ctx.conn.execute(
        "SELECT completed_at, complement_state FROM files WHERE id = ?", (file.id,)
    ).fetchone()
    if row["completed_at"]:
        raise Refused("already_complete")
    if row["complement_state"] == "asked":
        raise Refused("complement_pending")
    at = when(ctx)
    ctx.conn.execute(
        "UPDATE files SET completed_at = ?, completed_by = ?, updated_at = ?, version = ? WHERE id = ?",
        (at, ctx.actor.account_id, clock.iso(clock.now()), ctx.version, file.id),
    )
    note(ctx, file, "marked_complete")
    issued = None
    if attestations.eligible(file) and attestations.current_provisional(ctx.conn, file.id) is None:
        issued = attestations.issue(
            ctx.conn, file, catalogue(), "provisional", "marked_complete", act(ctx)
        ).id
    return {"completed_at": at, "attestation_id": issued}


def renew(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`attestation.renew`: what the schedule finds due for one file."""
    if not policy.is_system(ctx.actor):
        raise Refused("forbidden")
    file = files.get(ctx.conn, str(args.get("file_id", "")))
    if file is None:
        raise Refused("not_found", "file_id")
    done = attestations.renew_file(ctx.conn, file, catalogue(), attestations.today(), act(ctx))
    present = attestations.current_provisional(ctx.conn, file.id)
    return {"done": done, "attestation_id": present.id if present and done else None}


def view(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`attestation.view`: staff see a person's attestation (audited, changes nothing)."""
    file = agents_file(ctx, args)
    found = attestations.get(ctx.conn, str(args.get("attestation_id", "")))
    if found is None or found.file_id != file.id:
        raise Refused("not_found", "attestation_id")
    return {}


HANDLERS = {
    "file.mark_complete": mark_complete,
    "attestation.renew": renew,
    "attestation.view": view,
}
