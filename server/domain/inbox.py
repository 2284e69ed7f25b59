"""The prefecture's inbox: the files sent to one prefecture, rights first.

Order: the day the person's proof of right to stay lapses (`files.right_until`),
soonest first — so files whose right already lapsed come on top — then files
with no known date, then by submission, oldest first; the file id breaks ties.
The order is the `files_inbox` index (migration m009), and pages are keyed on
the last row's sort tuple (never OFFSET): page 1,000 costs what page 1 costs,
and a file arriving meanwhile neither repeats nor hides a row.

Drafts never appear, nor files withdrawn before they were ever sent.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from server.store import search_words

NO_DATE = "9999-12-31"  # sorts an unknown date after every real one
KEY = f"coalesce(f.right_until, '{NO_DATE}')"
STATUS_FILTERS = ("open", "submitted", "locked", "decided", "withdrawn", "all")
OPEN = ("submitted", "locked")
PAGE = 50
MAX_AGE_DAYS = 3650


@dataclass(frozen=True)
class Query:
    departement: str
    reader: str  # the agent's account id ("changed since I last looked")
    status: str = "open"
    procedure: str = ""
    ground: str = ""
    older_than_days: int | None = None
    changed: bool = False
    answered: bool = False
    search: str = ""
    after: tuple[str, str, str] | None = None
    limit: int = PAGE
    today: str = field(default_factory=lambda: date.today().isoformat())


@dataclass(frozen=True)
class Row:
    id: str
    number: str
    procedure: str
    grounds: list[str]
    status: str
    right_until: str | None
    lapsed: bool
    submitted_at: str
    updated_at: str
    holder: str | None  # the name of the agent holding it for review
    complement_state: str | None
    complement_due: str | None
    family_name: str
    given_names: str
    changed: bool  # since this agent last opened it (or never opened)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    after: str | None  # the cursor of the next page, None on the last one


def cursor_text(key: tuple[str, str, str]) -> str:
    return "~".join(key)


def parse_cursor(text: str | None) -> tuple[str, str, str] | None:
    """A cursor from a URL; anything malformed means "the first page"."""
    parts = (text or "").split("~")
    if len(parts) != 3 or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", parts[0]) or not all(parts[1:]):
        return None
    return parts[0], parts[1], parts[2]


def match_expression(text: str, departement: str | None) -> str | None:
    """The FTS5 query for what an agent typed, in their prefecture: every word
    as a prefix, all required. Digits typed in groups ("123 456 7890") may also
    be one foreign-national number, so those match either way."""
    # As typed: the tokenizer folds case and accents on both sides (Python's casefold
    # would make "ß" "ss", which the index never holds).
    typed = search_words.words(text)[:8]
    if not typed:
        return None
    start = search_words.prefix(departement)
    expression = " ".join(f'"{start}{w}"*' for w in typed)
    if len(typed) > 1 and all(w.isdigit() for w in typed):
        expression = f'({expression}) OR "{start}{"".join(typed)}"*'
    return expression


# Six digits, or more past 999,999 files in a year (France files about 1.5 million a year).
NUMBER = re.compile(r"\d{4}-\d{6,}")

CHANGED = (
    "(v.seen_version IS NULL OR f.version > v.seen_version OR EXISTS (SELECT 1 FROM messages m"
    " WHERE m.file_id = f.id AND m.author_role = 'applicant' AND m.version > v.seen_version))"
)


def _where(q: Query, params: dict[str, Any]) -> list[str]:
    where = ["f.departement = :dep", "f.submitted_at IS NOT NULL"]
    if q.status == "open":
        where.append("f.status IN ('submitted', 'locked')")
    elif q.status != "all":
        where.append("f.status = :status")
        params["status"] = q.status
    if q.procedure:
        where.append("f.procedure = :procedure")
        params["procedure"] = q.procedure
    if q.ground:
        where.append("EXISTS (SELECT 1 FROM json_each(f.grounds) WHERE value = :ground)")
        params["ground"] = q.ground
    if q.older_than_days is not None:
        cutoff = date.fromisoformat(q.today) - timedelta(days=q.older_than_days)
        where.append("f.submitted_at < :cutoff")
        params["cutoff"] = cutoff.isoformat()
    if q.answered:
        where.append("f.complement_state = 'answered'")
    if q.changed:
        where.append(CHANGED)
    return where


SEARCH_SORTED = 2000  # up to this many hits, sort the hits; beyond, walk the inbox order


def _search(conn: sqlite3.Connection, q: Query, where: list[str], params: dict[str, Any]) -> str | None:
    """The FROM clause for a search, or None when nothing can match.

    A whole file number goes to the unique index on `number`. Otherwise the
    full-text index: when it finds few files they are fetched and sorted; when
    it finds many (a common name), the inbox index is walked in order and each
    file checked against the hits, which stops after one page."""
    text = q.search.strip()
    if NUMBER.fullmatch(text):
        where.append("f.number = :number")
        params["number"] = text
        return "files f"
    # Only this prefecture's words (m027): the country's would swamp it.
    expression = match_expression(text, q.departement)
    if expression is None:
        return None
    hits = conn.execute(
        "SELECT d.file_id FROM file_search s JOIN file_search_docs d ON d.doc = s.rowid"
        " WHERE file_search MATCH ? LIMIT ?",
        (expression, SEARCH_SORTED + 1),
    ).fetchall()
    if not hits:
        return None
    if len(hits) <= SEARCH_SORTED:
        params["hits"] = json.dumps([h[0] for h in hits])
        return "json_each(:hits) AS hits CROSS JOIN files f ON f.id = hits.value"
    # Compared on the full-text rowid: the set is built from the index alone,
    # and only the files walked (about a page's worth) look up their row.
    where.append(
        "(SELECT doc FROM file_search_docs WHERE file_id = f.id)"
        " IN (SELECT rowid FROM file_search WHERE file_search MATCH :match)"
    )
    params["match"] = expression
    return "files f INDEXED BY files_inbox"


def page(conn: sqlite3.Connection, q: Query) -> Page:
    params: dict[str, Any] = {"dep": q.departement, "me": q.reader, "today": q.today, "limit": q.limit + 1}
    where = _where(q, params)
    # The same order either way; answered files have their own (partial) index (m016).
    source: str | None = "files f INDEXED BY " + ("files_answered" if q.answered else "files_inbox")
    if q.search:
        source = _search(conn, q, where, params)
        if source is None:
            return Page([], None)
    if q.after:
        where.append(f"{KEY} >= :k AND ({KEY}, f.submitted_at, f.id) > (:k, :s, :i)")
        params.update(k=q.after[0], s=q.after[1], i=q.after[2])
    # The page's ids first (only index columns and the filters), then what
    # each of its rows shows: names, holder, "changed" are read for 50 rows only.
    chosen = (
        f"SELECT f.id AS id, {KEY} AS k, f.submitted_at AS s FROM {source}"
        " LEFT JOIN file_visits v ON v.account_id = :me AND v.file_id = f.id"
        f" WHERE {' AND '.join(where)} ORDER BY k, s, id LIMIT :limit"
    )
    rows = conn.execute(
        f"SELECT f.id, f.number, f.procedure, f.grounds, f.status, f.right_until, f.submitted_at,"
        f" f.updated_at, f.complement_state, f.complement_due, p.k AS k, {CHANGED} AS changed,"
        " (SELECT display_name FROM accounts WHERE id = f.locked_by AND f.status = 'locked') AS holder,"
        " (SELECT value FROM file_fields WHERE file_id = f.id AND name = 'family_name') AS family_name,"
        " (SELECT value FROM file_fields WHERE file_id = f.id AND name = 'given_names') AS given_names"
        f" FROM ({chosen}) AS p JOIN files f ON f.id = p.id"
        " LEFT JOIN file_visits v ON v.account_id = :me AND v.file_id = f.id ORDER BY p.k, p.s, p.id",
        params,
    ).fetchall()
    shown = rows[: q.limit]
    result = [
        Row(
            id=r["id"],
            number=r["number"],
            procedure=r["procedure"],
            grounds=json.loads(r["grounds"] or "[]"),
            status=r["status"],
            right_until=r["right_until"],
            lapsed=bool(r["right_until"] and r["right_until"] < q.today),
            submitted_at=r["submitted_at"],
            updated_at=r["updated_at"],
            holder=r["holder"],
            complement_state=r["complement_state"],
            complement_due=r["complement_due"],
            family_name=r["family_name"] or "",
            given_names=r["given_names"] or "",
            changed=bool(r["changed"]),
        )
        for r in shown
    ]
    more = len(rows) > q.limit
    last = shown[-1] if shown else None
    return Page(result, cursor_text((last["k"], last["submitted_at"], last["id"])) if more and last else None)


def counts(conn: sqlite3.Connection, departement: str) -> dict[str, int]:
    """How many files the prefecture holds in each state (drafts are not its
    own), from `inbox_counts`, which triggers on `files` keep exact."""
    rows = conn.execute("SELECT status, n FROM inbox_counts WHERE departement = ?", (departement,))
    found = {r[0]: int(r[1]) for r in rows}
    return {s: found.get(s, 0) for s in ("submitted", "locked", "decided", "withdrawn")}
