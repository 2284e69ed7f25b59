"""The applicant books, moves and cancels the slot to fetch their card, and
takes it to their phone's calendar (.ics)."""

from __future__ import annotations

import uuid
from itertools import groupby
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.domain import appointments, cards, ics
from server.translation import gettext

from .common import db, form, redirect, run_command, templates
from .files import load_own_file
from .messages import done, message
from .texts import slot_text

SHOWN = 60  # slots listed at once: the soonest, enough to choose a day


def _context(conn: Any, file: Any) -> dict[str, Any]:
    code = file.departement or ""
    current = appointments.current(conn, file.id)
    desks = {d.id: d for d in appointments.desks(conn, code, include_closed=True)}
    free = appointments.slots(conn, code, "card_pickup", limit=SHOWN)
    return {
        "card": cards.get(conn, file.id),
        "appointment": current,
        "desks": desks,
        "days": [(day, list(group)) for day, group in groupby(free, key=lambda s: s.starts_at[:10])],
        "openings": [] if free else appointments.next_openings(conn, code, "card_pickup"),
        "serving": [d for d in desks.values() if not d.closed and "card_pickup" in d.kinds],
    }


async def _page(request: Request, error: str = "", status_code: int = 200) -> Response:
    file = await load_own_file(request)
    data = await db(request).read(_context, file)
    return templates(request).render(
        request,
        "appointments/book.html",
        {
            "file": file,
            **data,
            "error": error,
            "done": done(request.query_params.get("done")),
            "new_appointment_id": str(uuid.uuid4()),
        },
        status_code=status_code,
    )


async def page(request: Request) -> Response:
    return await _page(request)


def refusal_detail(data: dict[str, Any]) -> str:
    """What a refused booking offers instead: the next free slots, or when new ones open."""
    shown = [slot_text(s.get("starts_at", "")) for s in data.get("next_slots") or []]
    if shown:
        return gettext("Prochains créneaux libres : %(slots)s.") % {"slots": ", ".join(shown)}
    if data.get("opens_on"):
        day = "/".join(reversed(str(data["opens_on"]).split("-")))
        return gettext("Aucun créneau libre pour l’instant ; les suivants ouvrent le %(date)s.") % {
            "date": day
        }
    if "next_slots" in data:
        return gettext(
            "Aucun créneau libre pour l’instant : de nouveaux créneaux apparaîtront ici dès que la préfecture"
            " les publiera."
        )
    return ""


async def book(request: Request) -> Response:
    """Book a slot, or move the booking there (the form says which)."""
    file = await load_own_file(request)
    values = await form(request)
    desk_id, _, starts_at = values.get("slot", "").partition("|")
    if not desk_id:
        return await _page(request, gettext("Choisissez un créneau dans la liste."), 400)
    if values.get("appointment_id_current"):
        op, args = (
            "appointment.move",
            {
                "appointment_id": values["appointment_id_current"],
                "new_appointment_id": values.get("appointment_id", ""),
                "desk_id": desk_id,
                "starts_at": starts_at,
            },
        )
    else:
        op, args = (
            "appointment.book",
            {
                "appointment_id": values.get("appointment_id", ""),
                "file_id": file.id,
                "desk_id": desk_id,
                "starts_at": starts_at,
            },
        )
    result = await run_command(request, op, args, values.get("command_id"))
    if not result.applied:
        text = " ".join(t for t in (message(result.code), refusal_detail(result.data)) if t)
        return await _page(request, text, 409 if result.code == "slot_full" else 400)
    kind = "appointment_moved" if op == "appointment.move" else "appointment_booked"
    return redirect(f"/files/{file.id}/appointment?done={kind}")


async def cancel(request: Request) -> Response:
    file = await load_own_file(request)
    values = await form(request)
    result = await run_command(
        request,
        "appointment.cancel",
        {"appointment_id": values.get("appointment_id", "")},
        values.get("command_id"),
    )
    if not result.applied:
        return await _page(request, message(result.code), 400)
    return redirect(f"/files/{file.id}/appointment?done=appointment_cancelled")


async def calendar(request: Request) -> Response:
    """The booking as an .ics file; 404 when nothing is booked."""
    file = await load_own_file(request)

    def load(conn: Any) -> tuple[Any, Any]:
        found = appointments.current(conn, file.id)
        return found, appointments.get_desk(conn, found.desk_id) if found else None

    found, desk = await db(request).read(load)
    if found is None or desk is None:
        return await _page(request, gettext("Aucun rendez-vous n’est réservé pour ce dossier."), 404)
    body = ics.event(
        uid=found.id,
        starts_at=found.starts_at,
        ends_at=found.ends_at,
        summary=gettext("Retrait de votre titre de séjour — %(desk)s") % {"desk": desk.name},
        location=desk.address.replace("\n", ", "),
        description=gettext("Dossier n° %(number)s. Apportez votre pièce d’identité et ce numéro.")
        % {"number": file.number},
        host=request.url.hostname or "sesame",
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="rendez-vous-{file.number}.ics"',
            "cache-control": "private, no-store",
        },
    )
