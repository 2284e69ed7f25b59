"""Route guards: every route names the permission it needs (see routes.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.auth import policy

from .common import redirect

Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(endpoint: Endpoint, permission: str, api: bool = False) -> Endpoint:
    """Check `permission` before `endpoint`. Pages redirect to sign-in; API
    routes (sync, uploads) answer 401/403 in JSON, which the outbox understands."""
    if permission not in policy.PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    @wraps(endpoint)
    async def check(request: Request) -> Response:
        actor: policy.Actor = request.state.actor
        if not policy.allowed(actor, permission):
            if api:
                status = 403 if actor.signed_in else 401
                error = "forbidden" if actor.signed_in else "signed_out"
                return JSONResponse(
                    {"error": error}, status_code=status, headers={"cache-control": "no-store"}
                )
            if permission == "anonymous":
                return redirect("/dashboard")
            if not actor.signed_in:
                target = request.url.path if request.method == "GET" else "/dashboard"
                return redirect(f"/signin?next={quote(target)}")
            raise HTTPException(status_code=403)
        return await endpoint(request)

    check.permission = permission  # type: ignore[attr-defined]
    check.api = api  # type: ignore[attr-defined]
    return check
