"""Asking Litestream whether what is committed is in the replica.

`sesame serve` runs Litestream with its control socket on (`socket_path`); the
server asks it, with `litestream sync -wait`, to ship the WAL now and answer once
the replica holds it. Everything committed before that call is then durable:
a restore from the replica brings it back (docs/adr/0008).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Unix socket paths are limited to ~107 bytes: a deep data folder gets one in /tmp.
_SOCKET_PATH_MAX = 100


def socket_path(data_dir: Path) -> Path:
    here = Path(data_dir).resolve() / "litestream.sock"
    if len(str(here)) <= _SOCKET_PATH_MAX:
        return here
    digest = hashlib.sha256(str(here).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"sesame-litestream-{digest}.sock"


def binary() -> str | None:
    here = Path(sys.executable).parent / "litestream"
    return str(here) if here.exists() else shutil.which("litestream")


def replicated(db_path: Path, socket: Path, timeout: int = 30) -> bool:
    """Ship the WAL to the replica now; True once the replica holds all of it."""
    litestream = binary()
    if litestream is None or not socket.exists():
        return False
    try:
        done = subprocess.run(
            [
                litestream,
                "sync",
                "-wait",
                "-json",
                "-timeout",
                str(timeout),
                "-socket",
                str(socket),
                str(db_path),
            ],
            capture_output=True,
            text=True,
            timeout=timeout + 10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0:
        return False
    try:
        answer = json.loads(done.stdout)
        return int(answer["replica_txid"]) >= int(answer["txid"])
    except (ValueError, KeyError, TypeError):
        return False
