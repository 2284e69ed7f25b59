"""`sesame serve` and `sesame migrate` on a data folder they cannot write: one
clear sentence and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import load
from server.store import migrations
from server.store.db import Database

ROOT = Path(__file__).parent.parent


def as_someone_who_cannot_write(argv: list[str]) -> list[str]:
    """Root writes anywhere: drop the capability that lets it, so file modes apply."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: folder modes cannot be enforced")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", *argv]


def run(command: str, data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    argv = as_someone_who_cannot_write([sys.executable, "-m", "server.cli", command])
    environ = {**os.environ, "SESAME_DATA": str(data), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(argv, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["serve", "migrate"])
@pytest.mark.parametrize("state", ["empty", "existing database", "with a secret key set"])
def test_a_read_only_data_folder_ends_in_one_sentence(tmp_path, command, state) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = {}
    if state == "existing database":
        settings = load({"SESAME_DATA": str(data)})
        db = Database(settings.db_path)
        migrations.migrate(db)
        db.close()
    if state == "with a secret key set":
        env["SESAME_SECRET_KEY"] = "k" * 64
    for path in [data, *data.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        done = run(command, data, **env)
    finally:
        for path in [data, *data.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("sesame: The data folder") and "cannot be written" in lines[0]
    assert "SESAME_DATA" in lines[0]
