"""SIGKILL at any moment of the last PATCH of an upload assembled in S3 parts
(ADR 0027), against the real `sesame serve` with its blobs on SeaweedFS: after
the restart the upload is either stored (offset = length, the blob named, its
bytes whole in the bucket, granted once) or still open (the phone sends the
rest) — never complete without its blob. The same promise as
e2e/test_tus_durability.py gives for the file store."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from server.app import blob_store
from server.auth import sessions
from server.settings import load

from . import samples
from .seaweed import Seaweed, _free_ports
from .test_restore_drill import environ, prepare, start, wait_up

MB = 1024 * 1024


def raw(port: int, cookie: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: localhost:{port}",
        f"Cookie: {cookie}",
        f"Origin: http://localhost:{port}",
        "Tus-Resumable: 1.0.0",
        "Connection: close",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        return answer


def send_and_kill(port: int, cookie: str, path: str, headers: dict[str, str], body: bytes, kill) -> None:
    lines = [
        f"PATCH {path} HTTP/1.1",
        f"Host: localhost:{port}",
        f"Cookie: {cookie}",
        f"Origin: http://localhost:{port}",
        "Tus-Resumable: 1.0.0",
        "Connection: close",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        kill()


def header(answer: bytes, name: str) -> str | None:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.decode().partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return list(conn.execute(sql, params))


def test_sigkill_during_the_last_patch_on_s3_leaves_it_stored_once_or_still_open(
    tmp_path: Path, s3: Seaweed
) -> None:
    data_dir = tmp_path / "data"
    port = _free_ports(1)[0]
    env = environ(data_dir, port, s3, f"kill-{uuid.uuid4().hex[:8]}")
    for name in ("SESAME_REPLICA_URL", "SESAME_REPLICA_ENDPOINT"):
        env.pop(name)  # this test is about the blobs; the restore drill covers the replica
    token, account = prepare(env)
    cookie = f"{sessions.COOKIE}={token}"
    settings = load(env)
    store = blob_store(settings)
    db = settings.db_path
    server: subprocess.Popen[bytes] = start(env, data_dir)

    def kill() -> None:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()

    seen = []
    try:
        wait_up(f"http://localhost:{port}", server, tmp_path / "data.log")
        for n, delay in enumerate([0.0, 0.005, 0.02, 0.05, 0.1, 0.3, 0.6]):
            data = samples.pdf(7 * MB + 1000 * n)
            digest = hashlib.sha256(data).hexdigest()
            meta = f"sha256 {base64.b64encode(digest.encode()).decode()}"
            created = raw(port, cookie, "POST", "/uploads", {"Upload-Length": str(len(data)), "Upload-Metadata": meta})
            url = header(created, "location")
            assert url, created
            kind = {"Content-Type": "application/offset+octet-stream"}
            first = 5 * MB + MB // 2  # part 1 in the bucket, half a MiB in the spill
            answer = raw(port, cookie, "PATCH", url, {**kind, "Upload-Offset": "0"}, data[:first])
            assert header(answer, "upload-offset") == str(first), answer

            def later(delay: float = delay) -> None:
                time.sleep(delay)
                kill()

            send_and_kill(port, cookie, url, {**kind, "Upload-Offset": str(first)}, data[first:], later)
            server = start(env, data_dir)
            wait_up(f"http://localhost:{port}", server, tmp_path / "data.log")
            head = raw(port, cookie, "HEAD", url, {})
            offset, blob = int(header(head, "upload-offset") or -1), header(head, "sesame-blob")
            if blob is None:
                assert first <= offset < len(data), head  # never "complete" without its blob
                seen.append("open")
                done = raw(port, cookie, "PATCH", url, {**kind, "Upload-Offset": str(offset)}, data[offset:])
                blob = header(done, "sesame-blob")
            else:
                seen.append("stored")
            assert blob == digest
            with store.open(digest) as stream:
                assert hashlib.sha256(stream.read()).hexdigest() == digest
            assert query(db, "SELECT count(*) FROM blob_grants WHERE sha256 = ? AND account_id = ?", digest, account) == [
                (1,)
            ]
            assert query(db, "SELECT count(*) FROM blobs WHERE sha256 = ?", digest) == [(1,)]
        # Nothing of the finished uploads is left unfinished in the bucket.
        assert list(store.unfinished()) == []
    finally:
        if server.poll() is None:
            kill()
    print("after each SIGKILL:", seen)
