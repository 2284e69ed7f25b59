"""The real server for benchmarks, and a signed-in person with a file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from server import clock
from server.auth import sessions
from server.domain import accounts
from server.settings import load
from server.store import migrations
from server.store.db import Database
from sync import log as sync_log

ROOT = Path(__file__).parent.parent


@dataclass
class App:
    base: str
    port: int
    data: Path
    token: str  # a session cookie for a signed-in applicant
    account_id: str
    file_id: str

    @property
    def cookie(self) -> str:
        return f"{sessions.COOKIE}={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(data: Path, port: int) -> tuple[str, str]:
    """An applicant and a session, made directly in the database before start."""
    settings = load({"SESAME_DATA": str(data), "PORT": str(port)})
    db = Database(settings.db_path)
    migrations.migrate(db)

    def make(conn: object) -> tuple[str, str]:
        version = sync_log.next_version(conn)  # type: ignore[arg-type]
        account = accounts.create(
            conn,  # type: ignore[arg-type]
            display_name="Bench",
            language="fr",
            user_handle=os.urandom(32),
            version=version,
        )
        token, _ = sessions.create(
            conn,  # type: ignore[arg-type]
            account.id,
            lifetime=3600,
            sliding=True,
            user_agent="bench",
            ip="127.0.0.1",
            now=clock.now(),
        )
        return token, account.id

    token, account_id = db.write_sync(make)
    db.close()
    return token, account_id


@contextmanager
def running() -> Iterator[App]:
    data = Path(tempfile.mkdtemp(prefix="sesame-bench-"))
    port = _free_port()
    token, account_id = _prepare(data, port)
    env = {
        **os.environ,
        "SESAME_DATA": str(data),
        "PORT": str(port),
        "SESAME_LOG_LEVEL": "warning",
        "PATH": f"{Path(sys.prefix) / 'bin'}:{os.environ.get('PATH', '')}",
    }
    log = (data / "server.log").open("w")
    process = subprocess.Popen(["sesame", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://localhost:{port}"
    try:
        for _ in range(1200):  # a busy machine may take a while to start the server
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit((data / "server.log").read_text())
        file_id = _start_file(base, token)
        yield App(base=base, port=port, data=data, token=token, account_id=account_id, file_id=file_id)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _start_file(base: str, token: str) -> str:
    file_id = str(uuid.uuid4())
    command = {
        "id": str(uuid.uuid4()),
        "client": "bench",
        "seq": 1,
        "op": "file.create",
        "args": {"file_id": file_id, "procedure": "renewal", "grounds": ["parent_of_french_child"]},
    }
    request = urllib.request.Request(
        base + "/sync/push",
        data=json.dumps({"commands": [command]}).encode(),
        headers={"content-type": "application/json", "cookie": f"{sessions.COOKIE}={token}", "origin": base},
    )
    urllib.request.urlopen(request).read()
    return file_id
