"""Service figures as pages read them: computed at most once a minute per
prefecture (and for the country) by this process, so a page that many people
open costs one computation a minute, not one per reader. Figures over 90 days
do not change meaningfully within a minute; each page says when they were computed."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from server.domain import figures

from .common import db

TTL_SECONDS = 60.0


def _cache(request: Request) -> dict[str | None, tuple[float, figures.Figures]]:
    """Kept on the app (one per app, so tests with their own database never share it)."""
    state: Any = request.app.state
    if not hasattr(state, "figures_cache"):
        state.figures_cache = {}
    return state.figures_cache  # type: ignore[no-any-return]


async def current(request: Request, code: str | None) -> figures.Figures:
    """The figures of a prefecture (None: the country), at most a minute old."""
    cache = _cache(request)
    found = cache.get(code)
    if found and time.monotonic() - found[0] < TTL_SECONDS:
        return found[1]
    fresh = await db(request).read(figures.compute, code)
    cache[code] = (time.monotonic(), fresh)
    return fresh
