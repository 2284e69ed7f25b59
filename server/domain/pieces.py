"""Pieces: each checklist item of a file holds any number of files (pages,
photos, PDFs). Files can be added, replaced or removed until the file is
locked (after that, only the pieces an agent asked for again: see
`complements.py`); removed ones are kept (the timeline refers to them), only hidden.

Refusal codes: piece_unknown [piece]; blob_unknown [blob]; file_type_refused
[blob] (data: accepted); not_found [attachment_id]; file_locked, file_closed;
filename_invalid [filename].
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from server import clock
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

from . import complements, uploads
from .file_commands import answered, catalogue, editable, note, own_file, when
from .files import File


@dataclass(frozen=True)
class Attachment:
    id: str
    file_id: str
    piece: str
    blob: str
    filename: str
    media_type: str
    size: int
    added_at: str
    added_by: str | None
    removed_at: str | None
    replaces: str | None
    after_submission: bool
    pages: int | None = None  # a PDF's page count (its blob's), when known

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Attachment:
        present = set(row.keys())
        values = {k: row[k] for k in cls.__dataclass_fields__ if k in present}
        values["after_submission"] = bool(values["after_submission"])
        return cls(**values)


def current(conn: sqlite3.Connection, file_id: str) -> list[Attachment]:
    rows = conn.execute(
        "SELECT a.*, b.pages FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.blob"
        " WHERE a.file_id = ? AND a.removed_at IS NULL ORDER BY a.added_at, a.rowid",
        (file_id,),
    )
    return [Attachment.from_row(r) for r in rows]


def get(conn: sqlite3.Connection, attachment_id: str) -> Attachment | None:
    row = conn.execute(
        "SELECT a.*, b.pages FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.blob WHERE a.id = ?",
        (attachment_id,),
    ).fetchone()
    return Attachment.from_row(row) if row else None


def clean_filename(value: Any) -> str:
    if value is not None and not isinstance(value, str):
        raise Refused("filename_invalid", "filename")
    name = (value or "").replace("\\", "/").split("/")[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:150]
    if not name or name in (".", ".."):
        raise Refused("filename_invalid", "filename")
    return name


def _new_id(value: Any) -> str:
    try:
        return str(uuid.UUID(value if isinstance(value, str) else ""))
    except ValueError:
        raise Refused("invalid", "attachment_id") from None


def _insert(
    ctx: Context[Actor], file: File, piece: str, args: dict[str, Any], replaces: str | None
) -> Attachment:
    cat = catalogue()
    if piece not in {item.piece.id for item in cat.checklist(file.procedure, file.grounds)}:
        raise Refused("piece_unknown", "piece")
    blob = uploads.granted(ctx.conn, text(args, "blob"), ctx.actor.account_id)
    if blob is None:
        raise Refused("blob_unknown", "blob")
    accepted = cat.media_types(piece)
    if blob["media_type"] not in accepted:
        raise Refused("file_type_refused", "blob", accepted=sorted(accepted))
    attachment_id = _new_id(args.get("attachment_id"))
    if get(ctx.conn, attachment_id) is not None:
        raise Refused("exists", "attachment_id")
    ctx.conn.execute(
        "INSERT INTO attachments (id, file_id, piece, blob, filename, media_type, size, added_at, added_by,"
        " replaces, after_submission, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            attachment_id,
            file.id,
            piece,
            blob["sha256"],
            clean_filename(args.get("filename")),
            blob["media_type"],
            blob["size"],
            when(ctx),
            ctx.actor.account_id,
            replaces,
            int(file.submitted),
            ctx.version,
        ),
    )
    _touch(ctx, file)
    found = get(ctx.conn, attachment_id)
    assert found is not None
    return found


def _touch(ctx: Context[Actor], file: File) -> None:
    ctx.conn.execute(
        "UPDATE files SET updated_at = ?, version = ? WHERE id = ?",
        (clock.iso(clock.now()), ctx.version, file.id),
    )


def _own_attachment(ctx: Context[Actor], file: File, args: dict[str, Any]) -> Attachment:
    found = get(ctx.conn, text(args, "attachment_id"))
    if found is None or found.file_id != file.id or found.removed_at:
        raise Refused("not_found", "attachment_id")
    return found


def changeable(ctx: Context[Actor], file: File, piece: str) -> None:
    """A piece may change while the file is editable, or when an agent asked for it again."""
    if not complements.reopened(ctx.conn, file, "piece", piece):
        editable(file)


def attach(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`piece.attach` {file_id, piece, attachment_id, blob, filename}: add one file to a checklist item."""
    file = own_file(ctx, args)
    piece = text(args, "piece")
    changeable(ctx, file, piece)
    added = _insert(ctx, file, piece, args, None)
    note_added(ctx, file, added)
    answered(ctx, file, "piece", [added.piece])
    return {"attachment_id": added.id}


def note_added(ctx: Context[Actor], file: File, added: Attachment) -> None:
    """The timeline line for a file added to a piece (by the person, or from paper)."""
    note(
        ctx,
        file,
        "piece_added",
        piece=added.piece,
        filename=added.filename,
        attachment=added.id,
        size=added.size,
    )


def _take_off(ctx: Context[Actor], args: dict[str, Any]) -> tuple[File, Attachment]:
    """The file and the attachment named in args, now marked removed (kept for history)."""
    file = own_file(ctx, args)
    old = _own_attachment(ctx, file, args)
    changeable(ctx, file, old.piece)
    ctx.conn.execute(
        "UPDATE attachments SET removed_at = ?, version = ? WHERE id = ?", (when(ctx), ctx.version, old.id)
    )
    return file, old


def remove(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`piece.remove` {file_id, attachment_id}."""
    file, old = _take_off(ctx, args)
    _touch(ctx, file)
    note(ctx, file, "piece_removed", piece=old.piece, filename=old.filename, attachment=old.id)
    return {}


def replace(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`piece.replace` {file_id, attachment_id, new_attachment_id, blob, filename}."""
    file, old = _take_off(ctx, args)
    added = _insert(ctx, file, old.piece, {**args, "attachment_id": args.get("new_attachment_id")}, old.id)
    note(
        ctx,
        file,
        "piece_replaced",
        piece=old.piece,
        filename=added.filename,
        old_filename=old.filename,
        attachment=added.id,
    )
    answered(ctx, file, "piece", [added.piece])
    return {"attachment_id": added.id}


HANDLERS = {"piece.attach": attach, "piece.remove": remove, "piece.replace": replace}
