"""A file under review in the back office: the agent's visits, what changed
since, the pieces with their files and who accepted them.

Commands (each audited by `server/commands.py`, like every staff command):

- `file.view` {file_id, attachment_id? | message_id?}: an agent opens a file,
  one of its pieces' files, or a file joined to a message. The audit row is committed before anything is sent. The person's
  timeline gets "viewed by the prefecture" once per agent, file and day (the
  service, never the agent's name). Opening the file (no attachment) moves the
  agent's visit stamp; the result carries the previous one, so the page can
  show what changed since.
- `piece.accept` {file_id, piece, note?}: the agent accepts a piece as it is.
  ("To be provided again" is a complement request, `server/domain/complements.py`.)

Refusal codes: not_found [file_id | attachment_id]; piece_unknown, piece_empty
[piece]; note_too_long [note]; file_closed (decided or withdrawn).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from server import clock
from server.auth import policy
from server.auth.policy import Actor
from sync import log
from sync.engine import Context, Refused, text

from . import complements, files, pieces, timeline
from .catalogue import Catalogue
from .file_commands import catalogue, note
from .files import File

NOTE_MAX = 1000
REVIEWABLE = ("submitted", "locked")


def reviewed_file(ctx: Context[Actor], args: dict[str, Any]) -> File:
    """The file in args, if the actor is staff of the prefecture it was sent to."""
    file = files.get(ctx.conn, text(args, "file_id"))
    if file is None or not policy.may_review(ctx.actor, file.departement, file.submitted_at):
        raise Refused("not_found", "file_id")
    return file


def view(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`file.view` {file_id, attachment_id?}: see the module's docstring."""
    file = reviewed_file(ctx, args)
    attachment_id = args.get("attachment_id")
    message_id = args.get("message_id")
    if attachment_id is not None:
        found = pieces.get(ctx.conn, str(attachment_id))
        if found is None or found.file_id != file.id:
            raise Refused("not_found", "attachment_id")
    if (
        message_id is not None
        and not ctx.conn.execute(
            "SELECT 1 FROM messages WHERE id = ? AND file_id = ?", (str(message_id), file.id)
        ).fetchone()
    ):
        raise Refused("not_found", "message_id")
    now = clock.now()
    today = now.date().isoformat()
    seen_today = ctx.conn.execute(
        "SELECT 1 FROM timeline WHERE file_id = ? AND kind = 'viewed' AND actor_id = ? AND at >= ? LIMIT 1",
        (file.id, ctx.actor.account_id, today),
    ).fetchone()
    if not seen_today:
        # Not `note`: the time is the server's (when the data left), not the command's.
        timeline.record(
            ctx.conn,
            kind="viewed",
            person_id=file.owner_id,
            file_id=file.id,
            actor_id=ctx.actor.account_id,
            actor_role=ctx.actor.role,
            version=ctx.version,
            after_submission=True,
            command_id=ctx.command.id,
            at=clock.iso(now),
            departement=file.departement,
        )
    if attachment_id is not None or message_id is not None:
        return {}
    previous = ctx.conn.execute(
        "SELECT seen_version, seen_at FROM file_visits WHERE account_id = ? AND file_id = ?",
        (ctx.actor.account_id, file.id),
    ).fetchone()
    ctx.conn.execute(
        "INSERT INTO file_visits (account_id, file_id, seen_version, seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (account_id, file_id) DO UPDATE SET seen_version = excluded.seen_version,"
        " seen_at = excluded.seen_at",
        (ctx.actor.account_id, file.id, log.current_version(ctx.conn), clock.iso(now)),
    )
    return {
        "previous_version": previous["seen_version"] if previous else None,
        "previous_at": previous["seen_at"] if previous else None,
    }


def accept(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`piece.accept` {file_id, piece, note?}: the piece is accepted as it is."""
    file = reviewed_file(ctx, args)
    if file.status not in REVIEWABLE:
        raise Refused("file_closed")
    piece = text(args, "piece")
    if piece not in {item.piece.id for item in catalogue().checklist(file.procedure, file.grounds)}:
        raise Refused("piece_unknown", "piece")
    if not ctx.conn.execute(
        "SELECT 1 FROM attachments WHERE file_id = ? AND piece = ? AND removed_at IS NULL LIMIT 1",
        (file.id, piece),
    ).fetchone():
        raise Refused("piece_empty", "piece")
    remark = " ".join(text(args, "note").split())
    if len(remark) > NOTE_MAX:
        raise Refused("note_too_long", "note")
    ctx.conn.execute(
        "INSERT INTO piece_reviews (file_id, piece, state, note, by_id, at, command_id, version)"
        " VALUES (?, ?, 'accepted', ?, ?, ?, ?, ?) ON CONFLICT (file_id, piece) DO UPDATE SET"
        " state = excluded.state, note = excluded.note, by_id = excluded.by_id, at = excluded.at,"
        " command_id = excluded.command_id, version = excluded.version",
        (file.id, piece, remark, ctx.actor.account_id, clock.iso(clock.now()), ctx.command.id, ctx.version),
    )
    note(ctx, file, "piece_accepted", piece=piece, note=remark)
    # What was asked again for this piece, and answered, is settled by accepting it.
    complements.accept_piece(ctx.conn, file, piece, clock.iso(clock.now()), ctx.version)
    return {"piece": piece, "state": "accepted"}


HANDLERS = {"file.view": view, "piece.accept": accept}


# -- reading, for the file page --------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who holds the file for review, and since when."""

    account_id: str
    name: str
    since: str | None


def holder(conn: sqlite3.Connection, file_id: str) -> Holder | None:
    row = conn.execute(
        "SELECT f.locked_by, f.locked_at, a.display_name FROM files f LEFT JOIN accounts a ON a.id = f.locked_by"
        " WHERE f.id = ? AND f.status = 'locked' AND f.locked_by IS NOT NULL",
        (file_id,),
    ).fetchone()
    return Holder(row["locked_by"], row["display_name"] or "?", row["locked_at"]) if row else None


@dataclass(frozen=True)
class Acceptance:
    by_name: str
    at: str
    note: str
    version: int


@dataclass(frozen=True)
class PieceView:
    """One piece of the file as the agent sees it. Complements (asked again,
    answered) join here as more per-piece state when they exist."""

    piece: str
    in_checklist: bool
    optional: bool
    attachments: list[pieces.Attachment]
    accepted: Acceptance | None
    changed_since_accepted: bool  # files added or removed after the acceptance
    new_since_visit: frozenset[str] = field(default_factory=frozenset)  # attachment ids


def piece_views(
    conn: sqlite3.Connection, file: File, cat: Catalogue, since_version: int | None
) -> list[PieceView]:
    """Every piece of the checklist, then any piece holding files that the
    checklist no longer asks for (the grounds changed after the upload)."""
    rows = conn.execute(
        "SELECT * FROM attachments WHERE file_id = ? ORDER BY added_at, id", (file.id,)
    ).fetchall()
    current: dict[str, list[pieces.Attachment]] = {}
    last_change: dict[str, int] = {}
    new: dict[str, set[str]] = {}
    for row in rows:
        item = pieces.Attachment.from_row(row)
        last_change[item.piece] = max(last_change.get(item.piece, 0), int(row["version"]))
        if item.removed_at is None:
            current.setdefault(item.piece, []).append(item)
            if since_version is not None and int(row["version"]) > since_version:
                new.setdefault(item.piece, set()).add(item.id)
    accepted = {
        r["piece"]: Acceptance(r["by_name"] or "?", r["at"], r["note"] or "", int(r["version"]))
        for r in conn.execute(
            "SELECT p.*, a.display_name AS by_name FROM piece_reviews p LEFT JOIN accounts a ON a.id = p.by_id"
            " WHERE p.file_id = ? AND p.state = 'accepted'",
            (file.id,),
        )
    }
    checklist = cat.checklist(file.procedure, file.grounds)
    listed = [item.piece.id for item in checklist]
    optional = {item.piece.id: item.optional for item in checklist}
    extra = [p for p in current if p not in listed]
    views = []
    for piece in listed + extra:
        acceptance = accepted.get(piece)
        views.append(
            PieceView(
                piece=piece,
                in_checklist=piece in optional,
                optional=optional.get(piece, True),
                attachments=current.get(piece, []),
                accepted=acceptance,
                changed_since_accepted=bool(acceptance and last_change.get(piece, 0) > acceptance.version),
                new_since_visit=frozenset(new.get(piece, set())),
            )
        )
    return views


@dataclass(frozen=True)
class Changes:
    """What the person changed after the agent's previous visit."""

    since_at: str
    fields: list[str]
    pieces: list[str]  # pieces whose files were added or removed
    messages: int

    @property
    def any(self) -> bool:
        return bool(self.fields or self.pieces or self.messages)


def changes_since(conn: sqlite3.Connection, file_id: str, version: int, since_at: str) -> Changes:
    fields = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM file_fields WHERE file_id = ? AND version > ? ORDER BY name", (file_id, version)
        )
    ]
    changed_pieces = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT piece FROM attachments WHERE file_id = ? AND version > ? ORDER BY piece",
            (file_id, version),
        )
    ]
    messages = conn.execute(
        "SELECT count(*) FROM messages WHERE file_id = ? AND version > ? AND author_role = 'applicant'",
        (file_id, version),
    ).fetchone()[0]
    return Changes(since_at, fields, changed_pieces, int(messages))
