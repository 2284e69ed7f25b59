"""Messages: one thread per file between the person and the prefecture, with
attachments and read / unread state (a message is read when the other side
has opened the thread).

Refusal codes: body_required, body_too_long [body]; blob_unknown [attachments];
exists [message_id]; not_found [file_id].
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from server.auth import policy
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

from . import uploads
from .file_commands import load_file, note, when
from .pieces import clean_filename

BODY_MAX = 5000
ATTACHMENTS_MAX = 20  # files with one message


@dataclass(frozen=True)
class Message:
    id: str
    file_id: str
    author_id: str
    author_role: str
    body: str
    attachments: list[dict[str, Any]]
    sent_at: str
    read_at: str | None

    @property
    def from_prefecture(self) -> bool:
        return self.author_role in ("agent", "admin")

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Message:
        values = {k: row[k] for k in cls.__dataclass_fields__}
        values["attachments"] = json.loads(row["attachments"] or "[]")
        return cls(**values)


def thread(conn: sqlite3.Connection, file_id: str) -> list[Message]:
    rows = conn.execute("SELECT * FROM messages WHERE file_id = ? ORDER BY sent_at, id", (file_id,))
    return [Message.from_row(r) for r in rows]


def unread_for_applicant(conn: sqlite3.Connection, owner_id: str) -> dict[str, int]:
    """Per file, how many messages from the prefecture the person has not read."""
    rows = conn.execute(
        "SELECT m.file_id, count(*) AS n FROM messages m JOIN files f ON f.id = m.file_id"
        " WHERE f.owner_id = ? AND m.author_role IN ('agent', 'admin') AND m.read_at IS NULL GROUP BY m.file_id",
        (owner_id,),
    )
    return {r["file_id"]: r["n"] for r in rows}


def _side(actor: Actor, owner_id: str, departement: str | None) -> str:
    if policy.is_applicant_of(actor, owner_id):
        return "applicant"
    if policy.is_agent_of(actor, departement):
        return "agent"
    raise Refused("not_found", "file_id")


def send(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`message.send` {file_id, message_id, body, attachments: [{blob, filename}]}."""
    file = load_file(ctx, args)
    side = _side(ctx.actor, file.owner_id, file.departement)
    body = text(args, "body").strip()
    if not body:
        raise Refused("body_required", "body")
    if len(body) > BODY_MAX:
        raise Refused("body_too_long", "body")
    try:
        message_id = str(uuid.UUID(text(args, "message_id")))
    except ValueError:
        raise Refused("invalid", "message_id") from None
    if ctx.conn.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,)).fetchone():
        raise Refused("exists", "message_id")
    attached = []
    listed = args.get("attachments") or []
    if not isinstance(listed, list) or len(listed) > ATTACHMENTS_MAX:
        raise Refused("invalid", "attachments")
    for item in listed:
        if not isinstance(item, dict) or not isinstance(item.get("blob"), str):
            raise Refused("invalid", "attachments")
        blob = uploads.granted(ctx.conn, item["blob"], ctx.actor.account_id)
        if blob is None:
            raise Refused("blob_unknown", "attachments")
        attached.append(
            {
                "blob": blob["sha256"],
                "filename": clean_filename(item.get("filename")),
                "media_type": blob["media_type"],
                "size": blob["size"],
            }
        )
    ctx.conn.execute(
        "INSERT INTO messages (id, file_id, author_id, author_role, body, attachments, sent_at, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message_id,
            file.id,
            ctx.actor.account_id,
            side if side == "applicant" else ctx.actor.role,
            body,
            json.dumps(attached, ensure_ascii=False),
            when(ctx),
            ctx.version,
        ),
    )
    note(ctx, file, "message", message=message_id, side=side, attachments=len(attached))
    return {"message_id": message_id}


def mark_read(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`message.read` {file_id}: the reader has seen the other side's messages."""
    file = load_file(ctx, args)
    side = _side(ctx.actor, file.owner_id, file.departement)
    other = "author_role IN ('agent', 'admin')" if side == "applicant" else "author_role = 'applicant'"
    cursor = ctx.conn.execute(
        f"UPDATE messages SET read_at = ?, version = ? WHERE file_id = ? AND read_at IS NULL AND {other}",
        (when(ctx), ctx.version, file.id),
    )
    return {"read": cursor.rowcount}


HANDLERS = {"message.send": send, "message.read": mark_read}
