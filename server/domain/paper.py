"""Paper files: a file handed in at the counter or by post, recorded by an agent
for a person who has no account, in the same system as the others.

`paper.record` {file_id, display_name, language, procedure, grounds, title?,
                fields: {name: value}, pieces: [{piece, attachment_id, blob, filename}],
                channel: counter | post, received_on: YYYY-MM-DD}
    an agent or administrator of a prefecture. One transaction: a *held*
    account for the person (no passkey: nobody can sign in until they claim it,
    see `server/auth/claims.py`), the file with the answers given on paper,
    the scanned pieces (blobs the agent uploaded), sent to the agent's
    prefecture at once. From then on it is a file like any other: inbox,
    complements, decisions.

Refusal codes (field in brackets): forbidden; invalid [file_id]; exists [file_id];
name_required, name_too_long [display_name]; language_unknown [language];
procedure_unknown, ground_unknown, ground_required, title_unknown (as file.create);
field_unknown, field_too_long, field_required, field_date, … [<field name>];
channel_unknown [channel]; received_on_invalid [received_on];
and those of `piece.attach` [pieces.N].
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from server import clock
from server.auth import claims
from server.auth.policy import Actor
from sync.engine import Context, Refused

from . import accounts, files, pieces
from .file_commands import catalogue, clean_grounds, note
from .pieces import _insert

CHANNELS = ("counter", "post")
# What the agent must read from the paper form before anything else: who it is.
NEEDED = ("family_name", "given_names", "birth_date")


def _fields(procedure: str, raw: Any, prefecture: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise Refused("invalid", "fields")
    allowed = {f.name: f for f in files.fields_for(procedure)}
    values: dict[str, str] = {}
    for name, value in raw.items():
        field = allowed.get(str(name))
        if field is None:
            raise Refused("field_unknown", str(name))
        text = " ".join(str(value or "").split()) if field.kind != "textarea" else str(value or "").strip()
        if len(text) > field.max_length:
            raise Refused("field_too_long", field.name)
        if text:
            problem = files.field_problem(field, text)
            if problem:
                raise Refused(problem, field.name)
            values[field.name] = text
    for name in NEEDED:
        if not values.get(name):
            raise Refused("field_required", name)
    # Handed in at this prefecture: it is the competent one for this file.
    values["prefecture"] = prefecture
    return values


def record(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    actor = ctx.actor
    if actor.role not in ("agent", "admin") or actor.prefecture is None or actor.account_id is None:
        raise Refused("forbidden")
    try:
        file_id = str(uuid.UUID(str(args.get("file_id"))))
    except ValueError:
        raise Refused("invalid", "file_id") from None
    if files.get(ctx.conn, file_id) is not None:
        raise Refused("exists", "file_id")
    profile = accounts.clean_profile(
        {"display_name": args.get("display_name", ""), "language": args.get("language", "")}
    )
    procedure = str(args.get("procedure", ""))
    grounds, title = clean_grounds(procedure, args.get("grounds", []), args.get("title"))
    values = _fields(procedure, args.get("fields"), actor.prefecture)
    channel = str(args.get("channel") or "")
    if channel not in CHANNELS:
        raise Refused("channel_unknown", "channel")
    try:
        received_on = date.fromisoformat(str(args.get("received_on") or ""))
    except ValueError:
        raise Refused("received_on_invalid", "received_on") from None
    if received_on > clock.now().date() or received_on.year < 2000:
        raise Refused("received_on_invalid", "received_on")
    raw_pieces = args.get("pieces") or []
    if not isinstance(raw_pieces, list) or len(raw_pieces) > 200:
        raise Refused("invalid", "pieces")

    now = clock.now()
    at = clock.iso(now)
    person = claims.create_held(
        ctx.conn,
        display_name=profile["display_name"],
        language=profile["language"],
        version=ctx.version,
        now=now,
    )
    contact = {k: values[k] for k in ("email", "phone") if values.get(k)}
    if contact:
        accounts.update_profile(ctx.conn, person.id, contact, ctx.version)
    file = files.create(
        ctx.conn,
        file_id=file_id,
        owner_id=person.id,
        procedure=procedure,
        grounds=grounds,
        title=title,
        catalogue=catalogue(),
        created_by=actor.account_id,
        version=ctx.version,
        at=at,
    )
    files.set_fields(ctx.conn, file, values, at=at, command_id=ctx.command.id, version=ctx.version)
    note(ctx, file, "created", procedure=procedure, grounds=list(grounds), title=title, number=file.number)
    note(ctx, file, "paper_recorded", channel=channel, received_on=received_on.isoformat())
    for n, item in enumerate(raw_pieces):
        if not isinstance(item, dict):
            raise Refused("invalid", f"pieces.{n}")
        try:
            added = _insert(ctx, file, str(item.get("piece", "")), item, None)
        except Refused as refused:
            raise Refused(refused.code, f"pieces.{n}", **refused.data) from None
        ctx.conn.execute(
            "INSERT OR IGNORE INTO blob_grants (sha256, account_id, created_at) VALUES (?, ?, ?)",
            (added.blob, person.id, at),
        )
        pieces.note_added(ctx, file, added)
    current = files.get(ctx.conn, file_id)
    assert current is not None
    files.transition(ctx.conn, current, "submit", ctx.version)
    note(ctx, current, "submitted", departement=actor.prefecture)
    return {"file_id": file_id, "number": file.number, "account_id": person.id}


HANDLERS = {"paper.record": record}
