"""What an organisation's workers see of the people they follow: their files
and what needs action, within each person's mandate (a one-file mandate shows
that file only) — and counts for the organisation's own reports, with no
personal data in them."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server import clock

from . import mandates
from .files import STATUSES, File

ENDING_DAYS = 30


@dataclass(frozen=True)
class Action:
    kind: str  # complement | attestation_ending | appointment_to_book
    person_id: str
    person: str
    file_id: str
    number: str
    when: str | None  # the date it is due, or ends


@dataclass
class Person:
    followed: mandates.Followed
    files: list[File] = field(default_factory=list)


def _files(conn: sqlite3.Connection, person_id: str, mandate: mandates.Mandate) -> list[File]:
    sql = "SELECT * FROM files WHERE owner_id = ?"
    params: list[Any] = [person_id]
    if mandate.file_id is not None:
        sql += " AND id = ?"
        params.append(mandate.file_id)
    return [File.from_row(r) for r in conn.execute(sql + " ORDER BY created_at DESC, number DESC", params)]


def people(conn: sqlite3.Connection, organisation_id: str | None, now: datetime) -> list[Person]:
    return [
        Person(f, _files(conn, f.id, f.mandate)) for f in mandates.people_followed(conn, organisation_id, now)
    ]


def _marks(ids: list[str]) -> str:
    return ",".join("?" * len(ids))


def actions(followed: list[Person], conn: sqlite3.Connection, now: datetime) -> list[Action]:
    """Complements due (with their date), attestations ending within 30 days,
    cards ready with no appointment booked to fetch them; the soonest first."""
    by_file = {f.id: (p, f) for p in followed for f in p.files}
    if not by_file:
        return []
    ids = list(by_file)
    found: list[Action] = []

    def add(kind: str, file_id: str, when: str | None) -> None:
        person, file = by_file[file_id]
        found.append(
            Action(kind, person.followed.id, person.followed.display_name, file_id, file.number, when)
        )

    for row in conn.execute(
        f"SELECT file_id, min(due) AS due FROM complement_items WHERE file_id IN ({_marks(ids)})"
        " AND status = 'asked' GROUP BY file_id",
        ids,
    ):
        add("complement", row["file_id"], row["due"])
    soon = clock.iso(now + timedelta(days=ENDING_DAYS))
    for row in conn.execute(
        f"SELECT file_id, min(valid_until) AS until FROM attestations WHERE file_id IN ({_marks(ids)})"
        " AND status = 'valid' AND valid_until IS NOT NULL AND valid_until <= ? GROUP BY file_id",
        [*ids, soon],
    ):
        add("attestation_ending", row["file_id"], row["until"])
    for row in conn.execute(
        f"SELECT c.file_id FROM cards c WHERE c.file_id IN ({_marks(ids)}) AND c.status = 'ready'"
        " AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.file_id = c.file_id AND a.status = 'booked')",
        ids,
    ):
        add("appointment_to_book", row["file_id"], None)
    return sorted(found, key=lambda a: (a.when or "9999", a.person, a.number))


def counts(conn: sqlite3.Connection, organisation_id: str | None, now: datetime) -> list[tuple[str, int]]:
    """The organisation's figures, counts only: never a name, a number or a date
    of birth (the export is for its own reports)."""
    followed = people(conn, organisation_id, now)
    files = [f for p in followed for f in p.files]
    ids = [f.id for f in files]
    by_state = Counter(f.status for f in files)
    rows: list[tuple[str, int]] = [
        ("people_followed", len(followed)),
        ("people_on_paper_mandate", sum(1 for p in followed if p.followed.mandate.on_paper)),
        ("people_view_only", sum(1 for p in followed if not p.followed.mandate.can_act)),
        ("files", len(files)),
    ]
    rows += [(f"files_{status}", by_state.get(status, 0)) for status in STATUSES]
    answered = late = 0
    if ids:
        row = conn.execute(
            f"SELECT sum(answered_at IS NOT NULL AND substr(answered_at, 1, 10) <= due) AS in_time,"
            f" sum(answered_at IS NOT NULL AND substr(answered_at, 1, 10) > due) AS late"
            f" FROM complement_items WHERE file_id IN ({_marks(ids)})",
            ids,
        ).fetchone()
        answered, late = row["in_time"] or 0, row["late"] or 0
    rows += [("complements_answered_in_time", answered), ("complements_answered_late", late)]
    rows.append(("actions_needed", len(actions(followed, conn, now))))
    return rows
