"""Sending a blob from a store that is not a local folder (S3): streamed
through the server, never redirected to the store (ADR 0019).

The object is opened when the response starts (in a worker thread), so a blob
missing from the store still gets a plain 404 before any header is sent; its
bytes then go out part by part as they come from the store, never held whole.
The caller has already done what must precede sending (the back office's audit
row is committed before the response object is even built).
"""

from __future__ import annotations

import logging

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from server.store.blobs import CHUNK, BlobStore

from .errors import render_error

log = logging.getLogger("sesame.blobs")


class BlobStreamResponse(Response):
    def __init__(self, store: BlobStore, sha256: str, media_type: str, headers: dict[str, str]) -> None:
        super().__init__(content=b"", media_type=media_type, headers=headers)
        self.store = store
        self.sha256 = sha256

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        def opening() -> tuple[object, int | None]:
            stream = self.store.open(self.sha256)
            return stream, self.store.size(self.sha256)

        try:
            stream, size = await anyio.to_thread.run_sync(opening)
        except FileNotFoundError:
            # The database names bytes the store lacks: `sesame backup verify` reports it too.
            log.error("blob %s is missing from the store", self.sha256)
            await render_error(Request(scope, receive), 404)(scope, receive, send)
            return
        reader = stream.read  # type: ignore[attr-defined]
        try:
            if size is not None:
                self.headers["content-length"] = str(size)
            else:
                del self.headers["content-length"]
            await send(
                {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            )
            if scope.get("method") == "HEAD":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            while True:
                chunk = await anyio.to_thread.run_sync(reader, CHUNK)
                if not chunk:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await anyio.to_thread.run_sync(stream.close)  # type: ignore[attr-defined]
