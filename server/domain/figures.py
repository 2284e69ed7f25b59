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


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted values (the median is share 0.5)."""
    if not values:
        return None
    rank = max(1, -(-len(values) * share // 1))  # ceil
    return values[int(rank) - 1]


def _duration(rows: list[sqlite3.Row]) -> Duration:
    days = [float(r[0]) for r in rows if r[0] is not None and r[0] >= 0]
    days.sort()
    med, p90 = percentile(days, 0.5), percentile(days, 0.9)
    return Duration(len(days), None if med is None else round(med, 1), None if p90 is None else round(p90, 1))


def _span(conn: sqlite3.Connection, end: str, code: str | None, since: str) -> Duration:
    where = "AND departement = ?" if code else ""
    params: tuple[str, ...] = (since, code) if code else (since,)
    rows = conn.execute(
        f"SELECT julianday({end}) - julianday(submitted_at) FROM files INDEXED BY files_{end}_figures"
        f" WHERE {end} >= ? AND submitted_at IS NOT NULL {where}",
        params,
    ).fetchall()
    return _duration(rows)


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
    where = "AND f.departement = ?" if code else ""
    params: tuple[str, ...] = (today, code) if code else (today,)
    asked = conn.execute(
        "SELECT count(*) AS n, coalesce(sum(c.due < ?), 0) AS late FROM complement_items c"
        f" JOIN files f ON f.id = c.file_id WHERE c.status = 'asked' {where}",
        params,
    ).fetchone()
    card_where = "AND departement = ?" if code else ""
    card_params: tuple[str, ...] = (since, code) if code else (since,)
    card_rows = conn.execute(
        "SELECT julianday(c.handed_over_at) - julianday(f.submitted_at) FROM cards c JOIN files f"
        f" ON f.id = c.file_id WHERE c.handed_over_at >= ? {card_where.replace('departement', 'c.departement')}",
        card_params,
    ).fetchall()
    reports = conn.execute(
        "SELECT count(*) AS n, coalesce(sum(due < ?), 0) AS late FROM blockages WHERE status = 'open'"
        f" {card_where}",
        (today, code) if code else (today,),
    ).fetchone()
    waiting = conn.execute(
        f"SELECT count(*) FROM cards WHERE status = 'ready' {card_where}", (code,) if code else ()
    ).fetchone()[0]
    return Figures(
        code=code,
        backlog=backlog,
        to_review=_span(conn, "locked_at", code, since),
        to_decision=_span(conn, "decided_at", code, since),
        to_card=_duration(card_rows),
        complements_open=int(asked["n"]),
        complements_overdue=int(asked["late"]),
        cards_waiting=int(waiting),
        reports_open=int(reports["n"]),
        reports_overdue=int(reports["late"]),
        voice=_voice(conn, code),
        since=since,
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
    )


def small(count: int) -> bool:
    """Whether a public count is shown as "< 5"."""
    return 0 < count < SMALL


def expected_delay(conn: sqlite3.Connection, code: str) -> Duration:
    """The information page's "expected delay": submission to decision, last 90 days."""
    since = clock.iso(clock.now() - timedelta(days=WINDOW_DAYS))
    return _span(conn, "decided_at", code, since).hidden()
