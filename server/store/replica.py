"""Asking Litestream whether what is committed is in the replica.

`sesame serve` runs Litestream with its control socket on (`socket_path`); the
server asks it over that socket (`POST /sync` with `wait`, what `litestream sync
-wait` sends) to ship the WAL now and answer once the replica holds it.
Everything committed before that call is then durable: a restore from the
replica brings it back (docs/adr/0008).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket as sockets
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


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("litestream", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        self.sock = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def replicated(db_path: Path, socket: Path, timeout: int = 30) -> bool:
    """Ship the WAL to the replica now; True once the replica holds all of it."""
    connection = _UnixConnection(socket, timeout + 10)
    try:
        body = json.dumps({"path": str(db_path), "wait": True, "timeout": timeout})
        connection.request("POST", "/sync", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            return False
        return int(answer["replicated_txid"]) >= int(answer["txid"])
    except (OSError, ValueError, KeyError, TypeError, http.client.HTTPException):
        return False
    finally:
        connection.close()
