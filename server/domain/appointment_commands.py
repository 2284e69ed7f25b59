"""Commands on counters and appointments.

`desk.save` {desk_id, name, address, kinds, slot_minutes, capacity, horizon_days,
             hours: [{weekday, opens, closes}], closures: [{day, reason}], closed?}
    an administrator of one prefecture creates or changes a counter (the whole
    of it: hours and closures are replaced). Bookings already made stay.
`appointment.book` {appointment_id, file_id, desk_id, starts_at}
    the applicant books a card pick-up slot once the card is ready.
`appointment.move` {appointment_id, new_appointment_id, desk_id, starts_at}
    the old booking ends (`moved`), a new one starts, in one step: the person
    never loses their slot if the new one is full.
`appointment.cancel` {appointment_id}

No overbooking: the seat count is checked and the seat taken inside the one
write transaction (`BEGIN IMMEDIATE`, one writer), and the partial UNIQUE
index `appointments_seat` (desk, start, seat) on live bookings refuses a
second row on the same seat whatever the code does.

Refusal codes (field in brackets): forbidden; not_found [file_id,
appointment_id, desk_id]; invalid [appointment_id]; exists [appointment_id];
desk_name_required, desk_name_too_long [name]; address_required, address_too_long
[address]; kinds_required [kinds]; slot_minutes_invalid; capacity_invalid;
horizon_invalid; hours_invalid [hours.N]; closure_invalid [closures.N];
card_not_ready; already_booked; not_booked [appointment_id]; slot_unknown,
slot_full [starts_at] (with `next_slots`: the soonest free slots, and
`opens_on` when none is free).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from datetime import date
from typing import Any

from server.auth import policy
from server.auth.policy import Actor
from sync.engine import Context, Refused

from . import appointments, cards, files
from .appointments import KINDS, MAX_CAPACITY, MAX_HORIZON, SLOT_MINUTES, Desk
from .file_commands import note, when
from .files import File

MAX_NAME = 120
MAX_ADDRESS = 400
MAX_REASON = 200
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _uuid(value: Any, field: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise Refused("invalid", field) from None


def _int(value: Any, low: int, high: int, code: str, field: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Refused(code, field) from None
    if not low <= number <= high:
        raise Refused(code, field)
    return number


# -- counters -------------------------------------------------------------------------------


def _hours(raw: Any) -> list[tuple[int, str, str]]:
    if not isinstance(raw, list):
        raise Refused("hours_invalid", "hours")
    found: list[tuple[int, str, str]] = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise Refused("hours_invalid", f"hours.{n}")
        opens, closes = str(item.get("opens", "")), str(item.get("closes", ""))
        try:
            weekday = int(item.get("weekday", -1))
        except (TypeError, ValueError):
            raise Refused("hours_invalid", f"hours.{n}") from None
        if weekday not in appointments.WEEKDAYS or not _TIME.match(opens) or not _TIME.match(closes):
            raise Refused("hours_invalid", f"hours.{n}")
        if opens >= closes:
            raise Refused("hours_invalid", f"hours.{n}")
        for other in found:  # two ranges of one day may not overlap
            if other[0] == weekday and opens < other[2] and other[1] < closes:
                raise Refused("hours_invalid", f"hours.{n}")
        found.append((weekday, opens, closes))
    return found


def _closures(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        raise Refused("closure_invalid", "closures")
    found: dict[str, str] = {}
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise Refused("closure_invalid", f"closures.{n}")
        try:
            day = date.fromisoformat(str(item.get("day", ""))).isoformat()
        except ValueError:
            raise Refused("closure_invalid", f"closures.{n}") from None
        reason = " ".join(str(item.get("reason") or "").split())
        if len(reason) > MAX_REASON:
            raise Refused("closure_invalid", f"closures.{n}")
        found[day] = reason
    return sorted(found.items())


def save_desk(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`desk.save`: a prefecture administrator's counter, hours and closures."""
    actor = ctx.actor
    if actor.role != "admin" or actor.prefecture is None:
        raise Refused("forbidden")
    desk_id = _uuid(args.get("desk_id"), "desk_id")
    existing = appointments.get_desk(ctx.conn, desk_id)
    if existing is not None and existing.departement != actor.prefecture:
        raise Refused("not_found", "desk_id")
    name = " ".join(str(args.get("name") or "").split())
    if not name:
        raise Refused("desk_name_required", "name")
    if len(name) > MAX_NAME:
        raise Refused("desk_name_too_long", "name")
    address = str(args.get("address") or "").replace("\r\n", "\n").strip()
    if not address:
        raise Refused("address_required", "address")
    if len(address) > MAX_ADDRESS:
        raise Refused("address_too_long", "address")
    kinds = args.get("kinds")
    if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
        raise Refused("kinds_required", "kinds")
    minutes = _int(args.get("slot_minutes"), 1, 10**4, "slot_minutes_invalid", "slot_minutes")
    if minutes not in SLOT_MINUTES:
        raise Refused("slot_minutes_invalid", "slot_minutes")
    capacity = _int(args.get("capacity"), 1, MAX_CAPACITY, "capacity_invalid", "capacity")
    horizon = _int(args.get("horizon_days"), 1, MAX_HORIZON, "horizon_invalid", "horizon_days")
    hours = _hours(args.get("hours", []))
    closures = _closures(args.get("closures", []))
    at = when(ctx)
    closed_at = at if args.get("closed") else None
    ordered_kinds = json.dumps([k for k in KINDS if k in kinds])
    ctx.conn.execute(
        "INSERT INTO desks (id, departement, name, address, kinds, slot_minutes, capacity, horizon_days,"
        " created_at, updated_at, updated_by, closed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,"
        " kinds = excluded.kinds, slot_minutes = excluded.slot_minutes, capacity = excluded.capacity,"
        " horizon_days = excluded.horizon_days, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by, closed_at = excluded.closed_at, version = excluded.version",
        (
            desk_id,
            actor.prefecture,
            name,
            address,
            ordered_kinds,
            minutes,
            capacity,
            horizon,
            at,
            at,
            actor.account_id,
            closed_at,
            ctx.version,
        ),
    )
    ctx.conn.execute("DELETE FROM desk_hours WHERE desk_id = ?", (desk_id,))
    ctx.conn.executemany(
        "INSERT INTO desk_hours (desk_id, weekday, opens, closes) VALUES (?, ?, ?, ?)",
        [(desk_id, *h) for h in hours],
    )
    ctx.conn.execute("DELETE FROM desk_closures WHERE desk_id = ?", (desk_id,))
    ctx.conn.executemany(
        "INSERT INTO desk_closures (desk_id, day, reason) VALUES (?, ?, ?)",
        [(desk_id, day, reason) for day, reason in closures],
    )
    return {"desk_id": desk_id}


# -- bookings ------------------------------------------------------------------------------


def _persons_file(ctx: Context[Actor], args: dict[str, Any]) -> File:
    """The file in args, for the person whose file it is (else not_found)."""
    file = files.get(ctx.conn, str(args.get("file_id", "")))
    if file is None or not policy.is_applicant_of(ctx.actor, file.owner_id):
        raise Refused("not_found", "file_id")
    return file


def _desk(ctx: Context[Actor], file: File, args: dict[str, Any]) -> Desk:
    desk = appointments.get_desk(ctx.conn, str(args.get("desk_id", "")))
    if desk is None or desk.closed or desk.departement != file.departement or "card_pickup" not in desk.kinds:
        raise Refused("not_found", "desk_id")
    return desk


def _full(conn: sqlite3.Connection, file: File, code: str) -> Refused:
    """A refusal that says what is free instead (or when slots next open)."""
    free = appointments.slots(conn, file.departement or "", "card_pickup", limit=3)
    data: dict[str, Any] = {
        "next_slots": [{"desk_id": s.desk_id, "starts_at": s.starts_at} for s in free],
    }
    if not free:
        openings = appointments.next_openings(conn, file.departement or "", "card_pickup")
        if openings:
            data["opens_on"] = openings[0].opens_on
    return Refused(code, "starts_at", **data)


def _take_seat(ctx: Context[Actor], file: File, desk: Desk, starts_at: str, appointment_id: str) -> str:
    slot = appointments.slot_at(ctx.conn, desk, starts_at)
    if slot is None:
        raise _full(ctx.conn, file, "slot_unknown")
    taken = {
        r["seat"]
        for r in ctx.conn.execute(
            "SELECT seat FROM appointments WHERE desk_id = ? AND starts_at = ? AND status = 'booked'",
            (desk.id, starts_at),
        )
    }
    seats = [s for s in range(desk.capacity) if s not in taken]
    if not seats:
        raise _full(ctx.conn, file, "slot_full")
    ctx.conn.execute(
        "INSERT INTO appointments (id, file_id, person_id, desk_id, kind, starts_at, ends_at, seat, status,"
        " booked_at, command_id, version) VALUES (?, ?, ?, ?, 'card_pickup', ?, ?, ?, 'booked', ?, ?, ?)",
        (
            appointment_id,
            file.id,
            file.owner_id,
            desk.id,
            slot.starts_at,
            slot.ends_at,
            seats[0],
            when(ctx),
            ctx.command.id,
            ctx.version,
        ),
    )
    return slot.starts_at


def _new_id(ctx: Context[Actor], value: Any, field: str) -> str:
    appointment_id = _uuid(value, field)
    if appointments.get(ctx.conn, appointment_id) is not None:
        raise Refused("exists", field)
    return appointment_id


def book(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`appointment.book`: a card pick-up slot, once the card is ready."""
    file = _persons_file(ctx, args)
    appointment_id = _new_id(ctx, args.get("appointment_id"), "appointment_id")
    card = cards.get(ctx.conn, file.id)
    if card is None or card.status != "ready":
        raise Refused("card_not_ready")
    if appointments.current(ctx.conn, file.id) is not None:
        raise Refused("already_booked")
    desk = _desk(ctx, file, args)
    starts_at = _take_seat(ctx, file, desk, str(args.get("starts_at", "")), appointment_id)
    _touch(ctx, file)
    note(ctx, file, "appointment_booked", appointment=appointment_id, desk=desk.name, starts_at=starts_at)
    return {"appointment_id": appointment_id, "starts_at": starts_at}


def _live(ctx: Context[Actor], args: dict[str, Any]) -> tuple[appointments.Appointment, File]:
    found = appointments.get(ctx.conn, str(args.get("appointment_id", "")))
    if found is None:
        raise Refused("not_found", "appointment_id")
    file = _persons_file(ctx, {"file_id": found.file_id})
    if found.status != "booked":
        raise Refused("not_booked", "appointment_id")
    return found, file


def _end(ctx: Context[Actor], found: appointments.Appointment, status: str) -> None:
    ctx.conn.execute(
        "UPDATE appointments SET status = ?, ended_at = ?, version = ? WHERE id = ?",
        (status, when(ctx), ctx.version, found.id),
    )


def _touch(ctx: Context[Actor], file: File) -> None:
    """The file changed for the person's phone (dashboard, file page)."""
    ctx.conn.execute("UPDATE files SET version = ? WHERE id = ?", (ctx.version, file.id))


def move(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`appointment.move`: another slot; the old one is kept until the new one is taken."""
    found, file = _live(ctx, args)
    new_id = _new_id(ctx, args.get("new_appointment_id"), "new_appointment_id")
    desk = _desk(ctx, file, args)
    _end(ctx, found, "moved")
    starts_at = _take_seat(ctx, file, desk, str(args.get("starts_at", "")), new_id)
    _touch(ctx, file)
    note(
        ctx,
        file,
        "appointment_moved",
        appointment=new_id,
        desk=desk.name,
        starts_at=starts_at,
        was=found.starts_at,
    )
    return {"appointment_id": new_id, "starts_at": starts_at}


def cancel(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`appointment.cancel`: the seat is free again for someone else."""
    found, file = _live(ctx, args)
    _end(ctx, found, "cancelled")
    _touch(ctx, file)
    note(ctx, file, "appointment_cancelled", appointment=found.id, starts_at=found.starts_at)
    return {"appointment_id": found.id}


HANDLERS = {
    "desk.save": save_desk,
    "appointment.book": book,
    "appointment.move": move,
    "appointment.cancel": cancel,
}
