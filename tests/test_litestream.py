"""Litestream: the generated configuration, and a real replicate → lose → restore."""

from __future__ import annotations

import subprocess
from pathlib import Path

from server import cli
from server.domain import accounts
from server.settings import load
from server.store import migrations
from server.store.db import Database


def test_file_replica_config(tmp_path: Path) -> None:
    s = load({"SESAME_DATA": str(tmp_path)})
    text = cli.litestream_config(s)
    assert f"path: {tmp_path / 'sesame.db'}" in text
    assert "type: file" in text and f"path: {tmp_path / 'replica'}" in text


def test_s3_replica_config(tmp_path: Path) -> None:
    s = load(
        {
            "SESAME_DATA": str(tmp_path),
            "SESAME_REPLICA_URL": "s3://bucket/sesame",
            "SESAME_REPLICA_ENDPOINT": "http://127.0.0.1:8333",
        }
    )
    text = cli.litestream_config(s)
    assert "url: s3://bucket/sesame" in text
    assert "endpoint: http://127.0.0.1:8333" in text and "force-path-style: true" in text


def test_a_lost_database_comes_back_from_its_replica(tmp_path: Path) -> None:
    s = load({"SESAME_DATA": str(tmp_path)})
    db = Database(s.db_path)
    migrations.migrate(db)
    db.write_sync(
        lambda c: accounts.create(
            c, display_name="Still here", language="fr", user_handle=b"x" * 32, version=1
        )
    )
    db.close()
    config = cli.write_litestream_config(s)
    subprocess.run(
        [cli.litestream_binary(), "replicate", "-config", str(config), "-once"],
        check=True,
        capture_output=True,
    )
    s.db_path.unlink()  # as `rm data/*.db` would: the -wal and -shm stay behind
    assert cli.restore_if_missing(s)
    restored = Database(s.db_path)
    names = restored.read_sync(lambda c: [r[0] for r in c.execute("SELECT display_name FROM accounts")])
    restored.close()
    assert names == ["Still here"]
    assert not cli.restore_if_missing(s)  # present: nothing to do


def test_no_replica_no_restore(tmp_path: Path) -> None:
    s = load({"SESAME_DATA": str(tmp_path)})
    assert not cli.restore_if_missing(s)
    assert not s.db_path.exists()


def test_invite_command(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SESAME_DATA", str(tmp_path))
    assert cli.main(["invite", "--role", "agent", "--prefecture", "2A", "--name", "Jeanne"]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith("http://localhost:8000/enrol/")
    assert cli.main(["invite", "--role", "agent"]) == 2  # an agent needs a prefecture
    assert cli.main(["invite", "--prefecture", "999"]) == 2


def test_migrate_command(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SESAME_DATA", str(tmp_path))
    assert cli.main(["migrate"]) == 0
    assert "m001_accounts" in capsys.readouterr().out
    assert cli.main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
