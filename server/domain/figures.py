"""Service figures, measured from Sésame's own data, for staff and in the open.

Per prefecture (or nationally, `code=None`): files by state, how long files
take (median and 90th percentile, in days, over the files that reached the
step in the last `WINDOW_DAYS` days), complements still awaited, "I'm
blocked" reports not answered (and past their due date), and what people
answered to the optional question "Was this clear?".

- "to review" runs from submission to the agent taking the file for review
  (`locked_at`): provisional attestations and a "complete" state are not part
  of this code yet, so the figure says what it measures and nothing more;
- "to decision" from submission to the decision;
- "to card" from submission to the card handed over.

Percentiles are nearest-rank (the value at rank ceil(n × p)), ranked inside
SQLite with a window function: only three numbers leave the database.

Public figures (`public()`) carry no personal data, only counts and
durations, and counts under `SMALL` are shown as "< 5" (with their durations
left out) so that nobody can be singled out in a small prefecture.

Every query reads indexes made for it (m014): a whole country's 200,000
files answer in milliseconds (bench/figures.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from server import clock

from . import voice

WINDOW_DAYS = 90
SMALL = 5
STATUSES = ("submitted", "locked", "decided", "withdrawn")


@dataclass(frozen=True)
class Duration:
    count: int
    median: float | None  # days
    p90: float | None

    def hidden(self) -> Duration:
        """For public pages: a small count is not shown exactly, nor its durations."""
        return Duration(self.count, None, None) if self.count < SMALL else self


@dataclass(frozen=True)
class Figures:
    code: str | None
    backlog: dict[str, int]
    to_review: Duration
    to_decision: Duration
    to_card: Duration
    complements_open: int
    complements_overdue: int
    cards_waiting: int  # ready, not yet handed over
    reports_open: int  # "I'm blocked" reports not answered yet
    reports_overdue: int  # of which past the date the prefecture had to answer by
    voice: dict[str, dict[str, int]]  # per context: answers, and how many said clear / partly / not
    window_days: int = WINDOW_DAYS
    since: str = ""
    computed_at: str = ""


def _percentiles(conn: sqlite3.Connection, days_sql: str, where: str, params: tuple[str, ...]) -> Duration:
    """Count, median and 90th percentile (nearest rank) of a duration in days,
    ranked inside SQLite: only three numbers leave the database."""
    row = conn.execute(
        f"WITH d AS (SELECT {days_sql} AS days {where}),"
        " r AS (SELECT days, row_number() OVER (ORDER BY days) AS k, count(*) OVER () AS n FROM d"
        " WHERE days >= 0)"
        " SELECT max(n) AS n,"
        " max(CASE WHEN k = CAST((n * 5 + 9) / 10 AS INTEGER) THEN days END) AS median,"
        " max(CASE WHEN k = CAST((n * 9 + 9) / 10 AS INTEGER) THEN days END) AS p90 FROM r",
        params,
    ).fetchone()
    count = int(row["n"] or 0)
    if not count:
        return Duration(0, None, None)
    return Duration(count, round(float(row["median"]), 1), round(float(row["p90"]), 1))


def _span(conn: sqlite3.Connection, end: str, code: str | None, since: str) -> Duration:
    """From submission to `end` (a column of files), for files that reached it since `since`."""
    days = f"julianday({end}) - julianday(submitted_at)"
    if code:
        where = f"FROM files INDEXED BY files_{end}_prefecture WHERE departement = ? AND {end} >= ?"
        return _percentiles(conn, days, where + " AND submitted_at IS NOT NULL", (code, since))
    where = f"FROM files INDEXED BY files_{end}_figures WHERE {end} >= ? AND submitted_at IS NOT NULL"
    return _percentiles(conn, days, where, (since,))


def _card(conn: sqlite3.Connection, code: str | None, since: str) -> Duration:
    days = "julianday(handed_over_at) - julianday(submitted_at)"
    where = "FROM cards WHERE handed_over_at >= ? AND submitted_at IS NOT NULL"
    if code:
        return _percentiles(conn, days, where + " AND departement = ?", (since, code))
    return _percentiles(conn, days, where, (since,))


def compute(conn: sqlite3.Connection, code: str | None) -> Figures:
    now = clock.now()
    since = clock.iso(now - timedelta(days=WINDOW_DAYS))
    today = now.date().isoformat()
    if code:
        counts = conn.execute("SELECT status, n FROM inbox_counts WHERE departement = ?", (code,)).fetchall()
    else:
        counts = conn.execute("SELECT status, sum(n) AS n FROM inbox_counts GROUP BY status").fetchall()
    backlog = {s: 0 for s in STATUSES}
    backlog.update({r["status"]: int(r["n"]) for r in counts if r["status"] in backlog})
    # Files awaiting something from the person (`complement_state` is kept by
    # complements.py), and those past the earliest due date.
    in_code = "AND departement = ?" if code else ""
    asked = conn.execute(
        "SELECT count(*) AS n, coalesce(sum(complement_due < ?), 0) AS late FROM files"
        f" WHERE complement_state = 'asked' {in_code}",
        (today, code) if code else (today,),
    ).fetchone()
    reports = conn.execute(
        "SELECT count(*) AS n, coalesce(sum(due < ?), 0) AS late FROM blockages WHERE status = 'open'"
        f" {in_code}",
        (today, code) if code else (today,),
    ).fetchone()
    waiting = conn.execute(
        f"SELECT count(*) FROM cards WHERE status = 'ready' {in_code}", (code,) if code else ()
    ).fetchone()[0]
    return Figures(
        code=code,
        backlog=backlog,
        to_review=_span(conn, "locked_at", code, since),
        to_decision=_span(conn, "decided_at", code, since),
        to_card=_card(conn, code, since),
        complements_open=int(asked["n"]),
        complements_overdue=int(asked["late"]),
        cards_waiting=int(waiting),
        reports_open=int(reports["n"]),
        reports_overdue=int(reports["late"]),
        voice=_voice(conn, code),
        since=since,
        computed_at=clock.iso(now),
    )


def _voice(conn: sqlite3.Connection, code: str | None) -> dict[str, dict[str, int]]:
    """What people answered to "Was this clear?" (server/domain/voice.py), per context."""
    where = "WHERE departement = ?" if code else ""
    rows = conn.execute(
        f"SELECT context, clear, count(*) AS n FROM voice {where} GROUP BY context, clear",
        (code,) if code else (),
    ).fetchall()
    out = {c: {"total": 0, "yes": 0, "partly": 0, "no": 0} for c in voice.CONTEXTS}
    for r in rows:
        slot = out.setdefault(r["context"], {"total": 0, "yes": 0, "partly": 0, "no": 0})
        slot["total"] += r["n"]
        if r["clear"] in slot:
            slot[r["clear"]] += r["n"]
    return out


def public(figures: Figures) -> Figures:
    """The same figures without anything that could point at a person."""
    return Figures(
        code=figures.code,
        backlog=figures.backlog,
        to_review=figures.to_review.hidden(),
        to_decision=figures.to_decision.hidden(),
        to_card=figures.to_card.hidden(),
        complements_open=figures.complements_open,
        complements_overdue=figures.complements_overdue,
        cards_waiting=figures.cards_waiting,
        reports_open=figures.reports_open,
        reports_overdue=figures.reports_overdue,
        voice=figures.voice,
        since=figures.since,
        computed_at=figures.computed_at,
    )


def small(count: int) -> bool:
    """Whether a public count is shown as "< 5"."""
    return 0 < count < SMALL
