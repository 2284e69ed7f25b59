"""Request bodies, capped while they stream.

`Content-Length` is a claim, and chunked bodies have none: the cap is enforced
on the bytes as they arrive. `BodyLimit` wraps `receive`, counts, and stops
the request with a 413 as soon as one byte too many has arrived — the rest is
never read (uvicorn stops reading the socket while nobody consumes it, and
closes the connection after the answer). A body that claims too much is
refused before a byte of it is read.

Each route family has its cap (`cap_for`): small forms and JSON, the sync push,
multipart uploads sized on SESAME_MAX_FILE_MB. tus PATCH is left to the tus
code, which streams each chunk to disk and caps it itself.

The wrapper also notes when the client went away (`http.disconnect` while the
body was being read), so the error handler neither renders a 500 to nobody nor
logs a dropped connection as a server fault (`server/web/errors.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.settings import Settings
from server.translation import N_, gettext

KIB = 1024
MIB = 1024 * KIB

FORM = 64 * KIB  # a page's form, a passkey's answer, an autosave of one step
PUSH = 2 * MIB  # POST /sync/push: up to 200 commands
MULTIPART_OVERHEAD = 1 * MIB  # part headers and the form's other fields
FILES_AT_ONCE = 4  # a form with several files: their total, in files of the largest size
PAPER_FILES_AT_ONCE = 24  # a whole paper file scanned at the counter: every piece at once

GONE = "client_gone"  # key in scope["state"]: the client hung up during the body


@dataclass(frozen=True)
class Cap:
    bytes: int | None  # None: this route streams and caps its body itself
    api: bool = False  # JSON answers (the phone's scripts), else an HTML page
    files: bool = False  # a multipart form carrying files


def _rules(settings: Settings) -> list[tuple[str, re.Pattern[str], Cap]]:
    one_file = settings.max_file_bytes + MULTIPART_OVERHEAD
    several = FILES_AT_ONCE * settings.max_file_bytes + MULTIPART_OVERHEAD
    return [
        # tus: each PATCH is streamed to disk and capped by the upload code.
        ("PATCH", re.compile(r"^/uploads/[^/]+$"), Cap(None, api=True)),
        ("*", re.compile(r"^/uploads(/|$)"), Cap(FORM, api=True)),
        ("POST", re.compile(r"^/sync/push$"), Cap(PUSH, api=True)),
        ("*", re.compile(r"^/sync/"), Cap(FORM, api=True)),
        ("POST", re.compile(r"^/files/[^/]+/fields$"), Cap(FORM, api=True)),
        ("POST", re.compile(r"^/files/[^/]+/attachments/[^/]+/replace$"), Cap(one_file, files=True)),
        ("POST", re.compile(r"^/files/[^/]+/pieces/[^/]+$"), Cap(several, files=True)),
        ("POST", re.compile(r"^/files/[^/]+/messages$"), Cap(several, files=True)),
        (
            "POST",
            re.compile(r"^/prefecture/paper$"),
            Cap(PAPER_FILES_AT_ONCE * settings.max_file_bytes + MULTIPART_OVERHEAD, files=True),
        ),
    ]


class BodyTooLarge(Exception):
    """Raised from `receive` once the body passes its cap."""


TOO_LARGE = N_("Ce qui a été envoyé dépasse la taille permise ({size} au plus). Rien n’a été enregistré.")
FILES_TOO_LARGE = N_(
    "Les fichiers envoyés en une fois dépassent {size}. Rien n’a été enregistré : envoyez-les en"
    " plusieurs fois, ou réduisez leur taille."
)


def readable_size(size: int) -> str:
    if size < MIB:
        return gettext("{n} Ko").format(n=round(size / KIB))
    return gettext("{n} Mo").format(n=f"{round(size / MIB, 1):g}")


def too_large_text(cap: Cap) -> str:
    assert cap.bytes is not None
    return gettext(FILES_TOO_LARGE if cap.files else TOO_LARGE).format(size=readable_size(cap.bytes))


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.rules = _rules(settings)

    def cap_for(self, method: str, path: str) -> Cap:
        for rule_method, pattern, cap in self.rules:
            if rule_method in ("*", method) and pattern.match(path):
                return cap
        return Cap(FORM)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope["method"], scope["path"])
        state = scope.setdefault("state", {})
        if cap.bytes is None:
            await self.app(scope, self._watch(receive, state, None), send)
            return
        claimed = _content_length(scope)
        if claimed is not None and claimed > cap.bytes:
            await self._refuse(scope, receive, send, cap)
            return
        started = False

        async def watch_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, self._watch(receive, state, cap.bytes), watch_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send, cap)

    @staticmethod
    def _watch(receive: Receive, state: dict[str, object], limit: int | None) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.disconnect":
                state[GONE] = received
            elif message["type"] == "http.request":
                received += len(message.get("body", b""))
                if limit is not None and received > limit:
                    raise BodyTooLarge()
            return message

        return counted

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, cap: Cap) -> None:
        await _answer(Request(scope, receive), cap)(scope, receive, send)


def _answer(request: Request, cap: Cap) -> Response:
    from .errors import render_error, wants_json

    text = too_large_text(cap)
    # The rest of the body is not read: the connection cannot carry another request.
    headers = {"connection": "close"}
    if cap.api or wants_json(request):
        payload = {"error": "too_large", "status": "refused", "message": text, "max_bytes": cap.bytes}
        return JSONResponse(payload, status_code=413, headers={**headers, "cache-control": "no-store"})
    return render_error(request, 413, text, headers=headers)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
