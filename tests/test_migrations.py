from __future__ import annotations

from pathlib import Path

import sqlite_utils

from server.store import migrations
from server.store.db import Database


def tables(db: Database) -> set[str]:
    return set(
        db.read_sync(lambda c: [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")])
    )


def test_fresh_database_gets_every_step(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    applied = migrations.migrate(db)
    assert applied == [m.name for m in migrations.migrations._migrations]
    assert {"accounts", "passkeys", "sessions", "recovery_codes", "commands", "sync_clock"} <= tables(db)
    db.close()


def test_running_again_is_a_no_op(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    migrations.migrate(db)
    assert migrations.migrate(db) == []
    db.close()


def test_an_older_database_upgrades(tmp_path: Path) -> None:
    db = Database(tmp_path / "old.db")
    with db.exclusive() as conn:
        migrations.migrations.apply(sqlite_utils.Database(conn), stop_before="m002_sync")
    assert "commands" not in tables(db)
    assert migrations.migrate(db) == [m.name for m in migrations.migrations._migrations][1:]
    assert "commands" in tables(db)
    db.close()


def test_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    conn = db.writer()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.reader().execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_readers_cannot_write(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    db = Database(tmp_path / "a.db")
    migrations.migrate(db)
    with pytest.raises(sqlite3.OperationalError):
        db.read_sync(lambda c: c.execute("DELETE FROM accounts"))
    db.close()
