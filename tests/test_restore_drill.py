"""The restore drill (issue 13): the real `sesame serve` — Litestream wrapping
uvicorn — with its replica AND its blobs on SeaweedFS. Commands and uploads
are written; the whole process group is killed (SIGKILL: no final sync); the
data folder is lost; `sesame restore` brings the database back into an EMPTY
folder from S3. Every command the server had acknowledged as durable is there,
and every blob the restored database names is in the store with its hash.
Acknowledged commands that were not yet durable may be missing: the phones
still hold them and push them again in the new epoch (docs/adr/0008;
e2e/test_restore.py shows that part in a browser).

Prints RPO (acknowledged-but-not-durable commands lost at the kill) and RTO
(time to restore)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from server import clock
from server.app import blob_store
from server.auth import sessions
from server.domain import accounts
from server.settings import load
from server.store import inventory, migrations
from server.store.db import Database
from sync import log as sync_log

from . import samples
from .seaweed import Seaweed, _free_ports

ROOT = Path(__file__).parent.parent
SAFETY_NET = 120  # seconds: a bound on waiting for conditions, never a timing assertion


def environ(data: Path, port: int, s3: Seaweed, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SESAME_", "AWS_CA_BUNDLE"))}
    env.update(s3.environ(prefix))
    env.update(
        SESAME_DATA=str(data),
        PORT=str(port),
        SESAME_LOG_LEVEL="warning",
        SESAME_SECRET_KEY="drill-secret",  # kept apart from the data folder, as production should
        SESAME_REPLICA_URL=f"s3://{s3.bucket}/{prefix}/db",
        SESAME_REPLICA_ENDPOINT=s3.endpoint,
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    return env


def prepare(env: dict[str, str]) -> tuple[str, str]:
    settings = load(env)
    db = Database(settings.db_path)
    migrations.migrate(db)

    def make(conn: object) -> tuple[str, str]:
        account = accounts.create(
            conn,  # type: ignore[arg-type]
            display_name="Drill",
            language="fr",
            user_handle=os.urandom(32),
            version=sync_log.next_version(conn),  # type: ignore[arg-type]
        )
        token, _ = sessions.create(
            conn,  # type: ignore[arg-type]
            account.id,
            lifetime=3600,
            sliding=True,
            user_agent="drill",
            ip="127.0.0.1",
            now=clock.now(),
        )
        return token, account.id

    made = db.write_sync(make)
    db.close()
    return made


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"cookie": f"{sessions.COOKIE}={token}", "origin": base}
        self.seq = 0

    def call(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers={**self.headers, **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def push(self, commands: list[tuple[str, dict]]) -> tuple[list[str], dict]:
        payload = []
        for op, args in commands:
            self.seq += 1
            payload.append(
                {"id": str(uuid.uuid4()), "client": "drill", "seq": self.seq, "op": op, "args": args}
            )
        status, _, body = self.call(
            "POST",
            "/sync/push",
            json.dumps({"commands": payload}).encode(),
            **{"content-type": "application/json"},
        )
        answer = json.loads(body)
        assert status == 200 and all(r["status"] == "applied" for r in answer["results"]), answer
        return [c["id"] for c in payload], answer

    def durable(self) -> int:
        status, _, body = self.call("GET", "/sync/pull?cursor=0")
        assert status == 200, body[:200]
        return int(json.loads(body)["durable"])

    def upload(self, data: bytes) -> str:
        tus = {"tus-resumable": "1.0.0"}
        meta = "filename " + base64.b64encode(b"scan.pdf").decode()
        status, headers, _ = self.call(
            "POST", "/uploads", None, **tus, **{"upload-length": str(len(data)), "upload-metadata": meta}
        )
        assert status == 201
        location = {k.lower(): v for k, v in headers.items()}["location"]
        status, headers, body = self.call(
            "PATCH",
            location,
            data,
            **tus,
            **{"content-type": "application/offset+octet-stream", "upload-offset": "0"},
        )
        assert status == 204, body
        return {k.lower(): v for k, v in headers.items()}["sesame-blob"]


def start(env: dict[str, str], data: Path) -> subprocess.Popen[bytes]:
    with (data.parent / f"{data.name}.log").open("ab") as log:
        return subprocess.Popen(
            ["sesame", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SAFETY_NET
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            return
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)


def test_restore_drill_into_an_empty_folder_from_s3(tmp_path: Path, s3: Seaweed) -> None:
    prefix = f"drill-{uuid.uuid4().hex[:8]}"
    data = tmp_path / "data"
    port = _free_ports(1)[0]
    env = environ(data, port, s3, prefix)
    token, account = prepare(env)
    base = f"http://localhost:{port}"
    server = start(env, data)
    client = Client(base, token)
    try:
        wait_up(base, server, tmp_path / "data.log")
        file_id = str(uuid.uuid4())
        durable_ids: list[str] = []
        acknowledged: list[tuple[str, int]] = []  # (command id, its commit)
        ids, answer = client.push(
            [("file.create", {"file_id": file_id, "procedure": "change_of_situation", "grounds": []})]
        )
        acknowledged += [(i, answer["commit"]) for i in ids]
        pages = [samples.pdf(30_000 + 1000 * n) for n in range(4)]
        for n, page in enumerate(pages):
            sha = client.upload(page)
            assert sha == hashlib.sha256(page).hexdigest()
            ids, answer = client.push(
                [
                    (
                        "piece.attach",
                        {
                            "file_id": file_id,
                            "piece": "residence_card",
                            "attachment_id": str(uuid.uuid4()),
                            "blob": sha,
                            "filename": f"page-{n}.pdf",
                        },
                    )
                ]
            )
            acknowledged += [(i, answer["commit"]) for i in ids]
        for n in range(20):
            ids, answer = client.push(
                [
                    ("file.update", {"file_id": file_id, "fields": {"given_names": f"Version {n}.{k}"}})
                    for k in range(10)
                ]
            )
            acknowledged += [(i, answer["commit"]) for i in ids]
        # Wait until the server says all of that is in the replica (the durable mark).
        last = acknowledged[-1][1]
        deadline = time.monotonic() + SAFETY_NET
        while (mark := client.durable()) < last:
            assert time.monotonic() < deadline, "the replica never caught up"
            time.sleep(0.1)
        # Then a last burst, acknowledged, and the whole process group killed at once.
        for n in range(5):
            ids, answer = client.push(
                [("file.update", {"file_id": file_id, "fields": {"city": f"Ville {n}"}})]
            )
            acknowledged += [(i, answer["commit"]) for i in ids]
        mark = max(mark, answer["durable"])
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    durable_ids = [i for i, commit in acknowledged if commit <= mark]
    pending = [i for i, commit in acknowledged if commit > mark]

    # The disk is lost: an EMPTY data folder, the same settings.
    shutil.rmtree(data)
    data.mkdir()
    began = time.monotonic()
    restored = subprocess.run(["sesame", "restore"], cwd=ROOT, env=env, capture_output=True, text=True)
    rto = time.monotonic() - began
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "new epoch" in restored.stdout

    settings = load(env)
    db = Database(settings.db_path)
    found = {str(r[0]) for r in db.reader().execute("SELECT id FROM commands")}
    missing = [i for i in durable_ids if i not in found]
    assert not missing, f"{len(missing)} durable commands lost"
    lost = [i for i in pending if i not in found]
    blobs = [
        str(r[0]) for r in db.reader().execute("SELECT blob FROM attachments WHERE file_id = ?", (file_id,))
    ]
    assert sorted(blobs) == sorted(hashlib.sha256(p).hexdigest() for p in pages)
    # Every blob the restored database names is in S3 with its hash: they never lived on the lost disk.
    check = inventory.verify(db, blob_store(settings))
    db.close()
    assert check.ok and check.rows == len(pages) and check.checked == len(pages), check
    print(
        f"\nrestore drill: {len(acknowledged)} commands acknowledged, {len(durable_ids)} durable before the kill,"
        f" all restored; acknowledged-not-durable at the kill: {len(pending)}, of which lost: {len(lost)}"
        f" (the phones push them again in the new epoch); blobs verified: {check.checked}; RTO {rto:.2f} s"
    )
