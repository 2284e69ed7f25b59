"""The message thread of a file, between the person and the prefecture."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from server.auth import policy
from server.domain import files, messages, uploads

from .common import actor, db, form, not_found, redirect, run_command, settings, templates
from .files import load_own_file
from .messages import done, message
from .pieces import apply_with_blobs, blob_response, discard, receive, upload_refusal, uploaded_files


def seen_from_our_pages(request: Request) -> bool:
    """Whether this GET is the person opening the thread from Sésame itself.

    Only then are the prefecture's messages marked read: a link on another
    site, a prefetch, or the service worker refreshing its copy in the
    background must not tell the prefecture "read" (the person saw nothing).
    Browsers say where a navigation comes from (`Sec-Fetch-*`); older ones
    send our own page as `Referer` (our policy is same-origin). Otherwise the
    page offers a button that marks them read (a same-origin POST)."""
    headers = request.headers
    purpose = (headers.get("sec-purpose") or headers.get("purpose") or "").lower()
    if "prefetch" in purpose or "prerender" in purpose:
        return False
    site = headers.get("sec-fetch-site")
    if site is not None:
        # Only a navigation carries mode "navigate" (a script cannot ask for it);
        # re-sent by our service worker its destination reads "empty" while the
        # site stays what the browser saw (a cross-site link stays cross-site).
        return (
            site == "same-origin"
            and headers.get("sec-fetch-mode", "navigate") == "navigate"
            and headers.get("sec-fetch-dest", "document") in ("document", "empty")
        )
    referer = urlsplit(headers.get("referer", ""))
    return f"{referer.scheme}://{referer.netloc}".lower() == settings(request).origin.lower()


async def page(request: Request, *, error: str = "", body: str = "", status_code: int = 200) -> Response:
    file = await load_own_file(request)
    thread = await db(request).read(messages.thread, file.id)
    unread = any(m.from_prefecture and not m.read_at for m in thread)
    if unread and request.method == "GET" and seen_from_our_pages(request):
        await run_command(request, "message.read", {"file_id": file.id})
        unread = False
    return templates(request).render(
        request,
        "files/messages.html",
        {
            "file": file,
            "thread": thread,
            "error": error,
            "body": body,
            "done": done(request.query_params.get("done")),
            "unread": unread,
        },
        status_code=status_code,
    )


async def mark_read(request: Request) -> Response:
    """The person says they have read the prefecture's messages (same-origin POST)."""
    file = await load_own_file(request)
    values = await form(request)
    result = await run_command(request, "message.read", {"file_id": file.id}, values.get("command_id"))
    if not result.applied:
        return await page(request, error=message(result.code), status_code=400)
    return redirect(f"/files/{file.id}/messages")


async def send(request: Request) -> Response:
    file = await load_own_file(request)
    values = await request.form(max_files=20)
    body = str(values.get("body", ""))
    attached: list[dict[str, Any]] = []
    for item in uploaded_files(values, "attachments"):
        try:
            received = await receive(request, item, None)
        except uploads.UploadRefused as refused:
            discard(request, [a["received"] for a in attached])  # nothing of a refused message is kept
            text = f"{item.filename}: {upload_refusal(request, refused)}"
            return await page(request, error=text, body=body, status_code=400)
        finally:
            await item.close()
        attached.append({"received": received, "filename": item.filename or "?"})
    message_id = str(values.get("message_id", "")) or str(uuid.uuid4())
    args = {
        "file_id": file.id,
        "message_id": message_id,
        "body": body,
        "attachments": [{"blob": a["received"].sha256, "filename": a["filename"]} for a in attached],
    }
    if attached:
        try:
            result = await apply_with_blobs(request, [a["received"] for a in attached], "message.send", args)
        except uploads.UploadRefused as refused:
            return await page(request, error=upload_refusal(request, refused), body=body, status_code=400)
    else:
        result = await run_command(request, "message.send", args, str(values.get("command_id", "")))
    if not result.applied:
        return await page(request, error=message(result.code), body=body, status_code=400)
    return redirect(f"/files/{file.id}/messages?done=message_sent#m-{message_id}")


async def attachment(request: Request) -> Response:
    who = actor(request)

    def load(conn: Any) -> tuple[Any, Any]:
        file = files.get(conn, request.path_params["file_id"])
        found = conn.execute(
            "SELECT * FROM messages WHERE id = ? AND file_id = ?",
            (request.path_params["message_id"], request.path_params["file_id"]),
        ).fetchone()
        return file, messages.Message.from_row(found) if found else None

    file, found = await db(request).read(load)
    if file is None or found is None or not policy.is_applicant_of(who, file.owner_id):
        raise not_found()
    index = int(request.path_params["index"])
    if not 0 <= index < len(found.attachments):
        raise not_found()
    item = found.attachments[index]
    return blob_response(request, item["blob"], item["media_type"], item["filename"])
