"""Bytes re-sent per dropped connection during an upload, through a cutting proxy.

A small TCP proxy on 127.0.0.1 stands for the network between the phone and the
server: it forwards each connection, counts the bytes the client puts on it, and
cuts the connection (a reset towards the client, the server's side closed, as a
reverse proxy does when its client vanishes) when that count passes each of N
points spread over the upload, in the middle of a chunk. Bytes the proxy had read
but not forwarded when it cut are lost in the network, as they would be on a radio
link.

The client sends as pwa/uploader.js does: POST with the file's SHA-256 in the
metadata, then PATCH chunks of a fixed size with no per-chunk checksum, HEAD after a
drop to learn where to resume. The same upload is made once without cuts and once
with N cuts: bytes re-sent per drop = (bytes through the proxy with cuts − bytes
without) / N, request headers of the extra HEAD and PATCH included.

Measured at 256 KiB chunks and at the uploader's largest chunk (read from
pwa/uploader.js), the size it reaches on a good connection. Budget (DESIGN.md):
at most 64 KiB per drop.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import struct
import threading
from pathlib import Path

from tests import samples

from .server import App
from .syncing import tus_head

KiB = 1024
BUDGET = 64 * KiB
READ = 16 * KiB  # what the proxy reads at a time: the most a cut can swallow in the "network"


def uploader_chunk() -> int:
    """The uploader's largest chunk, as pwa/uploader.js declares it."""
    script = (Path(__file__).parent.parent / "pwa" / "uploader.js").read_text()
    found = re.search(r"var MAX = ([0-9 *]+);", script)
    assert found, "pwa/uploader.js declares no MAX chunk"
    size = 1
    for factor in found.group(1).split("*"):
        size *= int(factor)
    return size


class CuttingProxy:
    """127.0.0.1:<port> → the server; cuts connections when the client's byte count passes `cuts`."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent = 0  # bytes the client put on the network
        self.cuts: list[int] = []
        self.cut_count = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def plan(self, cuts: list[int]) -> None:
        with self.lock:
            self.sent, self.cuts, self.cut_count = 0, sorted(cuts), 0

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client), daemon=True).start()

    def _up(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            while data := client.recv(READ):
                with self.lock:
                    self.sent += len(data)
                    cut = bool(self.cuts) and self.sent >= self.cuts[0]
                    if cut:
                        self.cuts.pop(0)
                        self.cut_count += 1
                if cut:
                    # Reset towards the phone; the server sees its side close.
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    client.close()
                    upstream.shutdown(socket.SHUT_RDWR)  # also wakes the other pump
                    upstream.close()
                    return
                upstream.sendall(data)
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            client.close()
            upstream.close()

    def _down(self, upstream: socket.socket, client: socket.socket) -> None:
        try:
            while data := upstream.recv(65536):
                client.sendall(data)
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


def _request(
    app: App, port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(tus_head(app, method, path, headers, len(body)) + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    if not answer:
        raise ConnectionError("cut")
    return answer


def _header(answer: bytes, name: str) -> str:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.decode().partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return ""


def upload(app: App, proxy: CuttingProxy, data: bytes, chunk: int) -> int:
    """Upload `data` through the proxy as the phone does; the bytes that crossed it."""
    sha = hashlib.sha256(data).hexdigest()
    meta = (
        f"filename {base64.b64encode(b'scan.pdf').decode()},sha256 {base64.b64encode(sha.encode()).decode()}"
    )
    created = _request(
        app, app.port, "POST", "/uploads", {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
    )
    url = _header(created, "location")
    offset = 0
    while True:
        try:
            answer = _request(
                app,
                proxy.port,
                "PATCH",
                url,
                {"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)},
                data[offset : offset + chunk],
            )
            if _header(answer, "sesame-blob"):
                assert _header(answer, "sesame-blob") == sha, answer[:300]
                return proxy.sent
            offset = int(_header(answer, "upload-offset"))
        except (ConnectionError, OSError):
            head = _request(app, proxy.port, "HEAD", url, {})
            offset = int(_header(head, "upload-offset"))


def measure(
    app: App, size: int = 20 * 1024 * 1024 - 4096, drops: int = 3, rounds: int = 3
) -> dict[str, object]:
    data = samples.pdf(size)
    proxy = CuttingProxy(app.port)
    results: dict[str, object] = {"size": size, "drops": drops, "rounds": rounds, "budget_per_drop": BUDGET}
    print(
        f"\nBytes re-sent per dropped connection: {size / 1048576:.0f} MB, {drops} drops per upload,"
        f" {rounds} uploads (budget: ≤ {BUDGET // KiB} KiB per drop)"
    )
    try:
        for name, chunk in (("256 KiB", 256 * KiB), ("uploader", uploader_chunk())):
            proxy.plan([])
            clean = upload(app, proxy, data, chunk)
            per_drop = []
            for _ in range(rounds):
                # Cut points through the upload, away from chunk boundaries (mid-chunk).
                proxy.plan([clean * k // (drops + 1) + chunk // 3 for k in range(1, drops + 1)])
                cut = upload(app, proxy, data, chunk)
                assert proxy.cut_count == drops, proxy.cut_count
                per_drop.append((cut - clean) / drops)
            mean, worst = sum(per_drop) / rounds, max(per_drop)
            results[name] = {
                "chunk": chunk,
                "clean": clean,
                "per_drop_mean": round(mean),
                "per_drop_worst": round(worst),
            }
            verdict = "within" if worst <= BUDGET else "OVER"
            print(
                f"  chunks of {chunk // KiB} KiB ({name}): {clean} B without drops; re-sent per drop"
                f" {mean / KiB:.1f} KiB on average, {worst / KiB:.1f} KiB at worst ({verdict} budget)"
            )
    finally:
        proxy.close()
    return results
