"""Static files from `pwa/`, served as they are. A URL with `?v=<hash>` (made by
`templating.static`) never changes content, so it may be cached for a year."""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from server.templating import STATIC


class StaticAssets(StaticFiles):
    def __init__(self) -> None:
        super().__init__(directory=STATIC)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            query = scope.get("query_string", b"")
            if query.startswith(b"v="):
                response.headers["cache-control"] = "public, max-age=31536000, immutable"
            else:
                response.headers["cache-control"] = "public, max-age=0, must-revalidate"
        return response
