"""Prefecture administration: inviting agents and administrators."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.auth import invitations, policy
from server.domain import geography

from .common import actor, db, form, limit, settings, templates
from .messages import message


def invitation_link(request: Request, token: str) -> str:
    return f"{settings(request).origin}/enrol/{token}"


async def _page(
    request: Request,
    *,
    link: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    who = actor(request)
    pending = await db(request).read(invitations.pending, clock.now(), who.prefecture)
    return templates(request).render(
        request,
        "admin/invitations.html",
        {
            "pending": pending,
            "departements": geography.departements(),
            "fixed_prefecture": who.prefecture,
            "link": link,
            "values": values or {"role": "agent", "prefecture": who.prefecture or "", "name": ""},
            "errors": errors or {},
        },
        status_code=status_code,
        headers={"cache-control": "no-store"} if link else None,
    )


async def page(request: Request) -> Response:
    return await _page(request)


async def invite(request: Request) -> Response:
    limit(request, "enrol")
    who = actor(request)
    values = await form(request)
    role = values.get("role", "")
    prefecture = who.prefecture or values.get("prefecture", "")
    name = " ".join(values.get("name", "").split())[:80] or None
    kept = {"role": role, "prefecture": prefecture, "name": name or ""}
    if role not in invitations.STAFF_ROLES:
        return await _page(request, values=kept, errors={"role": message("role_unknown")}, status_code=400)
    if geography.get(prefecture) is None:
        return await _page(
            request, values=kept, errors={"prefecture": message("prefecture_unknown")}, status_code=400
        )
    if not policy.may_invite(who, prefecture):
        return await _page(request, values=kept, errors={"form": message("forbidden")}, status_code=403)

    def create(conn: Any) -> str:
        return invitations.create(
            conn,
            role=role,
            prefecture=prefecture,
            name=name,
            created_by=who.account_id or "",
            lifetime=settings(request).invitation_seconds,
            now=clock.now(),
        )

    token = await db(request).write(create)
    return await _page(request, link=invitation_link(request, token))
