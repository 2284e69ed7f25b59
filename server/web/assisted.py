"""A person registers a new passkey with the enrolment code an outreach worker
printed for them after checking their identity (`server/auth/assisted.py`).
The code is typed, or comes in the address the printed QR code holds."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.auth import assisted
from server.translation import N_

from .auth_pages import _signed_in_response
from .code_pages import CodePages
from .common import redirect

PAGES = CodePages(
    template="auth/assisted.html",
    limited_as="assisted",
    target=assisted.target,
    begin_flow=assisted.begin,
    finish_flow=assisted.finish,
    action="/recover/assisted/finish",
    title=N_("Créez une clé d’accès sur ce téléphone"),
)
page = PAGES.page
begin = PAGES.begin


async def finish_enrolment(request: Request) -> Response:
    return await PAGES.finish(request, _enrolled)


async def _enrolled(request: Request, outcome: Any) -> Response:
    return _signed_in_response(request, outcome, redirect("/account?done=assisted_recovered"))
