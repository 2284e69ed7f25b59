"""A restored database starts a new epoch (docs/adr/0008)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from server import cli
from server.settings import load
from server.store import migrations, replica
from server.store.db import Database
from sync import log


def test_a_restore_mints_a_new_epoch(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SESAME_DATA", str(tmp_path))
    s = load({"SESAME_DATA": str(tmp_path)})
    db = Database(s.db_path)
    migrations.migrate(db)
    before = db.read_sync(log.epoch)
    db.write_sync(log.next_commit)
    db.close()
    config = cli.write_litestream_config(s)
    subprocess.run(
        [cli.litestream_binary(), "replicate", "-config", str(config), "-once"],
        check=True,
        capture_output=True,
    )
    s.db_path.unlink()
    assert cli.main(["restore"]) == 0
    assert "new epoch" in capsys.readouterr().out
    restored = Database(s.db_path)
    after, commits = restored.read_sync(lambda c: (log.epoch(c), log.current_commit(c)))
    restored.close()
    assert after != before and commits == 1  # the data came back, under a new name


def test_the_litestream_configuration_opens_its_control_socket(tmp_path: Path) -> None:
    s = load({"SESAME_DATA": str(tmp_path)})
    text = cli.litestream_config(s)
    assert f"path: {replica.socket_path(tmp_path)}" in text and "enabled: true" in text
    deep = tmp_path / ("x" * 120)
    assert len(str(replica.socket_path(deep))) < 108  # a Unix socket's path limit


def test_no_socket_means_not_replicated(tmp_path: Path) -> None:
    assert replica.replicated(tmp_path / "a.db", tmp_path / "absent.sock") is False
