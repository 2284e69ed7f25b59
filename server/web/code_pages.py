"""The two pages a printed one-time code leads to: type the code (or follow the
address its QR code holds), then create a passkey on this phone. A claim (a paper
file's hand-off, `claim.py`) and an assisted recovery (`assisted.py`) differ only in
the ceremony behind them, the template, the rate limit and what follows the
passkey; each keeps its own finish step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.auth import flows
from server.translation import gettext

from .auth_pages import finish, passkey_step, write_step
from .common import db, form, limit, settings, templates
from .messages import message

CODE_LENGTH = 40


@dataclass(frozen=True)
class CodePages:
    template: str
    limited_as: str
    # (conn, settings, code, flow_id, now) → the account the code is for, to rate-limit per account
    target: Callable[..., Any]
    begin_flow: Callable[..., Any]
    finish_flow: Callable[..., Any]
    action: str
    title: str  # a msgid (N_), translated when the page is made

    def form(self, request: Request, code: str = "", error: str = "", status_code: int = 200) -> Response:
        return templates(request).render(
            request,
            self.template,
            {"code": code, "errors": {"code": error} if error else {}},
            status_code=status_code,
            headers={"cache-control": "no-store"},
        )

    async def limit(self, request: Request, code: str, flow_id: str = "") -> None:
        target = await db(request).read(self.target, settings(request), code, flow_id, clock.now())
        limit(request, self.limited_as, account=target)

    async def page(self, request: Request) -> Response:
        return self.form(request, request.query_params.get("code", "")[:CODE_LENGTH])

    async def begin(self, request: Request) -> Response:
        values = await form(request)
        code = values.get("code", "").strip()[:CODE_LENGTH]
        await self.limit(request, code)
        outcome = await write_step(request, self.begin_flow, code=code)
        if isinstance(outcome, flows.FlowError):
            return self.form(request, code, message(outcome.code), 400)
        return passkey_step(
            request,
            outcome,
            mode="create",
            action=self.action,
            title=gettext(self.title),
            intro=gettext(
                "Le code est bon. Créez maintenant votre clé d’accès : votre téléphone vous demandera votre"
                " empreinte, votre visage ou le code de l’écran. Le code ne servira qu’une fois la clé créée."
            ),
            button=gettext("Créer ma clé d’accès"),
            hidden={"code": code},
        )

    async def finish(self, request: Request, then: Callable[[Request, Any], Awaitable[Response]]) -> Response:
        """The passkey made: the ceremony's finish, then `then` with its outcome."""
        values = await form(request)
        code = values.get("code", "")[:CODE_LENGTH]
        await self.limit(request, code, values.get("flow", "") or "-")
        outcome = await finish(request, self.finish_flow, values)
        if isinstance(outcome, flows.FlowError):
            return self.form(request, code, message(outcome.code), 400)
        return await then(request, outcome)
