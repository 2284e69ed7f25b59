"""The prefecture's service figures for its staff: exact counts (the public page
hides small ones)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.domain import figures
from server.web import figures as service_figures
from server.web.common import actor

from .common import render


async def page(request: Request) -> Response:
    code = actor(request).prefecture
    found = await service_figures.current(request, code) if code else None
    return render(request, "prefecture/figures.html", {"f": found, "limit": figures.SMALL})
