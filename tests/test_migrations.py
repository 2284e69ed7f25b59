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


def test_m006_keeps_the_log_scopes_it_by_actor_and_thaws_future_fields(tmp_path: Path) -> None:
    db = Database(tmp_path / "old.db")
    with db.exclusive() as conn:
        migrations.migrations.apply(sqlite_utils.Database(conn), stop_before="m006_sync_epoch")
        conn.execute(
            "INSERT INTO commands (id, client, seq, op, actor, digest, status, result, version, at, applied_at)"
            " VALUES ('c1', 'p', 1, 'file.update', 'applicant:a', 'd', 'applied', '{}', 1, '', '')"
        )
        conn.execute("PRAGMA foreign_keys = OFF")  # a field alone: its file does not matter here
        conn.execute(
            "INSERT INTO file_fields (file_id, name, value, at, command_id, version)"
            " VALUES ('f', 'city', 'Futur', '2999-01-01T00:00:00+00:00', 'c1', 1)"
        )
        conn.execute("PRAGMA foreign_keys = ON")
    assert "m006_sync_epoch" in migrations.migrate(db)
    with db.exclusive() as conn:
        assert [tuple(r) for r in conn.execute("SELECT actor, id FROM commands")] == [("applicant:a", "c1")]
        # Another actor may use the same id: the key is (actor, id).
        conn.execute(
            "INSERT INTO commands (id, client, seq, op, actor, digest, status, result, version, at, applied_at)"
            " VALUES ('c1', 'p', 1, 'file.update', 'applicant:b', 'd', 'applied', '{}', 1, '', '')"
        )
        assert conn.execute("SELECT at FROM file_fields").fetchone()[0] < "2100"
        assert len(conn.execute("SELECT epoch FROM sync_epoch").fetchone()[0]) == 36
    db.close()
