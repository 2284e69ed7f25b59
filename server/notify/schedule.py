"""Reminders, derived from the timeline (ADR 0023).

The scheduler reads the timeline from a durable cursor (`notify_cursor`), in
order, and turns each event that matters to the person into reminders: one
due at once (a decision, a message from the prefecture) and, for deadlines,
some due later (7 and 2 days before a complement is due, 30 and 7 days before
an attestation ends, the day before an appointment). The cursor moves in the
same transaction as the reminders it produced: a crash before the commit
reads the same events again, after it none. A reminder's id derives from its
person, topic and subject, so deriving again (a restored database, a cursor
set back by hand) adds nothing.

A reminder that became moot (the complement was answered, the attestation
renewed, the appointment moved) is cancelled when it falls due, by looking at
the state of its subject then: the one check that cannot miss an event.

A booking the person made is confirmed to them too (a record on a phone that
may have no data the day before); every other topic is an act of the
prefecture or of Sésame.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server import clock

from .preferences import TIMEZONE

NAMESPACE = uuid.UUID("3b1f7c2e-8d4a-4e0b-9f6d-2a7c5e1b9d40")
CURSOR = "timeline"
BATCH = 500
STAFF = ("agent", "admin")
DEADLINE_HOUR = time(10, 0)  # deadline reminders come mid-morning, Paris time
EVE_HOUR = time(18, 0)  # the day before an appointment, early evening


@dataclass(frozen=True)
class Reminder:
    account_id: str
    topic: str
    ref: str  # kind:id of what it is about
    file_id: str | None
    due_at: datetime

    @property
    def id(self) -> str:
        return str(uuid.uuid5(NAMESPACE, f"{self.account_id}:{self.topic}:{self.ref}"))


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(TIMEZONE))


def _event_reminders(conn: sqlite3.Connection, row: sqlite3.Row) -> list[Reminder]:
    kind = row["kind"]
    person = row["person_id"]
    file_id = row["file_id"]
    data = json.loads(row["data"] or "{}")
    at = clock.parse(row["at"])
    found: list[Reminder] = []

    def now(topic: str, ref: str) -> None:
        found.append(Reminder(person, topic, ref, file_id, at))

    def later(topic: str, ref: str, due: datetime) -> None:
        if due > at:
            found.append(Reminder(person, topic, ref, file_id, due.astimezone(at.tzinfo)))

    if kind == "complement_requested":
        items = data.get("items") or []
        ids = [i.get("id") for i in items if i.get("id")]
        if not ids:
            return []
        first = conn.execute("SELECT request_id FROM complement_items WHERE id = ?", (ids[0],)).fetchone()
        if first is None:
            return []
        ref = f"complement:{first['request_id']}"
        now("complement_asked", ref)
        dues = sorted({str(i.get("due") or "") for i in items if i.get("due")})
        if dues:
            due = date.fromisoformat(dues[0])
            later("complement_due_7", ref, _local(due - timedelta(days=7), DEADLINE_HOUR))
            later("complement_due_2", ref, _local(due - timedelta(days=2), DEADLINE_HOUR))
    elif kind in ("decided", "decision_corrected"):
        now("decision", f"decision:{data.get('decision')}")
    elif kind in ("attestation_issued", "attestation_renewed"):
        if data.get("type") != "provisional":
            return []  # the proof of submission comes with the person's own submission
        ref = f"attestation:{data.get('attestation')}"
        now("attestation_renewed" if kind == "attestation_renewed" else "attestation_issued", ref)
        if data.get("valid_until"):
            ends = date.fromisoformat(data["valid_until"])
            later("attestation_ends_30", ref, _local(ends - timedelta(days=30), DEADLINE_HOUR))
            later("attestation_ends_7", ref, _local(ends - timedelta(days=7), DEADLINE_HOUR))
    elif kind in ("appointment_booked", "appointment_moved"):
        ref = f"appointment:{data.get('appointment')}"
        now(kind, ref)
        starts = datetime.fromisoformat(str(data.get("starts_at")))
        later("appointment_tomorrow", ref, _local(starts.date() - timedelta(days=1), EVE_HOUR))
    elif kind == "message" and row["actor_role"] in STAFF:
        now("prefecture_message", f"message:{data.get('message')}")
    elif kind == "blockage_answered":
        now("blockage_answered", f"blockage:{data.get('report_id')}")
    return found


def moot(conn: sqlite3.Connection, topic: str, ref: str) -> bool:
    """Whether a reminder no longer needs saying, by the state of its subject now."""
    what, _, ident = ref.partition(":")
    if what == "complement" and topic in ("complement_asked", "complement_due_7", "complement_due_2"):
        waiting = conn.execute(
            "SELECT 1 FROM complement_items WHERE request_id = ? AND status = 'asked' LIMIT 1", (ident,)
        ).fetchone()
        return waiting is None
    if what == "attestation" and topic in ("attestation_ends_30", "attestation_ends_7"):
        row = conn.execute("SELECT status FROM attestations WHERE id = ?", (ident,)).fetchone()
        return row is None or row["status"] != "valid"
    if what == "appointment":
        row = conn.execute("SELECT status FROM appointments WHERE id = ?", (ident,)).fetchone()
        return row is None or row["status"] != "booked"
    return False


def insert(conn: sqlite3.Connection, reminder: Reminder, event_id: int | None, now: datetime) -> bool:
    cursor = conn.execute(
        "INSERT OR IGNORE INTO notify_reminders (id, account_id, topic, ref, file_id, event_id, due_at,"
        " state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        (
            reminder.id,
            reminder.account_id,
            reminder.topic,
            reminder.ref,
            reminder.file_id,
            event_id,
            clock.iso(reminder.due_at),
            clock.iso(now),
        ),
    )
    return cursor.rowcount == 1


def position(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT position FROM notify_cursor WHERE name = ?", (CURSOR,)).fetchone()
    return int(row["position"]) if row else 0


def derive(conn: sqlite3.Connection, now: datetime, batch: int = BATCH) -> tuple[int, int]:
    """Read up to `batch` timeline events past the cursor, add their reminders,
    move the cursor; inside the caller's write transaction. Returns (events
    read, reminders added)."""
    start = position(conn)
    rows = conn.execute(
        "SELECT id, file_id, person_id, at, actor_id, actor_role, kind, data FROM timeline"
        " WHERE id > ? ORDER BY id LIMIT ?",
        (start, batch),
    ).fetchall()
    if not rows:
        return 0, 0
    added = 0
    for row in rows:
        for reminder in _event_reminders(conn, row):
            added += insert(conn, reminder, row["id"], now)
    conn.execute(
        "INSERT INTO notify_cursor (name, position, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
        (CURSOR, rows[-1]["id"], clock.iso(now)),
    )
    return len(rows), added
