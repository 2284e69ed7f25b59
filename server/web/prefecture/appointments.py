"""A prefecture's counters and their hours (administrators), the day's bookings,
and the card's two steps on a granted file (agents)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.domain import appointments
from server.domain.appointments import KINDS, SLOT_MINUTES, Desk
from server.translation import N_, gettext
from server.web.common import actor, db, not_found, redirect, run_command

from . import review
from .common import render, reviewed_file
from .words import done, message

WEEKDAY_NAMES = (
    N_("Lundi"),
    N_("Mardi"),
    N_("Mercredi"),
    N_("Jeudi"),
    N_("Vendredi"),
    N_("Samedi"),
    N_("Dimanche"),
)
KIND_NAMES = {
    "card_pickup": N_("Retrait des cartes"),
    "help_desk": N_("Accueil et aide aux démarches"),
    "substitution": N_("Dépôt de dossier au guichet (solution de substitution)"),
}
RANGES = 2  # opening ranges per weekday on the form (morning, afternoon)


def kind_name(kind: str) -> str:
    return gettext(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def weekday_name(weekday: int) -> str:
    return gettext(WEEKDAY_NAMES[weekday])


# -- the card -----------------------------------------------------------------------------------


async def _card(request: Request, op: str, done_code: str) -> Response:
    file = await reviewed_file(request)
    values = await request.form()
    cid = values.get("command_id")
    result = await run_command(request, op, {"file_id": file.id}, cid if isinstance(cid, str) else None)
    if not result.applied:
        return await review.page(request, errors={"form": message(result.code)}, status_code=400)
    return redirect(f"/prefecture/files/{file.id}?done={done_code}")


async def card_ready(request: Request) -> Response:
    return await _card(request, "card.ready", "card_ready")


async def card_handed_over(request: Request) -> Response:
    return await _card(request, "card.handed_over", "card_handed_over")


# -- counters ------------------------------------------------------------------------------------


def _form_values(desk: Desk | None) -> dict[str, Any]:
    """The form's fields from a counter (or the defaults of a new one)."""
    hours: dict[str, str] = {}
    if desk:
        seen: dict[int, int] = {}
        for h in desk.hours:
            i = seen.get(h.weekday, 0)
            seen[h.weekday] = i + 1
            if i < RANGES:
                hours[f"opens_{h.weekday}_{i}"], hours[f"closes_{h.weekday}_{i}"] = h.opens, h.closes
    return {
        "name": desk.name if desk else "",
        "address": desk.address if desk else "",
        "kinds": list(desk.kinds) if desk else ["card_pickup"],
        "slot_minutes": str(desk.slot_minutes if desk else 15),
        "capacity": str(desk.capacity if desk else 1),
        "horizon_days": str(desk.horizon_days if desk else 30),
        "closures": "\n".join(f"{d} {r}".strip() for d, r in desk.closures) if desk else "",
        "closed": bool(desk and desk.closed),
        **hours,
    }


async def _desk_page(
    request: Request,
    desk_id: str,
    desk: Desk | None,
    values: dict[str, Any] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "prefecture/appointments_desk.html",
        {
            "desk_id": desk_id,
            "desk": desk,
            "v": values or _form_values(desk),
            "error": error,
            "kinds": KINDS,
            "kind_name": kind_name,
            "weekdays": [(n, weekday_name(n)) for n in range(7)],
            "ranges": range(RANGES),
            "slot_minutes": SLOT_MINUTES,
        },
        status_code=status_code,
    )


async def page(request: Request) -> Response:
    """The prefecture's counters and one day's bookings."""
    who = actor(request)
    code = who.prefecture or ""
    try:
        day = date.fromisoformat(request.query_params.get("day", "")).isoformat()
    except ValueError:
        day = appointments.now_local().date().isoformat()

    def load(conn: Any) -> dict[str, Any]:
        return {
            "desks": appointments.desks(conn, code, include_closed=True),
            "bookings": appointments.day_list(conn, code, day),
        }

    data = await db(request).read(load) if code else {"desks": [], "bookings": []}
    return render(
        request,
        "prefecture/appointments.html",
        {
            **data,
            "day": day,
            "new_desk_id": str(uuid.uuid4()),
            "kind_name": kind_name,
            "weekday_name": weekday_name,
            "done": done(request.query_params.get("done")),
        },
    )


async def _own_desk(request: Request) -> tuple[str, Desk | None]:
    try:
        desk_id = str(uuid.UUID(request.path_params["desk_id"]))
    except ValueError:
        raise not_found() from None
    desk = await db(request).read(appointments.get_desk, desk_id)
    if desk is not None and desk.departement != actor(request).prefecture:
        raise not_found()
    return desk_id, desk


async def desk_page(request: Request) -> Response:
    desk_id, desk = await _own_desk(request)
    if desk is None:
        raise not_found()
    return await _desk_page(request, desk_id, desk)


def _parse(raw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form as the command's arguments, and as values to show again."""
    values: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str)}
    values["kinds"] = [k for k in raw.getlist("kinds") if isinstance(k, str)]
    values["closed"] = bool(raw.get("closed"))
    hours = []
    for weekday in range(7):
        for i in range(RANGES):
            opens = str(values.get(f"opens_{weekday}_{i}", "")).strip()
            closes = str(values.get(f"closes_{weekday}_{i}", "")).strip()
            if opens or closes:
                hours.append({"weekday": weekday, "opens": opens, "closes": closes})
    closures = []
    for line in str(values.get("closures", "")).splitlines():
        day, _, reason = line.strip().partition(" ")
        if day:
            closures.append({"day": day, "reason": reason.strip()})
    args = {
        "name": values.get("name", ""),
        "address": values.get("address", ""),
        "kinds": values["kinds"],
        "slot_minutes": values.get("slot_minutes", ""),
        "capacity": values.get("capacity", ""),
        "horizon_days": values.get("horizon_days", ""),
        "hours": hours,
        "closures": closures,
        "closed": values["closed"],
    }
    return args, values


async def save_desk(request: Request) -> Response:
    desk_id, desk = await _own_desk(request)
    raw = await request.form()
    args, values = _parse(raw)
    cid = raw.get("command_id")
    result = await run_command(
        request, "desk.save", {"desk_id": desk_id, **args}, cid if isinstance(cid, str) else None
    )
    if not result.applied:
        return await _desk_page(request, desk_id, desk, values, message(result.code), 400)
    return redirect("/prefecture/appointments?done=desk_saved")


async def new_desk_page(request: Request) -> Response:
    """An empty counter form; its id is made here so a double submit saves once."""
    desk_id, desk = await _own_desk(request)
    if desk is not None:
        return redirect(f"/prefecture/appointments/{desk_id}")
    return await _desk_page(request, desk_id, None)
