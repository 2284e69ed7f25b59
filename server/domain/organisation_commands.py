"""Commands on organisations: asking to register one, approving or
suspending it, removing a worker (docs/adr/0020).

The enrolment links themselves are not commands: a link is a secret and must
not sit in the command log (as for prefecture staff, `server/web/admin.py`).

Refusal codes (field in brackets): organisation_name_required,
organisation_name_too_long [name]; organisation_kind_unknown [kind];
prefecture_unknown [departement]; contact_required [contact_name];
contact_means_required [contact_email]; email_format [contact_email];
phone_format [contact_phone]; not_found [organisation_id, account_id];
forbidden.
"""

from __future__ import annotations

import uuid
from typing import Any

from server import clock
from server.auth import events, policy, sessions
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

from . import accounts, geography, organisations


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise Refused("organisation_name_required", "name")
    if len(name) > organisations.NAME_MAX:
        raise Refused("organisation_name_too_long", "name")
    return name


def request(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`organisation.request` {organisation_id, name, kind, departement,
    contact_name, contact_email?, contact_phone?}: anyone may ask (the form is
    public); nothing is open until an administrator approves."""
    try:
        organisation_id = str(uuid.UUID(text(args, "organisation_id")))
    except ValueError:
        raise Refused("invalid", "organisation_id") from None
    if organisations.get(ctx.conn, organisation_id) is not None:
        raise Refused("exists", "organisation_id")
    name = _name(text(args, "name"))
    kind = text(args, "kind")
    if kind not in organisations.KINDS:
        raise Refused("organisation_kind_unknown", "kind")
    departement = text(args, "departement")
    if geography.get(departement) is None:
        raise Refused("prefecture_unknown", "departement")
    contact = " ".join(text(args, "contact_name").split())
    if not contact:
        raise Refused("contact_required", "contact_name")
    if len(contact) > accounts.NAME_MAX:
        raise Refused("name_too_long", "contact_name")
    try:
        email = accounts.clean_email(text(args, "contact_email"))
    except Refused as refused:
        raise Refused(refused.code, "contact_email") from None
    try:
        phone = accounts.clean_phone(text(args, "contact_phone"))
    except Refused as refused:
        raise Refused(refused.code, "contact_phone") from None
    if not email and not phone:
        raise Refused("contact_means_required", "contact_email")
    found = organisations.create(
        ctx.conn,
        organisation_id=organisation_id,
        name=name,
        kind=kind,
        departement=departement,
        contact_name=contact,
        contact_email=email,
        contact_phone=phone,
        version=ctx.version,
        now=clock.now(),
    )
    return {"organisation_id": found.id, "status": found.status}


def _decide(status: str) -> Any:
    def handler(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
        found = organisations.get(ctx.conn, text(args, "organisation_id"))
        if found is None or not policy.may_approve_organisation(ctx.actor, found.departement):
            raise Refused("not_found", "organisation_id")
        if found.status != status:
            organisations.set_status(ctx.conn, found.id, status, ctx.actor.key, ctx.version, clock.now())
        return {"organisation_id": found.id, "status": status}

    return handler


def remove_worker(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`worker.remove` {account_id}: an organisation's administrator removes a
    worker: they leave the organisation and every session of theirs ends at
    once (their devices can no longer pull anyone)."""
    actor = ctx.actor
    if not policy.may_manage_organisation(actor, actor.organisation) or actor.acting_for is not None:
        raise Refused("forbidden")
    account = accounts.get(ctx.conn, text(args, "account_id"))
    if account is None or account.role != "worker" or account.organisation != actor.organisation:
        raise Refused("not_found", "account_id")
    if account.id == actor.account_id:
        raise Refused("forbidden")
    now = clock.now()
    ctx.conn.execute(
        "UPDATE accounts SET organisation = NULL, organisation_admin = 0, version = ? WHERE id = ?",
        (ctx.version, account.id),
    )
    sessions.revoke_others(ctx.conn, account.id, "", now)
    events.record(
        ctx.conn, "worker_removed", account_id=account.id, now=now, by=actor.account_id, organisation=actor.organisation
    )
    return {"account_id": account.id}


HANDLERS = {
    "organisation.request": request,
    "organisation.approve": _decide("approved"),
    "organisation.suspend": _decide("suspended"),
    "worker.remove": remove_worker,
}
