"""The command log and the version counter, stored in the application's SQLite.

- `commands`: one row per command id ever seen, with the digest of what it asked
  and its first result: that row is what makes commands idempotent.
- `sync_clock`: one row holding the last version handed out. Every command that
  changes rows takes the next value and stamps it on each row it changed, so a
  reader can ask "what changed after version N" (the change feed).
- `sync_epoch`: one row naming this database's life (`epoch`, a UUID minted again
  whenever the database is restored from its replica) and counting the commits
  of pushed batches (`commits`): a phone keeps what it pushed until the server
  says the commit holding it is in the replica (docs/adr/0008).

Ids are scoped by actor: the log's key is (actor, id).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime

from .protocol import Command, Result

SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO sync_clock (id, value) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    seq INTEGER NOT NULL,
    op TEXT NOT NULL,
    actor TEXT NOT NULL,
    digest TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    version INTEGER,
    at TEXT NOT NULL,
    applied_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS commands_actor ON commands (actor, applied_at);
CREATE TABLE IF NOT EXISTS command_conflicts (
    id INTEGER PRIMARY KEY,
    command_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    digest TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
"""


def create_tables(conn: sqlite3.Connection) -> None:
    """Create the sync tables; called by the application's migrations."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def next_version(conn: sqlite3.Connection) -> int:
    """Take the next value of the monotonic counter (inside the caller's transaction)."""
    row = conn.execute("UPDATE sync_clock SET value = value + 1 WHERE id = 1 RETURNING value").fetchone()
    return int(row[0])


class Versions:
    """The counter for a batch: read once, handed out in memory, written once
    (`close`), inside the batch's one transaction — the single writer holds it, so
    no one else takes a value meanwhile. A value taken by a refused command is
    skipped: the counter only has to grow."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._value = current_version(conn)

    def take(self) -> int:
        self._value += 1
        return self._value

    def close(self) -> None:
        self._conn.execute("UPDATE sync_clock SET value = max(value, ?) WHERE id = 1", (self._value,))


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM sync_clock WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def find(conn: sqlite3.Connection, actor: str, command_id: str) -> tuple[str, Result] | None:
    """The digest and first result of a command this actor already sent, or None."""
    row = conn.execute(
        "SELECT digest, result FROM commands WHERE actor = ? AND id = ?", (actor, command_id)
    ).fetchone()
    if row is None:
        return None
    return str(row[0]), Result.from_json(json.loads(row[1]))


def find_many(conn: sqlite3.Connection, actor: str, ids: list[str]) -> dict[str, tuple[str, Result]]:
    """`find` for a whole batch in one query: {id: (digest, first result)}."""
    found: dict[str, tuple[str, Result]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT id, digest, result FROM commands WHERE actor = ? AND id IN ({marks})", (actor, *chunk)
        ):
            found[str(row[0])] = (str(row[1]), Result.from_json(json.loads(row[2])))
    return found


_RECORD = (
    "INSERT INTO commands (id, client, seq, op, actor, digest, status, result, version, at,"
    " applied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
Row = tuple[str, str, int, str, str, str, str, str, int | None, str, str]


def record(conn: sqlite3.Connection, command: Command, actor: str, result: Result) -> None:
    conn.execute(_RECORD, row(command, actor, result))


def record_many(conn: sqlite3.Connection, rows: list[Row]) -> None:
    """Rows made by `row`, written at once (the end of a batch)."""
    conn.executemany(_RECORD, rows)


def row(command: Command, actor: str, result: Result) -> Row:
    """The log's row for a command's first result (serialised now: a result that
    cannot be is the command's failure, not the batch's)."""
    now = _now()
    return (
        command.id,
        command.client,
        command.seq,
        command.op,
        actor,
        command.digest(),
        result.status,
        json.dumps(result.to_json(), ensure_ascii=False),
        result.version,
        command.at or now,
        now,
    )


def record_conflict(conn: sqlite3.Connection, command: Command, actor: str) -> None:
    """Keep a trace of an id reused for different content (never applied)."""
    conn.execute(
        "INSERT INTO command_conflicts (command_id, actor, digest, seen_at) VALUES (?, ?, ?, ?)",
        (command.id, actor, command.digest(), _now()),
    )


EPOCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT NOT NULL,
    minted_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    commits INTEGER NOT NULL DEFAULT 0
)
"""


def add_epochs(conn: sqlite3.Connection) -> None:
    """Migration: the `sync_epoch` row, and the command log keyed by (actor, id).

    SQLite cannot change a primary key in place: the table is copied."""
    conn.execute(EPOCH_SCHEMA)
    conn.execute(
        "INSERT OR IGNORE INTO sync_epoch (id, epoch, minted_at, reason, commits) VALUES (1, ?, ?, 'created', 0)",
        (str(uuid.uuid4()), _now()),
    )
    conn.execute(
        """CREATE TABLE commands_by_actor (
            id TEXT NOT NULL,
            client TEXT NOT NULL,
            seq INTEGER NOT NULL,
            op TEXT NOT NULL,
            actor TEXT NOT NULL,
            digest TEXT NOT NULL,
            status TEXT NOT NULL,
            result TEXT NOT NULL,
            version INTEGER,
            at TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            PRIMARY KEY (actor, id)
        )"""
    )
    conn.execute(
        "INSERT INTO commands_by_actor SELECT id, client, seq, op, actor, digest, status,"
        " result, version, at, applied_at FROM commands"
    )
    conn.execute("DROP TABLE commands")
    conn.execute("ALTER TABLE commands_by_actor RENAME TO commands")
    conn.execute("CREATE INDEX commands_actor ON commands (actor, applied_at)")


def epoch(conn: sqlite3.Connection) -> str:
    """This database's epoch (see the module's docstring)."""
    return str(conn.execute("SELECT epoch FROM sync_epoch WHERE id = 1").fetchone()[0])


def mint_epoch(conn: sqlite3.Connection, reason: str) -> str:
    """A new epoch: phones that knew the old one pull from the start and push
    again what they kept. Called when the database was restored."""
    new = str(uuid.uuid4())
    conn.execute(
        "UPDATE sync_epoch SET epoch = ?, minted_at = ?, reason = ? WHERE id = 1", (new, _now(), reason)
    )
    return new


def next_commit(conn: sqlite3.Connection) -> tuple[str, int]:
    """The epoch, and one more commit of pushed commands counted (inside the
    caller's transaction; a count skipped by a push that applied nothing is harmless)."""
    row = conn.execute(
        "UPDATE sync_epoch SET commits = commits + 1 WHERE id = 1 RETURNING epoch, commits"
    ).fetchone()
    return str(row[0]), int(row[1])


def current_commit(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT commits FROM sync_epoch WHERE id = 1").fetchone()[0])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
