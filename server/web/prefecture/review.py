"""A file under review: the agent's page, its files, and the agent's acts on it
(lock, unlock, accept a piece, write to the person).

Reading comes after the `file.view` command has committed its audit row (the
page) or after one per file opened (an image, a PDF): nothing of a person's
file leaves the server unrecorded.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock, translation
from server import commands as command_registry
from server.domain import (
    appointments,
    attestations,
    cards,
    catalogue,
    complements,
    decisions,
    files,
    messages,
    pieces,
    review,
    timeline,
    uploads,
)
from server.domain.files import File
from server.web.common import actor, command_id, db, form, not_found, redirect, run_command
from server.web.pieces import apply_with_blobs, blob_response, receive, upload_refusal, uploaded_files
from sync.protocol import Command, Result

from .common import NO_STORE, render, reviewed_file
from .words import done, message


def _command(request: Request, op: str, args: dict[str, Any]) -> Command:
    who = actor(request)
    return Command(
        id=str(uuid.uuid4()),
        client=f"web:{(who.session_id or '')[:12]}",
        seq=0,
        op=op,
        args=args,
        at=clock.iso(clock.now()),
    )


async def _open(request: Request, file: File) -> Result:
    """Mark the person's messages read (the page shows them) and record the
    visit, in one transaction, committed before the page is rendered. Read
    first, so marking them read is not itself "a change since the visit"."""
    who = actor(request)
    read = _command(request, "message.read", {"file_id": file.id})
    view = _command(request, "file.view", {"file_id": file.id})

    def apply(conn: Any) -> Result:
        unread = conn.execute(
            "SELECT 1 FROM messages WHERE file_id = ? AND author_role = 'applicant' AND read_at IS NULL LIMIT 1",
            (file.id,),
        ).fetchone()
        if unread:
            command_registry.apply(conn, read, who)
        return command_registry.apply(conn, view, who)

    return await db(request).write(apply)


def _load(conn: Any, file: File, since: int | None, since_at: str | None) -> dict[str, Any]:
    cat = catalogue.load()
    return {
        "file": files.get(conn, file.id) or file,  # as it is now, in the same snapshot
        "values": files.field_values(conn, file.id),
        "pieces": review.piece_views(conn, file, cat, since),
        "events": timeline.for_file(conn, file.id),
        "thread": messages.thread(conn, file.id),
        "holder": review.holder(conn, file.id),
        "complement_items": complements.open_items(conn, file.id),
        "decisions": decisions.for_file(conn, file.id),
        "attestation_list": attestations.for_file(conn, file.id),
        "right_until_now": conn.execute("SELECT right_until FROM files WHERE id = ?", (file.id,)).fetchone()[
            0
        ],
        "attestation_days": attestations.after_days(conn, file.departement),
        "card": cards.get(conn, file.id),
        "appointment": appointments.current(conn, file.id),
        "changes": review.changes_since(conn, file.id, since, since_at or "") if since is not None else None,
        "staff_names": dict(
            conn.execute(
                "SELECT id, display_name FROM accounts WHERE role IN ('agent', 'admin') AND id IN"
                " (SELECT author_id FROM messages WHERE file_id = ?)",
                (file.id,),
            ).fetchall()
        ),
    }


async def page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    kept: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    file = await reviewed_file(request)
    opened = await _open(request, file)
    if not opened.applied:
        raise not_found()
    since = opened.data.get("previous_version")
    data = await db(request).read(_load, file, since, opened.data.get("previous_at"))
    file = data["file"]
    cat = catalogue.load()
    lang = translation.current.get()
    return render(
        request,
        "prefecture/file.html",
        {
            **data,
            "catalogue": cat,
            "fields_by_step": {
                s: [f for f in files.fields_for(file.procedure) if f.step == s] for s in files.STEPS
            },
            "first_visit": since is None,
            # The permit's end or the provisional attestation's, whichever is later (ADR 0015).
            "right_until": data["right_until_now"] or files.right_until(data["values"]),
            "errors": errors or {},
            "kept": kept or {},
            "done": done(request.query_params.get("done")),
            "today": clock.now().date().isoformat(),
            "piece_label": lambda piece: cat.pieces[piece].label(lang) if piece in cat.pieces else piece,
        },
        status_code=status_code,
    )


async def attachment(request: Request) -> Response:
    """One file of a piece, shown in the browser (images inline, PDFs in its
    viewer), after its audit row is committed. Never cached."""
    file = await reviewed_file(request)
    attachment_id = request.path_params["attachment_id"]
    result = await db(request).write(
        command_registry.apply,
        _command(request, "file.view", {"file_id": file.id, "attachment_id": attachment_id}),
        actor(request),
    )
    if not result.applied:
        raise not_found()
    found = await db(request).read(pieces.get, attachment_id)
    if found is None:
        raise not_found()
    response = blob_response(request, found.blob, found.media_type, found.filename)
    response.headers.update(NO_STORE)
    return response


async def message_attachment(request: Request) -> Response:
    """A file joined to a message of the person, after its audit row."""
    file = await reviewed_file(request)
    message_id = request.path_params["message_id"]
    result = await db(request).write(
        command_registry.apply,
        _command(request, "file.view", {"file_id": file.id, "message_id": message_id}),
        actor(request),
    )
    if not result.applied:
        raise not_found()
    thread = await db(request).read(messages.thread, file.id)
    found = next((m for m in thread if m.id == message_id), None)
    index = int(request.path_params["index"])
    if found is None or not 0 <= index < len(found.attachments):
        raise not_found()
    item = found.attachments[index]
    response = blob_response(request, item["blob"], item["media_type"], item["filename"])
    response.headers.update(NO_STORE)
    return response


async def _act(request: Request, op: str, done_code: str) -> Response:
    file = await reviewed_file(request)
    values = await form(request)
    result = await run_command(request, op, {"file_id": file.id}, values.get("command_id"))
    if result.applied:
        return redirect(f"/prefecture/files/{file.id}?done={done_code}")
    return await page(request, errors={"form": message(result.code)}, status_code=400)


async def lock(request: Request) -> Response:
    return await _act(request, "file.lock", "locked")


async def unlock(request: Request) -> Response:
    return await _act(request, "file.unlock", "unlocked")


async def accept(request: Request) -> Response:
    file = await reviewed_file(request)
    piece = request.path_params["piece_id"]
    values = await form(request)
    note = values.get("note", "")
    result = await run_command(
        request, "piece.accept", {"file_id": file.id, "piece": piece, "note": note}, values.get("command_id")
    )
    if result.applied:
        return redirect(f"/prefecture/files/{file.id}?done=piece_accepted#piece-{piece}")
    return await page(
        request,
        errors={f"piece-{piece}": message(result.code)},
        kept={f"note-{piece}": note},
        status_code=400,
    )


async def send_message(request: Request) -> Response:
    """The agent writes to the person, with files if need be (a form to fill in,
    a list of what to bring): checked like the person's own uploads."""
    file = await reviewed_file(request)
    values = await request.form(max_files=20)
    body = str(values.get("body", ""))
    received = []
    for item in uploaded_files(values, "attachments"):
        try:
            received.append((await receive(request, item, None), item.filename or "?"))
        except uploads.UploadRefused as refused:
            text = f"{item.filename}: {upload_refusal(request, refused)}"
            return await page(request, errors={"body": text}, kept={"body": body}, status_code=400)
        finally:
            await item.close()
    args = {
        "file_id": file.id,
        "message_id": command_id(str(values.get("message_id", ""))),
        "body": body,
        "attachments": [{"blob": r.sha256, "filename": name} for r, name in received],
    }
    if received:
        result = await apply_with_blobs(request, [r for r, _ in received], "message.send", args)
    else:
        result = await run_command(request, "message.send", args, str(values.get("command_id", "")))
    if result.applied:
        return redirect(f"/prefecture/files/{file.id}?done=message_sent#messages")
    return await page(request, errors={"body": message(result.code)}, kept={"body": body}, status_code=400)
