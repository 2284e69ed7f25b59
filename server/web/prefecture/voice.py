"""What people said of the service, anonymised (no name, no file, no report:
the month, the prefecture and the kind of moment only), for its administrators."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.domain import voice

from ..common import actor, db
from .common import render


async def page(request: Request) -> Response:
    who = actor(request)

    def load(conn: Any) -> dict[str, Any]:
        if who.prefecture is None:
            return {"counts": {}, "opinions": []}
        return {"counts": voice.counts(conn, who.prefecture), "opinions": voice.recent(conn, who.prefecture)}

    return render(
        request, "prefecture/voice.html", {**await db(request).read(load), "contexts": voice.CONTEXTS}
    )
