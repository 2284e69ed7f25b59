"""The checklist of a file: upload, replace, remove and open the files of each piece.

Plain multipart forms (they work without JavaScript). Each uploaded file is
checked by its content before anything is kept; refused files (by their
content, or by the command that would attach them) are listed with the reason
and nothing of them is stored. Resumable, offline uploads: `tus.py`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from server import clock, metrics
from server import commands as command_registry
from server.auth import policy
from server.domain import catalogue as catalogue_module
from server.domain import complements, content, files, pieces, thumbnails, uploads
from server.domain.files import File
from server.store.blobs import BlobStore, FileBlobStore
from server.templating import megabytes
from sync.protocol import Command, Result

from . import checklist_rows
from .blobsend import BlobStreamResponse
from .common import actor, db, not_found, redirect, run_command, settings, templates
from .files import STEP_ORDER, load_own_file
from .messages import done, message

log = logging.getLogger("sesame.uploads")


def blobs(request: Request) -> BlobStore:
    return request.app.state.blobs  # type: ignore[no-any-return]


def catalogue() -> catalogue_module.Catalogue:
    return catalogue_module.load()


async def checklist(request: Request) -> Response:
    file = await load_own_file(request)
    return await _page(request, file)


async def _page(
    request: Request,
    file: File,
    *,
    report: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    attachments = await db(request).read(pieces.current, file.id)
    asked_items = await db(request).read(complements.open_items, file.id)
    asked = {i.target: i for i in asked_items if i.kind == "piece"}
    cat = catalogue()
    by_piece: dict[str, list[pieces.Attachment]] = {}
    for attachment in attachments:
        by_piece.setdefault(attachment.piece, []).append(attachment)
    # Open: the piece just changed (?open=), and those a refusal is about.
    opened = {request.query_params.get("open", "")} | {r["piece"] for r in report or [] if r.get("piece")}
    return templates(request).render(
        request,
        "files/checklist.html",
        {
            "file": file,
            "catalogue": cat,
            "rows": checklist_rows.rows(
                cat.checklist(file.procedure, file.grounds),
                by_piece,
                asked,
                editable=file.editable,
                locked=file.status == "locked",
                opened=opened,
            ),
            "asked": asked,
            "report": report or [],
            "max_mb": megabytes(settings(request).max_file_bytes),
            "steps": STEP_ORDER,
            "step": "checklist",
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
    )


async def receive(request: Request, upload: UploadFile, accepted: set[str] | None) -> uploads.Received:
    """Check an uploaded file, then keep its bytes (refusals raise UploadRefused)."""
    limit = settings(request).max_file_bytes
    uploads.check(upload.file, limit=limit, accepted=accepted)
    media_type = _media_type(upload)
    try:
        # In a worker thread: with an object store, keeping is network I/O.
        received = await anyio.to_thread.run_sync(
            uploads.keep, blobs(request), upload.file, media_type, limit
        )
    except OSError as e:  # a full disk: say so, nothing was kept
        log.warning("upload not kept: %s", e)
        raise uploads.UploadRefused("no_room") from None
    metrics.UPLOAD_BYTES.inc(received.size)
    return received


def _media_type(upload: UploadFile) -> str:
    upload.file.seek(0)
    found = content.sniff(upload.file.read(32))
    upload.file.seek(0)
    return found or "application/octet-stream"


async def apply_with_blobs(
    request: Request, received: list[uploads.Received], op: str, args: dict[str, Any]
) -> Result:
    """Keep uploaded blobs, grant them to their uploader and apply the command
    that uses them, in one transaction: either both happen or neither, and a
    refused command leaves no bytes and no grant behind (unless someone else
    holds the same bytes). UploadRefused("account_full") past the person's cap."""
    who = actor(request)
    store, cap = blobs(request), settings(request).max_account_bytes
    command = Command(
        id=str(uuid.uuid4()),
        client=f"web:{(who.session_id or '')[:12]}",
        seq=0,
        op=op,
        args=args,
        at=clock.iso(clock.now()),
    )

    def apply(conn: Any) -> Result:
        account = who.account_id or ""
        new = [item.sha256 for item in received if uploads.grant(conn, store, item, account, cap=cap)]
        result = command_registry.apply(conn, command, who)
        if not result.applied:
            for sha in new:
                uploads.release(conn, store, sha, account)
        return result

    try:
        return await db(request).write(apply)
    finally:
        discard(request, received)


def discard(request: Request, received: list[uploads.Received]) -> None:
    """Staged bytes that were not kept (a refusal, or identical bytes already stored)."""
    for item in received:
        uploads.discard(blobs(request), item)


def uploaded_files(values: Any, name: str = "files") -> list[UploadFile]:
    # An empty file input still sends a part with no name: skip it.
    return [f for f in values.getlist(name) if isinstance(f, UploadFile) and (f.filename or f.size)]


async def upload(request: Request) -> Response:
    file = await load_own_file(request)
    piece_id = request.path_params["piece_id"]
    cat = catalogue()
    if piece_id not in {item.piece.id for item in cat.checklist(file.procedure, file.grounds)}:
        raise not_found()
    values = await request.form(max_files=50)
    sent = uploaded_files(values)
    report: list[dict[str, str]] = []
    if not sent:
        report.append({"filename": "", "ok": "", "text": message("file_missing"), "piece": piece_id})
    accepted = cat.media_types(piece_id)
    for item in sent:
        name = item.filename or "?"
        try:
            received = await receive(request, item, accepted)
        except uploads.UploadRefused as refused:
            report.append(
                {"filename": name, "ok": "", "text": upload_refusal(request, refused), "piece": piece_id}
            )
            continue
        finally:
            await item.close()
        try:
            result = await apply_with_blobs(
                request,
                [received],
                "piece.attach",
                {
                    "file_id": file.id,
                    "piece": piece_id,
                    "attachment_id": str(uuid.uuid4()),
                    "blob": received.sha256,
                    "filename": name,
                },
            )
        except uploads.UploadRefused as refused:
            report.append(
                {"filename": name, "ok": "", "text": upload_refusal(request, refused), "piece": piece_id}
            )
            continue
        report.append(
            {
                "filename": name,
                "ok": "1" if result.applied else "",
                "text": "" if result.applied else message(result.code),
                "piece": piece_id,
            }
        )
    failed = any(not r["ok"] for r in report)
    if not failed:
        return redirect(f"/files/{file.id}/checklist?done=pieces_added&open={piece_id}#piece-{piece_id}")
    return await _page(request, file, report=report, status_code=400)


def upload_refusal(request: Request, refused: uploads.UploadRefused) -> str:
    if refused.code == "file_too_large":
        return message("file_too_large") % {"mb": megabytes(settings(request).max_file_bytes)}
    if refused.code == "account_full":
        return message("account_full") % {"mb": megabytes(settings(request).max_account_bytes)}
    if refused.code == "file_type_refused":
        return message("file_type_refused") % {"accepted": accepted_names(refused.accepted)}
    return message(refused.code)


def accepted_names(media_types: tuple[str, ...] | set[str]) -> str:
    names = {
        "application/pdf": "PDF",
        "image/jpeg": "JPEG",
        "image/png": "PNG",
        "image/webp": "WebP",
        "image/heic": "HEIC",
        "image/heif": "HEIF",
    }
    return ", ".join(sorted({names.get(m, m) for m in media_types}))


async def replace(request: Request) -> Response:
    file = await load_own_file(request)
    attachment = await _own_attachment(request, file)
    values = await request.form(max_files=2)
    sent = uploaded_files(values, "file")
    if not sent:
        return await _page(
            request,
            file,
            report=[{"filename": "", "ok": "", "text": message("file_missing"), "piece": attachment.piece}],
            status_code=400,
        )
    item = sent[0]
    try:
        received = await receive(request, item, catalogue().media_types(attachment.piece))
    except uploads.UploadRefused as refused:
        report = [
            {
                "filename": item.filename or "?",
                "ok": "",
                "text": upload_refusal(request, refused),
                "piece": attachment.piece,
            }
        ]
        return await _page(request, file, report=report, status_code=400)
    finally:
        await item.close()
    try:
        result = await apply_with_blobs(
            request,
            [received],
            "piece.replace",
            {
                "file_id": file.id,
                "attachment_id": attachment.id,
                "new_attachment_id": str(uuid.uuid4()),
                "blob": received.sha256,
                "filename": item.filename or "?",
            },
        )
    except uploads.UploadRefused as refused:
        report = [
            {
                "filename": item.filename or "?",
                "ok": "",
                "text": upload_refusal(request, refused),
                "piece": attachment.piece,
            }
        ]
        return await _page(request, file, report=report, status_code=400)
    if not result.applied:
        report = [
            {
                "filename": item.filename or "?",
                "ok": "",
                "text": message(result.code),
                "piece": attachment.piece,
            }
        ]
        return await _page(request, file, report=report, status_code=400)
    return redirect(
        f"/files/{file.id}/checklist?done=piece_replaced&open={attachment.piece}#piece-{attachment.piece}"
    )


async def remove(request: Request) -> Response:
    file = await load_own_file(request)
    attachment = await _own_attachment(request, file)
    values = await request.form()
    result = await run_command(
        request,
        "piece.remove",
        {"file_id": file.id, "attachment_id": attachment.id},
        str(values.get("command_id", "")),
    )
    if not result.applied:
        report = [
            {
                "filename": attachment.filename,
                "ok": "",
                "text": message(result.code),
                "piece": attachment.piece,
            }
        ]
        return await _page(request, file, report=report, status_code=400)
    return redirect(
        f"/files/{file.id}/checklist?done=piece_removed&open={attachment.piece}#piece-{attachment.piece}"
    )


async def _own_attachment(request: Request, file: File) -> pieces.Attachment:
    attachment = await db(request).read(pieces.get, request.path_params["attachment_id"])
    if attachment is None or attachment.file_id != file.id:
        raise not_found()
    return attachment


async def download(request: Request) -> Response:
    """Open one uploaded file: its owner. (Agents will open files from the back
    office, where every access is audited; not from here.)"""
    who = actor(request)

    def load(conn: Any) -> tuple[File | None, pieces.Attachment | None]:
        return files.get(conn, request.path_params["file_id"]), pieces.get(
            conn, request.path_params["attachment_id"]
        )

    file, attachment = await db(request).read(load)
    if (
        file is None
        or attachment is None
        or attachment.file_id != file.id
        or not policy.is_applicant_of(who, file.owner_id)
    ):
        raise not_found()
    return blob_response(request, attachment.blob, attachment.media_type, attachment.filename)


async def thumbnail(request: Request) -> Response:
    """A photo drawn small (the documents page's status line), for its owner."""
    who = actor(request)

    def load(conn: Any) -> tuple[File | None, pieces.Attachment | None]:
        return files.get(conn, request.path_params["file_id"]), pieces.get(
            conn, request.path_params["attachment_id"]
        )

    file, attachment = await db(request).read(load)
    if (
        file is None
        or attachment is None
        or attachment.file_id != file.id
        or attachment.media_type not in checklist_rows.THUMBNAILED
        or not policy.is_applicant_of(who, file.owner_id)
    ):
        raise not_found()
    store = blobs(request)

    def draw() -> bytes | None:
        try:
            with store.open(attachment.blob) as stream:
                return thumbnails.draw(stream)
        except OSError:  # the blob is missing from the store
            return None

    data = await anyio.to_thread.run_sync(draw)
    if data is None:
        raise not_found()
    # An attachment never changes (a replacement is a new one): keep it long.
    return Response(
        data,
        media_type="image/jpeg",
        headers={"cache-control": "private, max-age=2592000", "content-security-policy": "default-src 'none'"},
    )


def blob_response(request: Request, sha256: str, media_type: str, filename: str) -> Response:
    store = blobs(request)
    response: Response
    if isinstance(store, FileBlobStore):
        path = store.path(sha256)
        if not path.exists():
            raise not_found()
        response = FileResponse(
            path, media_type=media_type, filename=filename, content_disposition_type="inline"
        )
    else:  # streamed from the object store through the server (ADR 0019)
        response = BlobStreamResponse(store, sha256, media_type, {"content-disposition": _inline(filename)})
    # An uploaded PDF must not run scripts in our origin.
    response.headers["content-security-policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    response.headers["cache-control"] = "private, max-age=3600"
    return response


def _inline(filename: str) -> str:
    """The Content-Disposition Starlette's FileResponse gives (RFC 6266, UTF-8 names)."""
    quoted = quote(filename)
    if quoted != filename:
        return f"inline; filename*=utf-8''{quoted}"
    return f'inline; filename="{filename}"'
