"""Complements: what an agent asks the person to provide again, item by item.

An item names one piece of the checklist or one field of the file, with the
agent's reason and a due date. Its life:

    asked ──the person adds a file / changes the field──▶ answered
      │                                                     │
      └──────────── closed ◀── agent (withdrawn, decided) ──┴──▶ accepted (agent)

While an item is asked or answered, the person may change exactly that piece
or field, even if the file is locked for review: answering reopens only what
was asked. The file carries a summary the inbox sorts on (migration m005):
`complement_state` is 'asked' while anything is awaited, 'answered' once the
person answered everything and until an agent acts on it, else NULL;
`complement_due` is the earliest due date still awaited.

Pure model: the commands are in `complement_commands.py` (they need the
command helpers of `file_commands.py`, which needs this module).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from . import timeline
from .files import File

KINDS = ("piece", "field")
STATUSES = ("asked", "answered", "accepted", "closed")
OPEN = ("asked", "answered")  # the person may still change what was asked
DEFAULT_DAYS = 30
MIN_DAYS, MAX_DAYS = 8, 120  # a prefecture's default: long enough to get a document, short enough to decide


@dataclass(frozen=True)
class Item:
    id: str
    request_id: str
    file_id: str
    kind: str
    target: str
    reason: str
    due: str
    status: str
    asked_at: str
    asked_by: str | None
    answered_at: str | None
    closed_at: str | None

    @property
    def open(self) -> bool:
        return self.status in OPEN

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Item:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


def for_file(conn: sqlite3.Connection, file_id: str) -> list[Item]:
    """Every item ever asked on a file, oldest first (the history keeps them all)."""
    rows = conn.execute("SELECT * FROM complement_items WHERE file_id = ? ORDER BY asked_at, id", (file_id,))
    return [Item.from_row(r) for r in rows]


def open_items(conn: sqlite3.Connection, file_id: str) -> list[Item]:
    rows = conn.execute(
        "SELECT * FROM complement_items WHERE file_id = ? AND status IN ('asked', 'answered')"
        " ORDER BY due, asked_at, id",
        (file_id,),
    )
    return [Item.from_row(r) for r in rows]


def get(conn: sqlite3.Connection, item_id: str) -> Item | None:
    row = conn.execute("SELECT * FROM complement_items WHERE id = ?", (item_id,)).fetchone()
    return Item.from_row(row) if row else None


def open_by_file(conn: sqlite3.Connection, file_ids: list[str]) -> dict[str, list[Item]]:
    """Open items of several files at once (the dashboard)."""
    found: dict[str, list[Item]] = {}
    if not file_ids:
        return found
    marks = ",".join("?" * len(file_ids))
    rows = conn.execute(
        f"SELECT * FROM complement_items WHERE file_id IN ({marks}) AND status IN ('asked', 'answered')"
        " ORDER BY due, asked_at, id",
        file_ids,
    )
    for row in rows:
        found.setdefault(row["file_id"], []).append(Item.from_row(row))
    return found


# -- per-prefecture settings -------------------------------------------------------


def default_days(conn: sqlite3.Connection, departement: str | None) -> int:
    """How many days a prefecture gives by default to answer a complement."""
    row = conn.execute(
        "SELECT complement_days FROM prefecture_settings WHERE departement = ?", (departement or "",)
    ).fetchone()
    return int(row["complement_days"]) if row else DEFAULT_DAYS


def default_due(conn: sqlite3.Connection, departement: str | None, today: date) -> str:
    return (today + timedelta(days=default_days(conn, departement))).isoformat()


# -- what the person may change --------------------------------------------------


def asked_pieces(conn: sqlite3.Connection, file_id: str) -> set[str]:
    return {i.target for i in open_items(conn, file_id) if i.kind == "piece"}


def asked_fields(conn: sqlite3.Connection, file_id: str) -> set[str]:
    return {i.target for i in open_items(conn, file_id) if i.kind == "field"}


def reopened(conn: sqlite3.Connection, file: File, kind: str, target: str) -> bool:
    """Whether a locked file accepts a change of this piece or field: only what
    an agent asked for, while the item is open."""
    if file.status != "locked":
        return False
    return any(i.kind == kind and i.target == target for i in open_items(conn, file.id))


# -- answering ----------------------------------------------------------------------


def answer(
    conn: sqlite3.Connection,
    file: File,
    kind: str,
    targets: list[str],
    *,
    at: str,
    actor_id: str | None,
    actor_role: str | None,
    command_id: str,
    version: int,
) -> list[Item]:
    """The person added a file to a piece, or changed a field: the asked items
    for it become answered. Returns the items answered now (none if nothing
    was asked)."""
    items = [i for i in open_items(conn, file.id) if i.kind == kind and i.target in targets]
    newly = [i for i in items if i.status == "asked"]
    for item in newly:
        conn.execute(
            "UPDATE complement_items SET status = 'answered', answered_at = ?, version = ? WHERE id = ?",
            (at, version, item.id),
        )
    if newly:
        remaining = [i for i in open_items(conn, file.id) if i.status == "asked"]
        timeline.record(
            conn,
            kind="complement_answered",
            person_id=file.owner_id,
            file_id=file.id,
            actor_id=actor_id,
            actor_role=actor_role,
            version=version,
            after_submission=True,
            command_id=command_id,
            at=at,
            items=[{"id": i.id, "kind": i.kind, "target": i.target} for i in newly],
            remaining=len(remaining),
        )
        refresh(conn, file.id, version)
    return newly


def refresh(conn: sqlite3.Connection, file_id: str, version: int) -> None:
    """Recompute the file's complement summary from its items."""
    items = open_items(conn, file_id)
    asked = [i for i in items if i.status == "asked"]
    if asked:
        state: str | None = "asked"
        due: str | None = min(i.due for i in asked)
    elif items:
        state, due = "answered", None
    else:
        state, due = None, None
    current = conn.execute(
        "SELECT complement_state, complement_due FROM files WHERE id = ?", (file_id,)
    ).fetchone()
    if current and (current["complement_state"], current["complement_due"]) != (state, due):
        conn.execute(
            "UPDATE files SET complement_state = ?, complement_due = ?, version = ? WHERE id = ?",
            (state, due, version, file_id),
        )


def settle(
    conn: sqlite3.Connection,
    file_id: str,
    status: str,
    at: str,
    version: int,
    item_ids: list[str] | None = None,
) -> list[Item]:
    """Agent side: open items (all, or those named) become accepted or closed."""
    assert status in ("accepted", "closed")
    items = [i for i in open_items(conn, file_id) if item_ids is None or i.id in item_ids]
    for item in items:
        conn.execute(
            "UPDATE complement_items SET status = ?, closed_at = ?, version = ? WHERE id = ?",
            (status, at, version, item.id),
        )
    if items:
        refresh(conn, file_id, version)
    return items


def accept_piece(conn: sqlite3.Connection, file: File, piece: str, at: str, version: int) -> list[Item]:
    """An agent accepted a piece: what was asked for it (and answered) is settled."""
    ids = [
        i.id for i in open_items(conn, file.id) if i.kind == "piece" and i.target == piece and i.answered_at
    ]
    return settle(conn, file.id, "accepted", at, version, ids) if ids else []
