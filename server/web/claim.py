"""A person claims the account an agent kept for them (a paper file): the
printed one-time code, then a new passkey, as at sign-up; they then find the
whole history of their file. The ceremony is `server/auth/claims.py`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.auth import claims, flows
from server.domain import mandates, organisations
from server.translation import gettext

from .auth_pages import _signed_in_response, codes_page, finish, passkey_step, write_step
from .common import db, form, limit, settings, templates
from .messages import message


def _form(request: Request, code: str = "", error: str = "", status_code: int = 200) -> Response:
    return templates(request).render(
        request,
        "claim/claim.html",
        {"code": code, "errors": {"code": error} if error else {}},
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


async def _limit(request: Request, code: str, flow_id: str = "") -> None:
    target = await db(request).read(claims.target, settings(request), code, flow_id, clock.now())
    limit(request, "claim", account=target)


async def page(request: Request) -> Response:
    return _form(request, request.query_params.get("code", "")[:40])


async def begin(request: Request) -> Response:
    values = await form(request)
    code = values.get("code", "").strip()[:40]
    await _limit(request, code)
    outcome = await write_step(request, claims.begin_claim, code=code)
    if isinstance(outcome, flows.FlowError):
        return _form(request, code, message(outcome.code), 400)
    return passkey_step(
        request,
        outcome,
        mode="create",
        action="/claim/finish",
        title=gettext("Créez votre clé d’accès"),
        intro=gettext(
            "Le code est bon. Créez maintenant votre clé d’accès : votre téléphone vous demandera votre"
            " empreinte, votre visage ou le code de l’écran. Le code ne servira qu’une fois la clé créée."
        ),
        button=gettext("Créer ma clé d’accès"),
        hidden={"code": code},
    )


async def finish_claim(request: Request) -> Response:
    values = await form(request)
    code = values.get("code", "")[:40]
    await _limit(request, code, values.get("flow", "") or "-")
    outcome = await finish(request, claims.finish_claim, values)
    if isinstance(outcome, flows.FlowError):
        return _form(request, code, message(outcome.code), 400)
    kept = await db(request).read(_mandates_kept, outcome.account.id)
    page = codes_page(request, outcome.account, outcome.recovery_codes, first_time=True, organisations=kept)
    return _signed_in_response(request, outcome, page)


def _mandates_kept(conn: Any, person_id: str) -> list[str]:
    """The organisations whose live mandate goes on after a hand-off: the page
    says so, with the way to revoke them (the person decides, not the claim)."""
    now = clock.now()
    names = []
    for mandate in mandates.for_person(conn, person_id):
        found = organisations.get(conn, mandate.organisation_id) if mandate.active(now) else None
        if found is not None and found.name not in names:
            names.append(found.name)
    return names
