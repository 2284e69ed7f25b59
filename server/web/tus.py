"""Resumable uploads over HTTP (tus 1.0 core + creation + checksum).

The client declares the whole file's SHA-256 in `Upload-Metadata` (`sha256`,
hex), sends chunks with a per-chunk `Upload-Checksum`, and resumes after a drop
with HEAD. When the last chunk lands, the whole file is hashed and compared,
checked by content like any upload, kept in the blob store and granted to its
uploader: the answer carries `Sesame-Blob: <sha256>`, which the `piece.attach`
or `message.send` command then names.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.domain import uploads as domain_uploads
from sync.uploads import (
    CHECKSUM_ALGORITHMS,
    EXTENSIONS,
    TUS_VERSION,
    UploadError,
    UploadStore,
    parse_checksum,
    parse_metadata,
)

from .common import actor, db, settings
from .messages import message
from .pieces import blobs, upload_refusal

MAX_CHUNK = 8 * 1024 * 1024

STATUS = {
    "not_found": 404,
    "offset_mismatch": 409,
    "checksum_mismatch": 460,  # tus checksum extension
    "too_large": 413,
    "length_exceeded": 413,
    "already_complete": 409,
    "bad_metadata": 400,
    "bad_checksum_header": 400,
}


def store(request: Request) -> UploadStore:
    return request.app.state.uploads  # type: ignore[no-any-return]


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"tus-resumable": TUS_VERSION, "cache-control": "no-store", **(extra or {})}


def _error(code: str, status: int | None = None, text: str = "") -> Response:
    body = json.dumps({"code": code, "message": text or message(code)}, ensure_ascii=False)
    return Response(
        body, status_code=status or STATUS.get(code, 400), media_type="application/json", headers=_headers()
    )


def _guard(request: Request) -> Response | None:
    if not actor(request).signed_in:
        return _error("signed_out", 401, message("signed_out_sync"))
    if request.method != "OPTIONS" and request.headers.get("tus-resumable") != TUS_VERSION:
        return Response(status_code=412, headers={"tus-version": TUS_VERSION, **_headers()})
    return None


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
    try:
        length = int(request.headers.get("upload-length", ""))
        metadata = parse_metadata(request.headers.get("upload-metadata"))
    except ValueError:
        return _error("bad_metadata", 400)
    except UploadError as e:
        return _error(e.code)
    sha = metadata.get("sha256", "")
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        return _error("bad_metadata", 400)
    if length > settings(request).max_file_bytes:
        return _error(
            "too_large", 413, upload_refusal(request, domain_uploads.UploadRefused("file_too_large"))
        )
    who = actor(request)
    upload = await db(request).write(
        lambda conn: store(request).create(
            conn,
            owner=who.account_id or "",
            length=length,
            metadata=metadata,
            limit=settings(request).max_file_bytes,
        )
    )
    return Response(
        status_code=201,
        headers=_headers({"location": f"/uploads/{upload.id}", "upload-offset": "0"}),
    )


async def head(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    who = actor(request)
    try:
        upload = await db(request).read(
            lambda conn: store(request).get(conn, request.path_params["upload_id"], who.account_id or "")
        )
    except UploadError as e:
        return Response(status_code=STATUS.get(e.code, 400), headers=_headers())
    headers = {"upload-offset": str(upload.offset), "upload-length": str(upload.length)}
    if upload.result and upload.result.get("blob"):
        headers["sesame-blob"] = upload.result["blob"]
    return Response(status_code=200, headers=_headers(headers))


async def patch(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/offset+octet-stream":
        return _error("bad_content_type", 415, message("invalid"))
    who = actor(request)
    owner = who.account_id or ""
    try:
        offset = int(request.headers.get("upload-offset", ""))
        checksum = parse_checksum(request.headers.get("upload-checksum"))
    except ValueError:
        return _error("offset_mismatch", 409)
    except UploadError as e:
        return _error(e.code)
    if int(request.headers.get("content-length") or 0) > MAX_CHUNK:
        return _error("too_large", 413)
    body = await request.body()  # a chunk cut off in transit never reaches the store
    if len(body) > MAX_CHUNK:
        return _error("too_large", 413)
    upload_id = request.path_params["upload_id"]
    uploads_store = store(request)

    def append(conn: Any) -> Any:
        upload = uploads_store.get(conn, upload_id, owner)
        return uploads_store.append(conn, upload, offset=offset, body=body, checksum=checksum)

    try:
        upload = await db(request).write(append)
    except UploadError as e:
        return _error(e.code)
    headers = {"upload-offset": str(upload.offset)}
    if upload.complete:
        outcome = await _complete(request, upload)
        if isinstance(outcome, Response):
            return outcome
        headers["sesame-blob"] = outcome
    return Response(status_code=204, headers=_headers(headers))


async def _complete(request: Request, upload: Any) -> str | Response:
    """Check the whole file and keep it as a blob; its SHA-256, or an error answer."""
    uploads_store = store(request)
    sha = uploads_store.sha256(upload)
    if sha != upload.metadata.get("sha256"):
        await db(request).write(
            lambda conn: uploads_store.finish(conn, upload, {"error": "checksum_mismatch"})
        )
        uploads_store.discard(upload)
        return _error("checksum_mismatch", 460)
    limit = settings(request).max_file_bytes
    with uploads_store.part(upload.id).open("rb") as stream:
        try:
            found = domain_uploads.check(stream, limit=limit, accepted=None)
            received = domain_uploads.keep(blobs(request), stream, found.media_type or "", limit)
        except domain_uploads.UploadRefused as refused:
            code, text = refused.code, upload_refusal(request, refused)
            await db(request).write(lambda conn: uploads_store.finish(conn, upload, {"error": code}))
            uploads_store.discard(upload)
            return _error(code, 422, text)
    who = actor(request)

    def record(conn: Any) -> None:
        domain_uploads.grant(conn, received, who.account_id or "")
        uploads_store.finish(conn, upload, {"blob": received.sha256, "media_type": received.media_type})

    await db(request).write(record)
    uploads_store.discard(upload)
    return received.sha256
