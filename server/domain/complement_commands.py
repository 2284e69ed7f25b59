"""Agent commands on complements, and a prefecture's own settings.

`complement.request` {file_id, items: [{kind, target, reason, due?}]}
    an agent of the file's prefecture asks for one or several pieces or answers;
    the file must be submitted or locked. Asking again for something still open
    replaces the earlier item (closed, kept in the history).
`complement.settle` {file_id, item_ids: [..], status: accepted | closed}
    an agent marks items as seen and accepted, or withdraws them.
`prefecture.configure` {complement_days?, provisional_days?}
    an administrator of a prefecture sets how many days a complement gives by
    default, and after how many days a complete file gets its provisional
    attestation by itself (`attestations.py`).

Refusal codes (field in brackets): not_found [file_id]; forbidden; not_allowed
(the file is a draft or closed); items_required, items_too_many [items];
kind_unknown, target_unknown, reason_required, reason_too_long, due_invalid,
due_past, due_too_far, item_repeated [items.N.<name>]; not_found [item_ids];
days_invalid [complement_days, provisional_days].
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from server import clock
from server.auth import policy
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

from . import attestations, complements, files
from .file_commands import catalogue, note, when
from .files import File

MAX_ITEMS = 30
MAX_REASON = 1000
MAX_DUE_DAYS = 366


def agents_file(ctx: Context[Actor], args: dict[str, Any]) -> File:
    """The file named in args, for an agent of its prefecture (else not_found / forbidden)."""
    file = files.get(ctx.conn, text(args, "file_id"))
    if file is None or not policy.may_review(ctx.actor, file.departement, file.submitted_at):
        raise Refused("not_found", "file_id")
    return file


def today() -> date:
    return clock.now().date()


def _targets(file: File) -> dict[str, set[str]]:
    cat = catalogue()
    return {
        "piece": {item.piece.id for item in cat.checklist(file.procedure, file.grounds)},
        "field": {f.name for f in files.fields_for(file.procedure)},
    }


def _clean_item(
    ctx: Context[Actor], file: File, n: int, raw: Any, targets: dict[str, set[str]]
) -> dict[str, str]:
    where = f"items.{n}"
    if not isinstance(raw, dict):
        raise Refused("invalid", where)
    kind = str(raw.get("kind", ""))
    if kind not in complements.KINDS:
        raise Refused("kind_unknown", f"{where}.kind")
    target = str(raw.get("target", ""))
    if target not in targets[kind]:
        raise Refused("target_unknown", f"{where}.target")
    reason = " ".join(str(raw.get("reason") or "").split())
    if not reason:
        raise Refused("reason_required", f"{where}.reason")
    if len(reason) > MAX_REASON:
        raise Refused("reason_too_long", f"{where}.reason")
    due_text = str(raw.get("due") or "").strip()
    if due_text:
        try:
            due = date.fromisoformat(due_text)
        except ValueError:
            raise Refused("due_invalid", f"{where}.due") from None
        if due <= today():
            raise Refused("due_past", f"{where}.due")
        if due > today() + timedelta(days=MAX_DUE_DAYS):
            raise Refused("due_too_far", f"{where}.due")
        due_text = due.isoformat()
    else:
        due_text = complements.default_due(ctx.conn, file.departement, today())
    return {"kind": kind, "target": target, "reason": reason, "due": due_text}


def request(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`complement.request`: ask for pieces or answers, each with a reason and a due date."""
    file = agents_file(ctx, args)
    if file.status not in ("submitted", "locked"):
        raise Refused("not_allowed")
    raw = args.get("items")
    if not isinstance(raw, list) or not raw:
        raise Refused("items_required", "items")
    if len(raw) > MAX_ITEMS:
        raise Refused("items_too_many", "items")
    targets = _targets(file)
    cleaned = [_clean_item(ctx, file, n, item, targets) for n, item in enumerate(raw)]
    seen: set[tuple[str, str]] = set()
    for n, item in enumerate(cleaned):
        key = (item["kind"], item["target"])
        if key in seen:
            raise Refused("item_repeated", f"items.{n}.target")
        seen.add(key)
    at = when(ctx)
    # Asking again for what is still open replaces it: one current question per piece or field.
    previous = [i.id for i in complements.open_items(ctx.conn, file.id) if (i.kind, i.target) in seen]
    complements.settle(ctx.conn, file.id, "closed", at, ctx.version, previous)
    # Ids derive from the command's id: a replayed command makes the same items.
    request_id = str(uuid.uuid5(uuid.UUID(int=0), ctx.command.id))
    ids = []
    for n, item in enumerate(cleaned):
        item_id = str(uuid.uuid5(uuid.UUID(request_id), str(n)))
        ctx.conn.execute(
            "INSERT INTO complement_items (id, request_id, file_id, kind, target, reason, due, status,"
            " asked_at, asked_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, 'asked', ?, ?, ?)",
            (
                item_id,
                request_id,
                file.id,
                item["kind"],
                item["target"],
                item["reason"],
                item["due"],
                at,
                ctx.actor.account_id,
                ctx.version,
            ),
        )
        ids.append(item_id)
    complements.refresh(ctx.conn, file.id, ctx.version)
    ctx.conn.execute(
        "UPDATE files SET updated_at = ?, version = ? WHERE id = ?",
        (clock.iso(clock.now()), ctx.version, file.id),
    )
    note(ctx, file, "complement_requested", items=[{**c, "id": i} for c, i in zip(cleaned, ids, strict=True)])
    return {"request_id": request_id, "item_ids": ids}


def settle(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`complement.settle`: items accepted (the answer is fine) or closed (no longer asked)."""
    file = agents_file(ctx, args)
    status = text(args, "status")
    if status not in ("accepted", "closed"):
        raise Refused("invalid", "status")
    raw = args.get("item_ids")
    if not isinstance(raw, list) or not raw:
        raise Refused("items_required", "item_ids")
    open_ids = {i.id for i in complements.open_items(ctx.conn, file.id)}
    wanted = [str(i) for i in raw]
    if any(i not in open_ids for i in wanted):
        raise Refused("not_found", "item_ids")
    done = complements.settle(ctx.conn, file.id, status, when(ctx), ctx.version, wanted)
    note(
        ctx,
        file,
        "complement_settled",
        status=status,
        items=[{"id": i.id, "kind": i.kind, "target": i.target} for i in done],
    )
    return {"settled": [i.id for i in done]}


def _days(args: dict[str, Any], name: str, low: int, high: int) -> int | None:
    if args.get(name) in (None, ""):
        return None
    try:
        days = int(str(args.get(name, "")).strip())
    except ValueError:
        raise Refused("days_invalid", name) from None
    if not low <= days <= high:
        raise Refused("days_invalid", name)
    return days


def configure(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`prefecture.configure` {complement_days?, provisional_days?}: an administrator
    of one prefecture; a setting not given keeps its value."""
    actor = ctx.actor
    if actor.role != "admin" or actor.prefecture is None:
        raise Refused("forbidden")
    days = _days(args, "complement_days", complements.MIN_DAYS, complements.MAX_DAYS)
    provisional = _days(args, "provisional_days", attestations.MIN_AFTER_DAYS, attestations.MAX_AFTER_DAYS)
    if days is None and provisional is None:
        raise Refused("days_invalid", "complement_days")
    days = days if days is not None else complements.default_days(ctx.conn, actor.prefecture)
    provisional = (
        provisional if provisional is not None else attestations.after_days(ctx.conn, actor.prefecture)
    )
    ctx.conn.execute(
        "INSERT INTO prefecture_settings (departement, complement_days, provisional_days, updated_at,"
        " updated_by, version) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (departement) DO UPDATE SET"
        " complement_days = excluded.complement_days, provisional_days = excluded.provisional_days,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by, version = excluded.version",
        (actor.prefecture, days, provisional, when(ctx), actor.account_id, ctx.version),
    )
    return {"complement_days": days, "provisional_days": provisional}


HANDLERS = {
    "complement.request": request,
    "complement.settle": settle,
    "prefecture.configure": configure,
}
