"""Small helpers every route module uses."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from server import clock
from server.auth.policy import Actor
from server.settings import Settings
from server.store.db import Database
from server.templating import Templates
from sync.protocol import Command, Result


class RateLimited(Exception):
    def __init__(self, retry_after: float, by_target: bool = False) -> None:
        super().__init__(retry_after)
        self.retry_after = int(retry_after) + 1
        self.by_target = by_target  # the account's (or link's) limit, not this address's


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def templates(request: Request) -> Templates:
    return request.app.state.templates  # type: ignore[no-any-return]


def actor(request: Request) -> Actor:
    return request.state.actor  # type: ignore[no-any-return]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


def limit(request: Request, action: str, **targets: str | None) -> None:
    """Count an attempt against the address's limit, and against each target's
    (`account=…`, `invitation=…`: limits named "<action>:<target>")."""
    limiter = request.app.state.limiter
    by_address = limiter.hit(action, client_ip(request))
    by_target = max([limiter.hit(f"{action}:{kind}", key) for kind, key in targets.items() if key] or [0.0])
    if by_address or by_target:
        raise RateLimited(max(by_address, by_target), by_target=by_address == 0)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Only local paths: `?next=https://evil.example` must not send people away."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    return value


async def form(request: Request) -> dict[str, str]:
    """The submitted form as plain strings (files are handled elsewhere)."""
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def command_id(value: str | None) -> str:
    """The id a form carried (so a double submit applies once), or a new one."""
    try:
        return str(uuid.UUID(value or ""))
    except ValueError:
        return str(uuid.uuid4())


async def run_command(
    request: Request, op: str, args: dict[str, Any], cid: str | None = None, at: str | None = None
) -> Result:
    """Build the command a plain HTML form stands for, and apply it. `at`: when
    the person did it, if the page says so (autosave), else now."""
    from server import commands  # the registry imports every domain module

    who = actor(request)
    command = Command(
        id=command_id(cid),
        client=f"web:{(who.session_id or 'anonymous')[:12]}",
        seq=0,
        op=op,
        args=args,
        at=_when(at),
    )
    return await db(request).write(commands.apply, command, who)


def _when(at: str | None) -> str:
    try:
        return clock.iso(clock.parse(at)) if at else clock.iso(clock.now())
    except ValueError:
        return clock.iso(clock.now())


def not_found() -> HTTPException:
    return HTTPException(status_code=404)
