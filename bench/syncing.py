"""Sync on the wire: an idle pull, an upload cut mid-chunk, push throughput."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import time
import uuid
from pathlib import Path

from tests import samples

from .server import App


def _raw(app: App, request: bytes) -> tuple[int, bytes]:
    """Send raw HTTP/1.1 bytes; return (bytes sent, whole answer)."""
    with socket.create_connection(("127.0.0.1", app.port)) as s:
        s.sendall(request)
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
    return len(request), b"".join(chunks)


def _get_request(app: App, path: str) -> bytes:
    # What a phone's fetch() sends, less the User-Agent family of headers it adds.
    return (
        f"GET {path} HTTP/1.1\r\nHost: localhost:{app.port}\r\nAccept: application/json\r\n"
        f"Cookie: {app.cookie}\r\nConnection: close\r\n\r\n"
    ).encode()


def idle_pull(app: App) -> dict[str, int]:
    cursor = 0
    while True:
        _, answer = _raw(app, _get_request(app, f"/sync/pull?cursor={cursor}"))
        body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
        cursor = body["cursor"]
        if not body["more"]:
            break
    sent, answer = _raw(app, _get_request(app, f"/sync/pull?cursor={cursor}"))
    head, _, body_bytes = answer.partition(b"\r\n\r\n")
    result = {
        "request": sent,
        "response": len(answer),
        "response_body": len(body_bytes),
        "total": sent + len(answer),
    }
    print("\nIdle sync (budget: one request, < 1 KB)")
    print(
        f"  GET /sync/pull: request {sent} B, answer {len(answer)} B (body {len(body_bytes)} B), total {result['total']} B"
    )
    print("  answer: " + head.decode().replace("\r\n", " | ") + " || " + body_bytes.decode())
    return result


def tus_head(app: App, method: str, path: str, headers: dict[str, str], length: int) -> bytes:
    """The head of a tus request with the bench account's cookie (also used by bench/drops.py)."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: localhost:{app.port}",
        f"Cookie: {app.cookie}",
        f"Origin: {app.base}",
        "Tus-Resumable: 1.0.0",
        "Connection: close",
        f"Content-Length: {length}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _tus(
    app: App, method: str, path: str, headers: dict[str, str], body: bytes = b"", cut: int | None = None
) -> tuple[int, bytes]:
    request = tus_head(app, method, path, headers, len(body))
    with socket.create_connection(("127.0.0.1", app.port)) as s:
        s.sendall(request)
        payload = body if cut is None else body[:cut]
        s.sendall(payload)
        if cut is not None:
            return len(payload), b""  # the connection drops mid-chunk
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
    return len(payload), b"".join(chunks)


def _header(answer: bytes, name: str) -> str:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.decode().partition(":")
        if key.lower() == name.lower():
            return value.strip()
    return ""


def dropped_upload(app: App, size: int = 20 * 1024 * 1024 - 4096) -> dict[str, int]:
    """The phone's chunking (256 KB, doubling while fast, up to 4 MB), cut once near the middle
    (the client closes its socket halfway through a chunk; bench/drops.py cuts in the network)."""
    data = samples.pdf(size)
    sha = hashlib.sha256(data).hexdigest()
    meta = (
        f"filename {base64.b64encode(b'scan.pdf').decode()},sha256 {base64.b64encode(sha.encode()).decode()}"
    )
    _, created = _tus(app, "POST", "/uploads", {"Upload-Length": str(size), "Upload-Metadata": meta})
    url = _header(created, "Location")
    offset, chunk, sent, cut_done, chunks = 0, 256 * 1024, 0, False, 0
    largest = 0
    while offset < size:
        body = data[offset : offset + chunk]
        # As pwa/uploader.js: no per-chunk checksum, so the server keeps what arrived (ADR 0009).
        headers = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)}
        largest = max(largest, len(body))
        if not cut_done and offset >= size // 2:
            n, _ = _tus(app, "PATCH", url, headers, body, cut=len(body) // 2)
            sent += n
            cut_done = True
            _, head = _tus(app, "HEAD", url, {})
            offset = int(_header(head, "Upload-Offset"))
            continue
        began = time.perf_counter()
        n, answer = _tus(app, "PATCH", url, headers, body)
        sent += n
        chunks += 1
        offset = int(_header(answer, "Upload-Offset"))
        if time.perf_counter() - began < 1 and chunk < 4 * 1024 * 1024:
            chunk *= 2
    resent = sent - size
    result = {"size": size, "sent": sent, "resent": resent, "largest_chunk": largest, "chunks": chunks}
    print("\nUpload cut in the middle (budget: a dropped connection re-sends at most one chunk)")
    print(
        f"  {size / 1048576:.1f} MB file, {chunks} chunks (largest {largest // 1024} KB): sent {sent} B, re-sent {resent} B"
        f" = {resent / largest:.2f} chunk"
    )
    return result


def _server_cpu(app: App) -> float:
    """CPU seconds used so far by the server's processes (uvicorn and the Litestream
    wrapping it: both name the port on their command line). Unlike a rate, this figure
    holds on a machine busy with other work."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"--port\x00{app.port}".encode() not in (proc / "cmdline").read_bytes().replace(b" ", b"\x00"):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def push_throughput(app: App, commands: int = 6000, batches: tuple[int, ...] = (50, 100)) -> dict[str, float]:
    """Commands applied per second through POST /sync/push, in batches and one by
    one. The requests are built before the clock starts: what is measured is the
    server (HTTP, checks, transaction, commit, answer), not the client's JSON."""

    def request(payload: list[dict]) -> bytes:
        body = json.dumps({"commands": payload}).encode()
        return (
            f"POST /sync/push HTTP/1.1\r\nHost: localhost:{app.port}\r\nCookie: {app.cookie}\r\nOrigin: {app.base}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body

    def push(prepared: bytes) -> None:
        _, answer = _raw(app, prepared)
        assert b" 200 " in answer.split(b"\r\n", 1)[0], answer[:300]
        assert b'"refused"' not in answer, answer[:300]

    def command(n: int) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "client": "bench",
            "seq": n,
            "op": "file.update",
            "args": {"file_id": app.file_id, "fields": {"notes": f"note {n}"}},
            "at": "",
        }

    def rate(requests: list[bytes], count: int) -> tuple[float, float]:
        """Commands per second, and per CPU second of the server."""
        cpu = _server_cpu(app)
        began = time.perf_counter()
        for prepared in requests:
            push(prepared)
        elapsed = time.perf_counter() - began
        used = _server_cpu(app) - cpu
        return count / elapsed, count / used if used > 0 else float("nan")

    result: dict[str, float] = {}
    print("\nPush throughput (this machine: 2 cores; Litestream replicating)")
    seq = 0
    for size in batches:
        requests = []
        for _ in range(commands // size):
            requests.append(request([command(seq + n) for n in range(size)]))
            seq += size
        batched, per_cpu = rate(requests, commands)
        result[f"batched_{size}_per_s"] = round(batched, 1)
        result[f"batched_{size}_per_cpu_s"] = round(per_cpu, 1)
        print(f"  {batched:.0f} commands/s in batches of {size} ({per_cpu:.0f} per CPU second of the server)")
    singles = [request([command(seq + n)]) for n in range(600)]
    single, per_cpu = rate(singles, len(singles))
    result["single_per_s"] = round(single, 1)
    result["single_per_cpu_s"] = round(per_cpu, 1)
    print(f"  {single:.0f} pushes/s of one command each ({per_cpu:.0f} per CPU second of the server)")
    return result
