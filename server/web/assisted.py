"""A person registers a new passkey with the enrolment code an outreach worker
printed for them after checking their identity (`server/auth/assisted.py`).
The code is typed, or comes in the address the printed QR code holds."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.auth import assisted, flows
from server.translation import gettext

from .auth_pages import _signed_in_response, finish, passkey_step, write_step
from .common import db, form, limit, redirect, settings, templates
from .messages import message


def _form(request: Request, code: str = "", error: str = "", status_code: int = 200) -> Response:
    return templates(request).render(
        request,
        "auth/assisted.html",
        {"code": code, "errors": {"code": error} if error else {}},
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


async def _limit(request: Request, code: str, flow_id: str = "") -> None:
    target = await db(request).read(assisted.target, settings(request), code, flow_id, clock.now())
    limit(request, "assisted", account=target)


async def page(request: Request) -> Response:
    return _form(request, request.query_params.get("code", "")[:40])


async def begin(request: Request) -> Response:
    values = await form(request)
    code = values.get("code", "").strip()[:40]
    await _limit(request, code)
    outcome = await write_step(request, assisted.begin, code=code)
    if isinstance(outcome, flows.FlowError):
        return _form(request, code, message(outcome.code), 400)
    return passkey_step(
        request,
        outcome,
        mode="create",
        action="/recover/assisted/finish",
        title=gettext("Créez une clé d’accès sur ce téléphone"),
        intro=gettext(
            "Le code est bon. Créez maintenant votre clé d’accès : votre téléphone vous demandera votre"
            " empreinte, votre visage ou le code de l’écran. Le code ne servira qu’une fois la clé créée."
        ),
        button=gettext("Créer ma clé d’accès"),
        hidden={"code": code},
    )


async def finish_enrolment(request: Request) -> Response:
    values = await form(request)
    code = values.get("code", "")[:40]
    await _limit(request, code, values.get("flow", "") or "-")
    outcome = await finish(request, assisted.finish, values)
    if isinstance(outcome, flows.FlowError):
        return _form(request, code, message(outcome.code), 400)
    return _signed_in_response(request, outcome, redirect("/account?done=assisted_recovered"))
