"""The person's mandates (docs/adr/0020): every mandate they gave, giving one
to an approved organisation (found by the short code the worker shows, or by
name), and withdrawing one — at once.

Only the person themself: a worker acting for them never sees nor changes
these pages (they answer "not found"), and the commands refuse them too."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.domain import files, mandates, organisations

from .common import actor, db, form, not_found, redirect, run_command, templates
from .messages import message

QUERY_MAX = 80


def _person(request: Request) -> str:
    who = actor(request)
    if who.role != "applicant" or who.acting_for is not None or who.account_id is None:
        raise not_found()
    return who.account_id


def _found(conn: sqlite3.Connection, query: str) -> list[organisations.Organisation]:
    """By code first (what the worker shows), else by name."""
    by_code = organisations.by_code(conn, query) if query else None
    if by_code is not None and by_code.approved:
        return [by_code]
    return organisations.search(conn, query)


async def _grant_page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    person = _person(request)
    query = values.get("q", "")[:QUERY_MAX].strip()

    def load(conn: sqlite3.Connection) -> dict[str, Any]:
        found = _found(conn, query)
        chosen = organisations.get(conn, values.get("organisation_id", "")) if not found else None
        # Sent without the search (a form kept from before): the chosen one again.
        return {
            "found": [chosen] if chosen and chosen.approved else found,
            "files": files.owned_by(conn, person),
            "query": query or (chosen.code if chosen else ""),
        }

    data = await db(request).read(load)
    default_end = (clock.now() + timedelta(days=mandates.DEFAULT_DAYS)).date().isoformat()
    return templates(request).render(
        request,
        "account/mandate_new.html",
        {
            **data,
            "values": {"expires_at": default_end, "scope": "all", "can_act": "1", **values},
            "errors": errors or {},
        },
        status_code=status_code,
    )


async def grant_page(request: Request) -> Response:
    return await _grant_page(request, {"q": request.query_params.get("q", "")})


async def grant(request: Request) -> Response:
    _person(request)
    values = await form(request)
    scope = values.get("scope", "all")
    args: dict[str, Any] = {
        "organisation_id": values.get("organisation_id", ""),
        "file_id": None if scope == "all" else scope,
        "can_act": values.get("can_act") == "1",
        "expires_at": values.get("expires_at", ""),
    }
    if not args["organisation_id"]:
        errors = {"organisation_id": message("organisation_unknown")}
        return await _grant_page(request, values, errors, 400)
    result = await run_command(request, "mandate.grant", args, values.get("command_id"))
    if not result.applied:
        field = {"organisation": "organisation_id", "file_id": "scope"}.get(result.field or "", result.field)
        return await _grant_page(request, values, {field or "form": message(result.code)}, 400)
    return redirect("/account?done=mandate_granted#mandates")


async def revoke(request: Request) -> Response:
    _person(request)
    values = await form(request)
    args = {"mandate_id": request.path_params["mandate_id"]}
    result = await run_command(request, "mandate.revoke", args, values.get("command_id"))
    if not result.applied:
        raise not_found()
    return redirect("/account?done=mandate_revoked#mandates")
