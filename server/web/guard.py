"""Route guards: every route names the permission it needs (see routes.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import clock
from server.auth import policy

from .common import redirect
from .middleware import acting, file_in

Endpoint = Callable[[Request], Awaitable[Response]]


# A worker who chose a person acts for them on the person's own pages only
# (and on the home page, which is then the person's); never on their own
# account page, the worker's pages or the sync API.
ACTING_PERMISSIONS = ("applicant", "signed_in")


async def _act_for(request: Request, worker: policy.Actor, permission: str) -> policy.Actor:
    if permission == "signed_in" and request.url.path != "/dashboard":
        return worker
    found = await request.app.state.db.read(
        acting, worker, request.state.acting_choice, file_in(request.url.path), clock.now()
    )
    if found is None:
        return worker
    request.state.actor, request.state.acting = found
    return found[0]  # type: ignore[no-any-return]


def guarded(endpoint: Endpoint, permission: str, api: bool = False) -> Endpoint:
    """Check `permission` before `endpoint`. Pages redirect to sign-in; API
    routes (sync, uploads) answer 401/403 in JSON, which the outbox understands."""
    if permission not in policy.PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    @wraps(endpoint)
    async def check(request: Request) -> Response:
        actor: policy.Actor = request.state.actor
        if permission in ACTING_PERMISSIONS and actor.role == "worker" and request.state.acting_choice:
            actor = await _act_for(request, actor, permission)
            if actor.acting_for is not None and policy.allowed(actor, permission):
                # A person's page seen by a worker is never kept by the browser
                # nor the service worker (a shared device: docs/adr/0020).
                response = await endpoint(request)
                response.headers["cache-control"] = "no-store"
                return response
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
