"""What every back-office page shares: the reader's prefecture, the file in the
URL checked against it, and responses that are never cached."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.auth import policy
from server.domain import files, geography
from server.domain.files import File
from server.web.common import actor, db, not_found, templates

NO_STORE = {"cache-control": "no-store"}


def prefecture_name(code: str | None) -> str:
    found = geography.get(code)
    return f"{found.name} ({found.code})" if found else ""


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A back-office page: never kept by the browser or the service worker."""
    who = actor(request)
    return templates(request).render(
        request,
        name,
        {"prefecture_code": who.prefecture, "prefecture_name": prefecture_name(who.prefecture), **context},
        status_code=status_code,
        headers=NO_STORE,
    )


async def reviewed_file(request: Request) -> File:
    """The file in the URL if it was sent to the reader's prefecture; else 404
    (never 403: a file id of another prefecture reveals nothing)."""
    file = await db(request).read(files.get, request.path_params["file_id"])
    if file is None or not policy.may_review(actor(request), file.departement, file.submitted_at):
        raise not_found()
    return file
