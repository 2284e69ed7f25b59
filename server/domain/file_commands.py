"""Commands on files: create, update fields, change grounds, submit, withdraw,
and the agent's lock / unlock.

Refusal codes (field in brackets): not_found [file_id]; exists [file_id];
procedure_unknown [procedure]; ground_unknown, ground_required [grounds];
title_unknown [title]; field_unknown, field_too_long [<field name>];
file_locked, file_closed (the file no longer accepts this); incomplete (data:
problems); not_allowed (the state machine refuses the action).
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from server import clock
from server.auth import policy
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

from . import attestations, complements, files, timeline
from . import catalogue as catalogue_module
from .files import File


def catalogue() -> catalogue_module.Catalogue:
    return catalogue_module.load()


def when(ctx: Context[Actor]) -> str:
    """When the person did it: the command's own time (offline edits), unless it
    is missing or ahead of the server's clock (then when the server received it)."""
    return clock.iso(ctx.at)


def load_file(ctx: Context[Actor], args: dict[str, Any]) -> File:
    """The file named in args, if this actor may see it (else not_found)."""
    file = files.get(ctx.conn, text(args, "file_id"))
    if file is None or not policy.may_see_file(ctx.actor, file.owner_id, file.departement, file.status):
        raise Refused("not_found", "file_id")
    return file


def own_file(ctx: Context[Actor], args: dict[str, Any]) -> File:
    """A file the actor acts on as the applicant."""
    file = load_file(ctx, args)
    if not policy.is_applicant_of(ctx.actor, file.owner_id):
        raise Refused("not_found", "file_id")
    return file


def editable(file: File) -> None:
    if file.status == "locked":
        raise Refused("file_locked")
    if not file.editable:
        raise Refused("file_closed")


def note(ctx: Context[Actor], file: File, kind: str, **data: Any) -> None:
    timeline.record(
        ctx.conn,
        kind=kind,
        person_id=file.owner_id,
        file_id=file.id,
        version=ctx.version,
        after_submission=file.submitted,
        command_id=ctx.command.id,
        at=when(ctx),
        **timeline.by(ctx.actor),
        **data,
    )


def _act(ctx: Context[Actor]) -> attestations.Act:
    return attestations.Act(
        version=ctx.version,
        at=when(ctx),
        command_id=ctx.command.id,
        actor_id=ctx.actor.account_id,
        actor_role=ctx.actor.role,
    )


def answered(ctx: Context[Actor], file: File, kind: str, targets: list[str]) -> None:
    """What the person just changed answers what an agent asked for, if anything."""
    complements.answer(
        ctx.conn,
        file,
        kind,
        targets,
        at=when(ctx),
        actor_id=ctx.actor.account_id,
        actor_role=ctx.actor.role,
        command_id=ctx.command.id,
        version=ctx.version,
    )


def clean_grounds(procedure_id: str, grounds: Any, title: Any) -> tuple[list[str], str | None]:
    cat = catalogue()
    procedure = cat.procedures.get(str(procedure_id))
    if procedure is None:
        raise Refused("procedure_unknown", "procedure")
    if not isinstance(grounds, list):
        raise Refused("ground_unknown", "grounds")
    chosen: list[str] = []
    for ground_id in grounds:
        if not isinstance(ground_id, str):
            raise Refused("ground_unknown", "grounds")
        ground = cat.grounds.get(ground_id)
        if ground is None or procedure.id not in ground.procedures:
            raise Refused("ground_unknown", "grounds")
        if ground.id not in chosen:
            chosen.append(ground.id)
    if procedure.needs_ground and not chosen:
        raise Refused("ground_required", "grounds")
    if not procedure.needs_ground:
        chosen = []
    if title in (None, ""):
        return chosen, None
    possible = {t for g in chosen for t in cat.grounds[g].titles}
    if not procedure.title_choice or str(title) not in possible:
        raise Refused("title_unknown", "title")
    return chosen, str(title)


def create(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`file.create` {file_id, procedure, grounds: [..], title?}: a new draft."""
    actor = ctx.actor
    # The person, or a worker acting for them: the file is the person's.
    if not actor.applicant_side or actor.owner is None or actor.account_id is None:
        raise Refused("forbidden")
    try:
        file_id = str(uuid.UUID(text(args, "file_id")))
    except ValueError:
        raise Refused("invalid", "file_id") from None
    if files.get(ctx.conn, file_id) is not None:
        raise Refused("exists", "file_id")
    grounds, title = clean_grounds(text(args, "procedure"), args.get("grounds", []), text(args, "title"))
    file = files.create(
        ctx.conn,
        file_id=file_id,
        owner_id=actor.owner,
        procedure=str(args["procedure"]),
        grounds=grounds,
        title=title,
        catalogue=catalogue(),
        created_by=actor.account_id,
        version=ctx.version,
        at=when(ctx),
    )
    # What the person already told us needs no typing twice: their account's
    # details, and who they are and where they live from their latest file.
    prefill = prefill_values(ctx, file)
    if prefill:
        files.set_fields(
            ctx.conn, file, prefill, at=when(ctx), command_id=ctx.command.id, version=ctx.version
        )
    note(
        ctx, file, "created", procedure=file.procedure, grounds=list(grounds), title=title, number=file.number
    )
    return {"file_id": file.id, "number": file.number}


def prefill_values(ctx: Context[Actor], file: File) -> dict[str, str]:
    values: dict[str, str] = {}
    account = ctx.conn.execute(
        "SELECT foreign_number, email, phone FROM accounts WHERE id = ?", (file.owner_id,)
    ).fetchone()
    if account:
        values.update({k: account[k] for k in ("foreign_number", "email", "phone") if account[k]})
    previous = ctx.conn.execute(
        "SELECT id FROM files WHERE owner_id = ? AND id != ? ORDER BY created_at DESC LIMIT 1",
        (file.owner_id, file.id),
    ).fetchone()
    if previous:
        earlier = files.field_values(ctx.conn, previous["id"])
        personal = [f.name for f in files.FIELDS.values() if f.step in ("identity", "address")]
        values.update({k: earlier[k] for k in personal if earlier.get(k)})
    return values


@functools.cache
def _fields_of(procedure: str) -> dict[str, files.Field]:
    """The fields a procedure's file has, by name (the list is constant: kept)."""
    return {f.name: f for f in files.fields_for(procedure)}


def update(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`file.update` {file_id, fields: {name: value}}: last writer wins per field.
    On a locked file, only the fields an agent asked for again may change."""
    file = own_file(ctx, args)
    reopened = complements.asked_fields(ctx.conn, file.id) if file.status == "locked" else set()
    if not reopened:
        editable(file)
    raw = args.get("fields")
    if not isinstance(raw, dict):
        raise Refused("invalid", "fields")
    allowed = _fields_of(file.procedure)
    values: dict[str, str] = {}
    for name, value in raw.items():
        field = allowed.get(str(name))
        if field is None:
            raise Refused("field_unknown", str(name))
        if value is not None and not isinstance(value, str):
            raise Refused("invalid", field.name)  # text only: never a list's repr
        typed = value or ""
        if len(typed) > field.max_length:
            raise Refused("field_too_long", field.name)
        values[field.name] = typed
    if reopened:
        # A form sends every field of its page: the unchanged ones are no change.
        current = files.field_values(ctx.conn, file.id)
        if any(current.get(n, "") != v for n, v in values.items() if n not in reopened):
            raise Refused("file_locked")
        values = {n: v for n, v in values.items() if n in reopened}
    changed = files.set_fields(
        ctx.conn, file, values, at=when(ctx), command_id=ctx.command.id, version=ctx.version
    )
    if changed and file.submitted:
        note(ctx, file, "fields_changed", fields=changed)
    if changed:
        answered(ctx, file, "field", changed)
    return {"changed": changed}


def set_grounds(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`file.set_grounds` {file_id, grounds, title?}: change the legal grounds asked for."""
    file = own_file(ctx, args)
    editable(file)
    grounds, title = clean_grounds(file.procedure, args.get("grounds", []), text(args, "title"))
    if list(file.grounds) == grounds and file.title == title:
        return {"changed": False}
    ctx.conn.execute(
        "UPDATE files SET grounds = ?, title = ?, updated_at = ?, version = ? WHERE id = ?",
        (json.dumps(grounds), title, clock.iso(clock.now()), ctx.version, file.id),
    )
    note(ctx, file, "grounds_changed", grounds=grounds, title=title)
    return {"changed": True}


def submit(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`file.submit` {file_id}: send a complete draft to the prefecture."""
    file = own_file(ctx, args)
    if files.next_status(file.status, "submit") is None:
        raise Refused("not_allowed")
    found = files.problems(ctx.conn, file, catalogue())
    if found:
        raise Refused(
            "incomplete",
            problems=[{"code": p.code, "field": p.field, "piece": p.piece} for p in found],
        )
    files.transition(ctx.conn, file, "submit", ctx.version)
    note(ctx, file, "submitted", departement=file.departement)
    # The proof of submission, at once: no agent needs to act for it (ADR 0015).
    sent = files.get(ctx.conn, file.id)
    assert sent is not None
    proof = attestations.issue(ctx.conn, sent, catalogue(), "submission", "submitted", _act(ctx))
    return {"status": "submitted", "attestation_id": proof.id}


def withdraw(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`file.withdraw` {file_id, reason?}: the person stops this procedure (kept in history)."""
    file = own_file(ctx, args)
    if files.next_status(file.status, "withdraw") is None:
        raise Refused("file_closed")
    reason = " ".join(text(args, "reason").split())[:1000]
    files.transition(ctx.conn, file, "withdraw", ctx.version)
    # Nothing more is awaited from a person who stopped the procedure.
    complements.settle(ctx.conn, file.id, "closed", when(ctx), ctx.version)
    note(ctx, file, "withdrawn", reason=reason)
    # What Sésame attested for this file no longer holds: revoked, kept in the history.
    attestations.end_for_file(
        ctx.conn,
        file.id,
        "withdrawn",
        ctx.version,
        when(ctx),
        actor_id=ctx.actor.account_id,
        actor_role=ctx.actor.role,
        command_id=ctx.command.id,
    )
    return {"status": "withdrawn"}


def agent_transition(action: str, kind: str) -> Any:
    def handler(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
        file = load_file(ctx, args)
        if not policy.is_agent_of(ctx.actor, file.departement):
            raise Refused("forbidden")
        if files.next_status(file.status, action) is None:
            raise Refused("not_allowed")
        status = files.transition(ctx.conn, file, action, ctx.version, by=ctx.actor.account_id)
        # The applicant's timeline says "the prefecture"; the agent's name stays
        # in the back office (files.locked_by, the audit trail).
        note(ctx, file, kind)
        return {"status": status}

    handler.__doc__ = f"`file.{action}` {{file_id}}: an agent of the file's prefecture."
    return handler


HANDLERS = {
    "file.create": create,
    "file.update": update,
    "file.set_grounds": set_grounds,
    "file.submit": submit,
    "file.withdraw": withdraw,
    "file.lock": agent_transition("lock", "locked"),
    "file.unlock": agent_transition("unlock", "unlocked"),
}
