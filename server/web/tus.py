"""Resumable uploads over HTTP: a tus 1.0 server (core, creation, checksum)
that any tus client can use (ADR 0009).

- Every answer under /uploads carries `Tus-Resumable` (`TusHeaders`, even the
  401/403/405 that the guards and the router give).
- POST: `Upload-Length` (at most `Tus-Max-Size`, and within the person's storage
  cap); `Upload-Metadata` may carry the whole file's `sha256` (hex), verified at
  the end when given.
- PATCH: any size, streamed to disk as it arrives (never held in memory), refused
  as soon as it passes the upload's length. `Upload-Checksum` (sha1 or sha256) is
  optional; without it a PATCH cut mid-way keeps what arrived. The file's type is
  judged on its first bytes, so a file that is neither a photo nor a PDF is
  refused at its first PATCH. The last byte, the check of the whole file, the
  blob and its grant are recorded in one transaction: the answer's
  `Sesame-Blob: <sha256>` names the stored blob, which the `piece.attach` or
  `message.send` command then names.
- HEAD: where to resume; `Sesame-Blob` once stored; 410 once refused, or given up
  after 30 days without new bytes (`Upload-Expires` says when).

One request at a time per upload: a new request on an upload whose PATCH is
still streaming (a phone that reconnected while the server still waits on the
dead connection) stops that PATCH once no byte has come for half a second; it
records what it received, and the new request goes on from there (`Turns`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import anyio
import anyio.to_thread
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import metrics
from server.domain import content
from server.domain import uploads as domain_uploads
from server.store.blobs import Staged
from sync.uploads import (
    CHECKSUM_ALGORITHMS,
    EXTENSIONS,
    TUS_VERSION,
    Appender,
    Upload,
    UploadError,
    UploadStore,
    parse_checksum,
    parse_metadata,
    parse_size,
)

from .common import actor, db, settings
from .messages import message
from .pieces import blobs, megabytes, upload_refusal

log = logging.getLogger("sesame.uploads")

# Enough to know a PDF, JPEG, PNG, WebP or HEIF by its magic number.
HEAD_BYTES = 12

STATUS = {
    "not_found": 404,
    "gone": 410,
    "offset_mismatch": 409,
    "already_complete": 409,
    "checksum_mismatch": 460,  # tus checksum extension
    "too_large": 413,
    "length_exceeded": 413,
    "account_full": 413,
    "file_too_large": 413,
    "bad_metadata": 400,
    "bad_checksum_header": 400,
    "bad_length": 400,
    "bad_offset": 400,
    "server_full": 507,
    "upload_expired": 410,
}


class Holder:
    """One request's turn on an upload. Asked to stop, a streaming PATCH goes on
    while bytes keep coming (a closed connection still being drained) and stops
    GRACE seconds after the last (a dead connection)."""

    GRACE = 0.5

    def __init__(self) -> None:
        self.scope = anyio.CancelScope()
        self.done = anyio.Event()
        self.owner: str | None = None  # known once the request has reached its turn
        self.stopping = False
        self.streaming = False

    def stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            if self.streaming:
                self.scope.deadline = anyio.current_time() + self.GRACE

    def streams(self) -> None:
        """Called as the body starts to come, and for each part of it."""
        self.streaming = True
        if self.stopping:
            self.scope.deadline = anyio.current_time() + self.GRACE


class Turns:
    """Requests on one upload take turns, in the order they arrived: a HEAD sent
    after a cut never overtakes the PATCH that was cut, still on its way through
    the middleware. Waiting for its turn, a request asks the one before it (if it
    is the same person's) to stop."""

    def __init__(self) -> None:
        self.queues: dict[str, list[Holder]] = {}

    def arrive(self, path: str) -> Holder:
        holder = Holder()
        self.queues.setdefault(path, []).append(holder)
        return holder

    def leave(self, path: str, holder: Holder) -> None:
        queue = self.queues[path]
        queue.remove(holder)
        if not queue:
            del self.queues[path]
        holder.done.set()

    async def turn(self, path: str, holder: Holder, owner: str) -> None:
        holder.owner = owner
        queue = self.queues[path]
        while queue[0] is not holder:
            first = queue[0]
            if first.owner == owner:
                first.stop()
            # Look again now and then: the first may reach its turn (and become stoppable) meanwhile.
            with anyio.move_on_after(Holder.GRACE):
                await first.done.wait()


class TusHeaders:
    """`Tus-Resumable` on every answer under /uploads, whoever gives it; and each
    HEAD or PATCH of an upload gets its place in that upload's `Turns` as it arrives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.turns = Turns()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != "/uploads" and not path.startswith("/uploads/"):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("tus-resumable", TUS_VERSION)
            await send(message)

        if scope.get("method") not in ("HEAD", "PATCH") or path.count("/") != 2:
            await self.app(scope, receive, send_with_header)
            return
        holder = self.turns.arrive(path)
        scope.setdefault("state", {})["tus_turn"] = (self.turns, path, holder)
        try:
            await self.app(scope, receive, send_with_header)
        finally:
            self.turns.leave(path, holder)


@contextlib.asynccontextmanager
async def my_turn(request: Request) -> AsyncIterator[Holder]:
    """Wait for this request's turn on its upload (see `Turns`)."""
    turns, path, holder = request.state.tus_turn
    await turns.turn(path, holder, _owner(request))
    yield holder


def store(request: Request) -> UploadStore:
    return request.app.state.uploads  # type: ignore[no-any-return]


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"tus-resumable": TUS_VERSION, "cache-control": "no-store", **(extra or {})}


def _text(request: Request, code: str) -> str:
    if code == "account_full":
        return message("account_full") % {"mb": megabytes(settings(request).max_account_bytes)}
    if code in ("file_too_large", "too_large", "length_exceeded"):
        return upload_refusal(request, domain_uploads.UploadRefused("file_too_large"))
    if code == "checksum_mismatch":
        return message("upload_damaged")
    return upload_refusal(request, domain_uploads.UploadRefused(code))


def _error(
    request: Request, code: str, status: int | None = None, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps({"code": code, "message": _text(request, code)}, ensure_ascii=False)
    return Response(
        body,
        status_code=status or STATUS.get(code, 422),
        media_type="application/json",
        headers=_headers(headers),
    )


def _guard(request: Request) -> Response | None:
    if not actor(request).signed_in:
        body = json.dumps({"code": "signed_out", "message": message("signed_out_sync")}, ensure_ascii=False)
        return Response(body, status_code=401, media_type="application/json", headers=_headers())
    if request.method != "OPTIONS" and request.headers.get("tus-resumable") != TUS_VERSION:
        return Response(status_code=412, headers=_headers({"tus-version": TUS_VERSION}))
    return None


def _owner(request: Request) -> str:
    return actor(request).account_id or ""


async def options(request: Request) -> Response:
    return Response(
        status_code=204,
        headers=_headers(
            {
                "tus-version": TUS_VERSION,
                "tus-extension": EXTENSIONS,
                "tus-checksum-algorithm": CHECKSUM_ALGORITHMS,
                "tus-max-size": str(settings(request).max_file_bytes),
            }
        ),
    )


async def create(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    if "upload-defer-length" in request.headers:
        return _error(request, "bad_length")  # creation-defer-length is not offered
    try:
        length = parse_size(request.headers.get("upload-length"), "bad_length")
        metadata = parse_metadata(request.headers.get("upload-metadata"))
    except UploadError as e:
        return _error(request, e.code)
    limits = settings(request)
    if length > limits.max_file_bytes:
        return _error(request, "file_too_large")
    if length == 0:
        return _error(request, "file_empty")
    owner = _owner(request)

    def make(conn: Any) -> Upload | None:
        if not domain_uploads.has_room(conn, owner, length, limits.max_account_bytes):
            return None
        return store(request).create(
            conn, owner=owner, length=length, metadata=metadata, limit=limits.max_file_bytes
        )

    upload = await db(request).write(make)
    if upload is None:
        return _error(request, "account_full")
    return Response(
        status_code=201,
        headers=_headers({"location": f"/uploads/{upload.id}", **_state_headers(upload)}),
    )


def _encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" if value else key
        for key, value in metadata.items()
    )


def _state_headers(upload: Upload) -> dict[str, str]:
    headers = {"upload-offset": str(upload.offset), "upload-length": str(upload.length)}
    if upload.blob:
        headers["sesame-blob"] = upload.blob
    if upload.expires:
        headers["upload-expires"] = format_datetime(upload.expires, usegmt=True)
    return headers


async def _load(request: Request) -> Upload:
    upload_id, owner = request.path_params["upload_id"], _owner(request)
    return await db(request).read(lambda conn: store(request).get(conn, upload_id, owner))


async def head(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    try:
        async with my_turn(request):
            upload = await _settle(request, await _load(request))
    except UploadError as e:
        return Response(status_code=STATUS.get(e.code, 400), headers=_headers())
    except OSError as e:  # the object store does not answer: ask again later
        log.warning("upload %s: cannot settle (%s)", request.path_params["upload_id"], e)
        return Response(status_code=503, headers=_headers({"retry-after": "60"}))
    if upload.refusal:
        return Response(status_code=410, headers=_headers())
    if upload.complete and not upload.blob:
        # Every byte, but the blob could not be kept yet (a full disk): never "complete" without it.
        return Response(status_code=503, headers=_headers({"retry-after": "60"}))
    headers = _state_headers(upload)
    if upload.metadata:
        headers["upload-metadata"] = _encode_metadata(upload.metadata)
    return Response(status_code=200, headers=_headers(headers))


async def _settle(request: Request, upload: Upload) -> Upload:
    """Bring an upload to a state a client can rely on before answering about it:
    all its bytes without a result (left by an older version) finish now; a
    recorded offset the disk no longer backs goes back to what the disk holds."""
    uploads = store(request)
    if upload.refusal:
        return upload
    if upload.expires and upload.expires < datetime.now(UTC):
        refused = await db(request).write(lambda conn: uploads.refuse(conn, upload, "upload_expired"))
        await _discard(uploads, upload)
        return refused
    if upload.blob:
        await _discard(uploads, upload)  # a crash between the record and this cleanup
        return upload
    size = await anyio.to_thread.run_sync(uploads.durable_size, upload)
    # Every byte kept but no result: left by an older version (offset = length), or
    # assembled in the object store by a last PATCH that a crash cut before its record.
    if (upload.complete and size >= upload.length) or await anyio.to_thread.run_sync(uploads.assembled, upload):
        _cut_back(uploads, upload)  # exactly its bytes, nothing a crash left after them
        outcome = await _finish(request, upload)
        if isinstance(outcome, Upload):
            return outcome
        return await _load(request)
    if size < upload.offset:  # the disk lost bytes it had confirmed: ask for them again
        return await db(request).write(lambda conn: uploads.advance(conn, upload, size))
    return upload


async def patch(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/offset+octet-stream":
        return _error(request, "bad_content_type", 415)
    try:
        offset = parse_size(request.headers.get("upload-offset"), "bad_offset")
        checksum = parse_checksum(request.headers.get("upload-checksum"))
        declared = request.headers.get("content-length")
        size = None if declared is None else parse_size(declared, "bad_length")
    except UploadError as e:
        return _error(request, e.code)
    async with my_turn(request) as holder:
        try:
            upload = await _settle(request, await _load(request))
        except UploadError as e:
            return _error(request, e.code)
        except OSError as e:  # the object store does not answer: the phone retries later
            log.warning("upload %s: cannot settle (%s)", request.path_params["upload_id"], e)
            return _error(request, "server_full")
        if upload.refusal:
            return _error(request, upload.refusal, 410)
        try:
            if size is not None and offset + size > upload.length:
                raise UploadError("length_exceeded")
            appender = store(request).appender(upload, offset=offset, checksum=checksum)
        except UploadError as e:
            return _error(request, e.code, headers=_state_headers(upload))
        return await _append(request, upload, appender, holder)


async def _append(request: Request, upload: Upload, appender: Appender, holder: Holder) -> Response:
    uploads = store(request)
    try:
        whole = await _receive(request, appender, holder)
        metrics.UPLOAD_BYTES.inc(appender.received)
    except UploadError as e:
        appender.rollback()
        return _error(request, e.code, headers=_state_headers(upload))
    except domain_uploads.UploadRefused as refused:
        appender.rollback()
        return await _refuse(request, upload, refused.code)
    except OSError as e:  # the disk is full (or failing): nothing of this PATCH is kept
        log.warning("upload %s: cannot write (%s)", upload.id, e)
        with contextlib.suppress(OSError):
            appender.rollback()
        return _error(request, "server_full")
    if not whole:
        if appender.checksum is not None:
            # A chunk that did not arrive whole cannot be checked against its checksum.
            appender.rollback()
            log.info("upload %s: connection cut, the partial chunk is dropped (checksum)", upload.id)
            return _error(request, "offset_mismatch", 409, _state_headers(upload))
        log.info("upload %s: connection cut after %d bytes, kept", upload.id, appender.received)
    elif not appender.verified:
        appender.rollback()
        return _error(request, "checksum_mismatch", headers=_state_headers(upload))
    try:
        reached = await anyio.to_thread.run_sync(appender.keep)
    except OSError as e:
        log.warning("upload %s: cannot make the chunk durable (%s)", upload.id, e)
        _cut_back(uploads, upload)
        return _error(request, "server_full")
    if reached < upload.length:
        if reached != upload.offset:
            upload = await db(request).write(lambda conn: uploads.advance(conn, upload, reached))
            _cut_back(uploads, upload)  # S3: the spill of the previous offset is not needed any more
        return Response(status_code=204, headers=_headers(_state_headers(upload)))
    outcome = await _finish(request, upload)
    if isinstance(outcome, Response):
        return outcome
    return Response(status_code=204, headers=_headers(_state_headers(outcome)))


async def _receive(request: Request, appender: Appender, holder: Holder) -> bool:
    """Write the body as it arrives; True when it arrived whole, False when the
    client went away (or a newer request on this upload took over)."""
    judged = appender.start >= HEAD_BYTES
    holder.streams()
    with holder.scope:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return False
            body = message.get("body", b"")
            if body:
                holder.streams()
                # Written at once, in the event loop: a write to the page cache is
                # quick, and what uvicorn holds unread is lost if the client drops.
                appender.write(body)
                if not judged and (appender.offset >= HEAD_BYTES or appender.offset == appender.length):
                    judged = True
                    if content.sniff(appender.head(HEAD_BYTES)) is None:
                        raise domain_uploads.UploadRefused("file_type_unknown")
                if appender.part_ready:  # a full part goes on to the object store (a network call)
                    await anyio.to_thread.run_sync(appender.push_part)
            if not message.get("more_body", False):
                return True
    return False  # taken over


def _cut_back(uploads: UploadStore, upload: Upload) -> None:
    """Drop bytes past the recorded offset now (they free room on a full disk)."""
    uploads.cut_back(upload)


async def _discard(uploads: UploadStore, upload: Upload) -> None:
    """Free what an ended upload still holds; what fails here `sesame gc` sweeps."""
    try:
        await anyio.to_thread.run_sync(uploads.discard, upload)
    except OSError as e:
        log.warning("upload %s: leftovers not freed yet (%s)", upload.id, e)


async def _finish(request: Request, upload: Upload) -> Upload | Response:
    """The whole file is on disk: check it, keep it as a blob and grant it, and
    record the last byte with that result, in one transaction (ADR 0009)."""
    uploads, blob_store, limits = store(request), blobs(request), settings(request)
    owner = upload.owner

    def prepare() -> domain_uploads.Received:
        # In an object store the parts become staged bytes where they are (ADR 0027);
        # on disk the `.part` file is staged by the blob store.
        assembled = uploads.assemble(upload)
        with uploads.open(upload) as stream:
            found = domain_uploads.check(stream, limit=limits.max_file_bytes, accepted=None)
            if assembled is None:
                return domain_uploads.keep(blob_store, stream, found.media_type or "", limits.max_file_bytes)
        # Kept until the blob is recorded; `_discard` removes it after the commit.
        staged = Staged(assembled.sha256, assembled.size, assembled.ref, kept=True)
        return domain_uploads.Received(staged.sha256, staged.size, found.media_type or "", staged)

    try:
        received = await anyio.to_thread.run_sync(prepare)
    except domain_uploads.UploadRefused as refused:
        return await _refuse(request, upload, refused.code)
    except UploadError as e:  # the object store's parts cannot be put together: from zero again
        log.warning("upload %s: %s", upload.id, e)
        again = await db(request).write(lambda conn: uploads.advance(conn, upload, 0))
        _cut_back(uploads, again)
        return _error(request, "offset_mismatch", headers=_state_headers(again))
    except OSError as e:
        log.warning("upload %s: cannot keep the blob (%s)", upload.id, e)
        _cut_back(uploads, upload)
        return _error(request, "server_full")
    expected = upload.metadata.get("sha256")
    if expected and expected != received.sha256:
        domain_uploads.discard(blob_store, received)
        return await _refuse(request, upload, "checksum_mismatch")

    def record(conn: Any) -> Upload:
        current = uploads.get(conn, upload.id, owner)
        if current.result is not None or current.offset != upload.offset:
            raise UploadError("offset_mismatch")
        domain_uploads.grant(
            conn, blob_store, received, owner, cap=limits.max_account_bytes, upload_id=upload.id
        )
        return uploads.complete(conn, upload, {"blob": received.sha256, "media_type": received.media_type})

    try:
        done: Upload = await db(request).write(record)
    except domain_uploads.UploadRefused as refused:
        domain_uploads.discard(blob_store, received)
        return await _refuse(request, upload, refused.code)
    except UploadError as e:  # changed meanwhile (Turns make this a should-not-happen)
        domain_uploads.discard(blob_store, received)
        return _error(request, e.code)
    except OSError as e:
        domain_uploads.discard(blob_store, received)
        log.warning("upload %s: not recorded (%s)", upload.id, e)
        _cut_back(uploads, upload)
        return _error(request, "server_full")
    await _discard(uploads, upload)
    return done


async def _refuse(request: Request, upload: Upload, code: str) -> Response:
    uploads = store(request)
    await db(request).write(lambda conn: uploads.refuse(conn, upload, code))
    await _discard(uploads, upload)
    return _error(request, code)
