"""Whether the prefecture has opened a file yet.

A submitted file is only "in the prefecture's hands" once an agent opened it
(a `viewed` timeline event), recorded it from paper (`paper_recorded`) or took it
for review (`files.locked_by`). Until
then the applicant reads "sent, waiting to be handled": never a promise that
someone is looking at it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def opened_files(conn: sqlite3.Connection, file_ids: Iterable[str]) -> set[str]:
    ids = list(file_ids)
    if not ids:
        return set()
    marks = ",".join("?" for _ in ids)
    rows = conn.execute(
        f"SELECT DISTINCT file_id FROM timeline WHERE kind IN ('viewed', 'paper_recorded') AND file_id IN ({marks})"
        f" UNION SELECT id FROM files WHERE locked_by IS NOT NULL AND id IN ({marks})",
        (*ids, *ids),
    )
    return {r[0] for r in rows}
