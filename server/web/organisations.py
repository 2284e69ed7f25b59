"""Organisations (docs/adr/0020): the public request to register one, its
approval by an administrator (with its administrator's enrolment link), and
the organisation administrator's page: its workers, inviting and removing them.

Enrolment links are shown once, never stored in clear nor put in the command
log (as for prefecture staff, `admin.py`)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock, commands
from server.auth import invitations, policy
from server.domain import geography, organisations
from sync.protocol import Command, Result

from .admin import invitation_link
from .common import actor, command_id, db, form, limit, not_found, redirect, run_command, settings, templates
from .messages import done, message

REQUEST_FIELDS = ("name", "kind", "departement", "contact_name", "contact_email", "contact_phone")
NO_STORE = {"cache-control": "no-store"}


# -- the public request ------------------------------------------------------------------


def _request_form(
    request: Request, values: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    return templates(request).render(
        request,
        "organisations/request.html",
        {
            "values": values,
            "errors": errors or {},
            "departements": geography.departements(),
            "kinds": organisations.KINDS,
        },
        status_code=status_code,
    )


async def request_page(request: Request) -> Response:
    values = {name: "" for name in REQUEST_FIELDS}
    return _request_form(request, {**values, "kind": "association", "cid": str(uuid.uuid4())})


async def request_send(request: Request) -> Response:
    limit(request, "organisation")
    values = await form(request)
    args = {name: values.get(name, "") for name in REQUEST_FIELDS}
    cid = command_id(values.get("cid"))
    # The request's id is the command's: a double submit records one request.
    result = await run_command(request, "organisation.request", {**args, "organisation_id": cid}, cid)
    if not result.applied:
        errors = {result.field or "form": message(result.code)}
        # A refusal is final for its id: the corrected form is a new request.
        return _request_form(request, {**args, "cid": str(uuid.uuid4())}, errors, 400)
    found = await db(request).read(organisations.get, cid)
    assert found is not None
    departement = geography.get(found.departement)
    return templates(request).render(
        request, "organisations/requested.html", {"organisation": found, "departement": departement}
    )


# -- approval (administrators) -----------------------------------------------------------


async def _approvals(
    request: Request, *, link: str = "", linked: str = "", notice: str = "", status_code: int = 200
) -> Response:
    who = actor(request)
    listed = await db(request).read(organisations.listed, who.prefecture)
    return templates(request).render(
        request,
        "organisations/approvals.html",
        {
            "organisations": listed,
            "departements": geography.departements(),
            "link": link,
            "linked": linked,
            "notice": notice,
        },
        status_code=status_code,
        headers=NO_STORE,
    )


async def approvals(request: Request) -> Response:
    return await _approvals(request)


def _command(request: Request, op: str, args: dict[str, Any], cid: str | None) -> Command:
    who = actor(request)
    return Command(
        id=command_id(cid), client=f"web:{(who.session_id or '')[:12]}", seq=0, op=op, args=args, at=""
    )


async def approve(request: Request) -> Response:
    """Approve (or, approved already, a new link for its administrator): the
    organisation's administrator's one-time enrolment link, shown once."""
    limit(request, "organisation_invite")
    who = actor(request)
    values = await form(request)
    organisation_id = request.path_params["organisation_id"]
    command = _command(request, "organisation.approve", {"organisation_id": organisation_id}, values.get("cid"))
    lifetime = settings(request).invitation_seconds

    def run(conn: sqlite3.Connection) -> tuple[Result, str]:
        result = commands.apply(conn, command, who)
        found = organisations.get(conn, organisation_id)
        if not result.applied or found is None:
            return result, ""
        token = invitations.create(
            conn,
            role="worker",
            prefecture=None,
            name=found.contact_name,
            created_by=who.account_id or "",
            lifetime=lifetime,
            now=clock.now(),
            organisation=found.id,
            organisation_admin=True,
        )
        return result, token

    result, token = await db(request).write(run)
    if not result.applied:
        raise not_found()
    return await _approvals(request, link=invitation_link(request, token), linked=organisation_id)


async def suspend(request: Request) -> Response:
    values = await form(request)
    organisation_id = request.path_params["organisation_id"]
    result = await run_command(request, "organisation.suspend", {"organisation_id": organisation_id}, values.get("cid"))
    if not result.applied:
        raise not_found()
    return await _approvals(request, notice=done("organisation_suspended"))


# -- the organisation's administrator ----------------------------------------------------


async def _manage(
    request: Request, *, link: str = "", errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    who = actor(request)
    if not policy.may_manage_organisation(who, who.organisation):
        raise not_found()

    def load(conn: sqlite3.Connection) -> dict[str, Any]:
        found = organisations.get(conn, who.organisation or "")
        return {
            "organisation": found,
            "workers": organisations.workers(conn, found.id) if found else [],
            "pending": invitations.for_organisation(conn, found.id, clock.now()) if found else [],
        }

    data = await db(request).read(load)
    if data["organisation"] is None:
        raise not_found()
    return templates(request).render(
        request,
        "organisations/manage.html",
        {
            **data,
            "link": link,
            "errors": errors or {},
            "notice": done(request.query_params.get("done")),
            "me": who.account_id,
        },
        status_code=status_code,
        headers=NO_STORE,
    )


async def manage(request: Request) -> Response:
    return await _manage(request)


async def invite_worker(request: Request) -> Response:
    limit(request, "organisation_invite")
    who = actor(request)
    if not policy.may_manage_organisation(who, who.organisation):
        raise not_found()
    values = await form(request)
    name = " ".join(values.get("name", "").split())[:80]
    if not name:
        return await _manage(request, errors={"name": message("name_required")}, status_code=400)
    lifetime = settings(request).invitation_seconds

    def run(conn: sqlite3.Connection) -> str:
        found = organisations.get(conn, who.organisation or "")
        if found is None or not found.approved:
            return ""
        return invitations.create(
            conn,
            role="worker",
            prefecture=None,
            name=name,
            created_by=who.account_id or "",
            lifetime=lifetime,
            now=clock.now(),
            organisation=found.id,
        )

    token = await db(request).write(run)
    if not token:
        return await _manage(request, errors={"form": message("organisation_suspended")}, status_code=403)
    return await _manage(request, link=invitation_link(request, token))


async def remove_worker(request: Request) -> Response:
    values = await form(request)
    args = {"account_id": request.path_params["account_id"]}
    result = await run_command(request, "worker.remove", args, values.get("cid"))
    if not result.applied:
        if result.code == "not_found":
            raise not_found()
        return await _manage(request, errors={"form": message(result.code)}, status_code=403)
    return redirect("/organisation?done=worker_removed")
