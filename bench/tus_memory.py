"""Peak memory (and local disk) of the server while a 200 MB file arrives over
tus, on the file store and on S3 (SeaweedFS), where the parts are assembled in
the bucket as they arrive (ADR 0027).

The file is sent as the phone's uploader would, PATCH after PATCH (4 MiB
each), and as tuspy's defaults do, in one PATCH, streamed from disk. The
server is uvicorn as `sesame serve` runs it (bench/memory.py); its peak
resident set (VmHWM) is read from /proc, and the bytes under
`$SESAME_DATA/uploads` are sampled every 20 ms.

    python -m bench.tus_memory [MB]       (200 by default)
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.seaweed import running

from .memory import MB, Running, _pdf, peak_rss_mb, serving

TUS = {"tus-resumable": "1.0.0"}


def _create(app: Running, size: int) -> str:
    request = urllib.request.Request(
        f"{app.base}/uploads",
        method="POST",
        headers={**TUS, "upload-length": str(size), "cookie": app.cookie, "origin": app.base},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return str(answer.headers["location"])


def _patch(app: Running, url: str, path: Path, offset: int, size: int) -> dict[str, str]:
    """One PATCH of `size` bytes from `path` at `offset`, streamed 1 MiB at a time."""
    head = (
        f"PATCH {url} HTTP/1.1\r\nHost: localhost:{app.port}\r\nCookie: {app.cookie}\r\n"
        f"Origin: {app.base}\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\n"
        f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
        f"Content-Length: {size}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", app.port)) as sock, path.open("rb") as f:
        sock.sendall(head)
        f.seek(offset)
        left = size
        while left:
            chunk = f.read(min(MB, left))
            sock.sendall(chunk)
            left -= len(chunk)
        sock.settimeout(600)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    lines = answer.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    found = {"status": lines[0].split(" ")[1]}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        found[key.strip().lower()] = value.strip()
    return found


def _upload(app: Running, path: Path, chunk: int) -> tuple[str, float]:
    size = path.stat().st_size
    url = _create(app, size)
    began, offset, answer = time.monotonic(), 0, {}
    while offset < size:
        answer = _patch(app, url, path, offset, min(chunk, size - offset))
        if answer["status"] != "204":
            raise RuntimeError(f"PATCH at {offset}: {answer}")
        offset = int(answer["upload-offset"])
    return answer.get("sesame-blob", ""), time.monotonic() - began


class DiskWatch:
    """The most bytes seen under a folder, sampled while it runs."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.peak, self.done = folder, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.done.is_set():
            total = 0
            for item in self.folder.glob("*"):
                try:
                    total += item.stat().st_size
                except FileNotFoundError:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.02)

    def __enter__(self) -> DiskWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def _one(store: str, extra: dict[str, str], path: Path, chunk: int) -> dict[str, Any]:
    caps = {"SESAME_MAX_FILE_MB": "1000", "SESAME_MAX_ACCOUNT_MB": "5000"}
    with serving(extra={**caps, **extra}) as app:
        idle = peak_rss_mb(app.pid)
        with DiskWatch(app.data / "uploads") as disk:
            blob, seconds = _upload(app, path, chunk)
        peak = peak_rss_mb(app.pid)
    return {
        "store": store,
        "patch_mb": round(chunk / MB, 1),
        "stored": bool(blob),
        "seconds": round(seconds, 1),
        "rss_before_mb": round(idle, 1),
        "rss_peak_mb": round(peak, 1),
        "local_disk_peak_mb": round(disk.peak / MB, 1),
    }


def measure(megabytes: int = 200) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="sesame-tus-memory-") as tmp:
        path = Path(tmp) / "big.pdf"
        path.write_bytes(_pdf(megabytes * MB))
        with running() as s3:
            for chunk in (4 * MB, megabytes * MB):
                results.append(_one("file", {}, path, chunk))
                results.append(_one("s3", s3.environ(), path, chunk))
    return results


def main() -> int:
    os.environ.pop("AWS_CA_BUNDLE", None)
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(json.dumps(measure(megabytes), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
