"""Peak memory of the server process under bodies and exports that are too big
to hold: a chunked 200 MB `/sync/push` (no Content-Length), and the export of
an account holding 95 MB of documents.

The server is uvicorn exactly as `sesame serve` runs it (server/cli.py), without
Litestream around it, so the figure is the application's own: the peak resident
set (VmHWM) of its process, read from /proc, before and after each request.

    python -m bench.memory           prints the figures (also part of `make bench`)
"""

from __future__ import annotations

import json
import os
import select
import shutil
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

from server import cli
from server.auth import sessions
from server.domain import catalogue
from server.settings import load

from .server import ROOT, _free_port, _prepare, _start_file

MB = 1024 * 1024


@dataclass
class Running:
    base: str
    port: int
    pid: int
    token: str
    data: Path

    @property
    def log(self) -> str:
        return (self.data / "server.log").read_text()

    @property
    def cookie(self) -> str:
        return f"{sessions.COOKIE}={self.token}"


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


@contextmanager
def serving(
    data: Path | None = None, cwd: Path = ROOT, log_level: str = "warning", extra: dict[str, str] | None = None
) -> Iterator[Running]:
    """The server on its own port; `extra` settings (a blob store, caps) on top."""
    made_here = data is None
    data = data or Path(tempfile.mkdtemp(prefix="sesame-memory-"))
    port = _free_port()
    token, _ = _prepare(data, port)
    env = {
        **os.environ,
        "SESAME_DATA": str(data),
        "PORT": str(port),
        "SESAME_LOG_LEVEL": log_level,
        "PYTHONPATH": str(cwd),
        **(extra or {}),
    }
    argv = cli.uvicorn_argv(
        load({"SESAME_DATA": str(data), "PORT": str(port), "SESAME_LOG_LEVEL": log_level, **(extra or {})})
    )
    log = (data / "server.log").open("w")
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://localhost:{port}"
    try:
        deadline_polls = 600  # polls of 50 ms, ended early as soon as the server answers
        for _ in range(deadline_polls):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError((data / "server.log").read_text()) from None
                time.sleep(0.05)
        else:
            raise RuntimeError((data / "server.log").read_text())
        yield Running(base=base, port=port, pid=process.pid, token=token, data=data)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        if made_here:
            shutil.rmtree(data, ignore_errors=True)


def chunked_push(app: Running, total: int, chunk: int = 64 * 1024) -> tuple[int, int]:
    """POST /sync/push a `total`-byte body in chunked encoding (no Content-Length),
    as long as the server reads it. Returns (status, bytes sent)."""
    head = (
        "POST /sync/push HTTP/1.1\r\n"
        f"Host: localhost:{app.port}\r\n"
        f"Origin: {app.base}\r\n"
        f"Cookie: {app.cookie}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    opening = b'{"commands": [], "padding": "'
    sent = 0
    with socket.create_connection(("127.0.0.1", app.port)) as sock:
        sock.sendall(head)
        piece = opening + b"x" * (chunk - len(opening))
        try:
            while sent < total:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered before the end: read its answer
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
                piece = b"x" * chunk
            else:
                sock.sendall(b'3\r\n"}\n\r\n0\r\n\r\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: the rest was never wanted
        sock.settimeout(120)
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def _pdf(size: int) -> bytes:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    body += b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    trailer = b"trailer<</Root 1 0 R>>\n%%EOF\n"
    padding = os.urandom((size - len(body) - len(trailer)) // 2).hex().encode()
    return body + b"%" + padding + b"\n" + trailer


def _multipart(filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return body + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def fill_account(app: Running, megabytes: int, per_file: int = 19) -> int:
    """Upload `megabytes` of PDF pages into one of the person's files (over HTTP)."""
    file_id = _start_file(app.base, app.token)
    pieces = [
        item.piece.id
        for item in catalogue.load().checklist("renewal", ["parent_of_french_child"])
        if "application/pdf" in catalogue.load().media_types(item.piece.id)
    ]
    stored, n = 0, 0
    while stored < megabytes * MB:
        size = min(per_file * MB, megabytes * MB - stored)
        body, content_type = _multipart(f"page-{n}.pdf", _pdf(size))
        request = urllib.request.Request(
            f"{app.base}/files/{file_id}/pieces/{pieces[n % len(pieces)]}",
            data=body,
            headers={"content-type": content_type, "cookie": app.cookie, "origin": app.base},
        )
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
        stored += size
        n += 1
    return stored


def export_size(app: Running) -> int:
    request = urllib.request.Request(f"{app.base}/account/export", headers={"cookie": app.cookie})
    size = 0
    with urllib.request.urlopen(request, timeout=300) as response:
        while chunk := response.read(MB):
            size += len(chunk)
    return size


def measure(cwd: Path = ROOT) -> dict[str, float]:
    # The export first: the peak is a high-water mark, the push's would hide it.
    with serving(cwd=cwd) as app:
        stored = fill_account(app, 95)
        before_export = peak_rss_mb(app.pid)
        exported = export_size(app)
        after_export = peak_rss_mb(app.pid)
        status, sent = chunked_push(app, 200 * MB)
        after_push = peak_rss_mb(app.pid)
    return {
        "account_mb": round(stored / MB, 1),
        "export_mb": round(exported / MB, 1),
        "peak_before_export_mb": round(before_export, 1),
        "export_peak_mb": round(after_export, 1),
        "push_status": status,
        "push_sent_mb": round(sent / MB, 1),
        "push_peak_mb": round(after_push, 1),
    }


def main() -> int:
    cwd = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    print(json.dumps(measure(cwd), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
