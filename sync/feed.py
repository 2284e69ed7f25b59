"""The change feed: what changed after a cursor, page by page.

Every row a command changes carries that command's version (see `log.py`). A
reader asks for rows with `version > cursor`; the server lists *sources*, one
query per kind of record, each already limited to what this reader may see.

Pages never split a version: a command's rows arrive together, so a client
never holds half of a change. The new cursor is the highest version the page
covers; when nothing more is visible, it is the current clock, so an idle
client keeps one small request and stays current.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .log import current_version

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Source:
    """One kind of record. `sql` selects rows with `version > :cursor` visible
    to the reader, ordered by version, with `LIMIT :limit`; `shape` turns a row
    into the record's data (without its version)."""

    kind: str
    sql: str
    key: Callable[[Row], str]
    shape: Callable[[Row], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    cursor: int
    more: bool


def read_page(
    conn: sqlite3.Connection,
    sources: Sequence[Source],
    params: Mapping[str, Any],
    cursor: int,
    limit: int = 500,
) -> Page:
    """Records changed after `cursor` (inside the caller's read transaction)."""
    now = current_version(conn)
    fetched: list[tuple[int, Source, Row]] = []
    bound = now  # the highest version this page covers completely
    limited = False
    for source in sources:
        rows = conn.execute(source.sql, {**params, "cursor": cursor, "limit": limit + 1}).fetchall()
        if len(rows) > limit:
            # More than a page here: versions below the first row left out are complete.
            limited = True
            bound = min(bound, int(rows[limit]["version"]) - 1)
            rows = rows[:limit]
        fetched.extend((int(row["version"]), source, row) for row in rows)
    if limited and bound <= cursor:
        # A single version holds more rows than a page: send that version whole.
        bound = min(v for v, _, _ in fetched)
        fetched = []
        for source in sources:
            rows = conn.execute(source.sql, {**params, "cursor": bound - 1, "limit": -1}).fetchall()
            fetched.extend((bound, source, r) for r in rows if int(r["version"]) == bound)
    kept = sorted((f for f in fetched if f[0] <= bound), key=lambda f: f[0])
    records = [
        {"type": source.kind, "id": source.key(row), "version": version, "data": source.shape(row)}
        for version, source, row in kept
    ]
    return Page(records=records, cursor=max(bound, cursor), more=limited)
