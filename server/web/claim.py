"""A person claims the account an agent kept for them (a paper file): the
printed one-time code, then a new passkey, as at sign-up; they then find the
whole history of their file. The ceremony is `server/auth/claims.py`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.auth import claims
from server.domain import mandates, organisations
from server.translation import N_

from .auth_pages import _signed_in_response, codes_page
from .code_pages import CodePages
from .common import db

PAGES = CodePages(
    template="claim/claim.html",
    limited_as="claim",
    target=claims.target,
    begin_flow=claims.begin_claim,
    finish_flow=claims.finish_claim,
    action="/claim/finish",
    title=N_("Créez votre clé d’accès"),
)
page = PAGES.page
begin = PAGES.begin


async def finish_claim(request: Request) -> Response:
    return await PAGES.finish(request, _claimed)


async def _claimed(request: Request, outcome: Any) -> Response:
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
