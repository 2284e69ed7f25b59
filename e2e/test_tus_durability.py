"""Uploads against the real server (`sesame serve`, Litestream wrapping uvicorn),
without a browser:

1. a tus client no one here wrote (tuspy, default settings: the whole 20 MB file
   in one PATCH) uploads a file and the server names it by its SHA-256;
2. the phone keeps its copy until the server names the stored blob with its hash;
3. SIGKILL at any moment of the last PATCH: after the restart the upload is either
   stored (offset = length, the blob named, its bytes whole, granted once) or still
   open (the phone keeps its copy and sends the rest) — never complete without its
   blob.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import select
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Route
from tusclient.client import TusClient

from server import clock
from server.auth import sessions
from server.domain import accounts
from server.store.db import Database
from sync import log as sync_log
from tests import samples

from .helpers import SesameServer
from .test_offline import new_file, outbox, pdf_file, person, wait_outbox_empty

MB = 1024 * 1024


def session_cookie(server: SesameServer) -> tuple[str, str]:
    """An applicant and a session, written straight into the running server's database."""
    db = Database(server.db_path)

    def make(conn: Any) -> tuple[str, str]:
        version = sync_log.next_version(conn)
        account = accounts.create(
            conn, display_name="Tus", language="fr", user_handle=os.urandom(32), version=version
        )
        token, _ = sessions.create(
            conn, account.id, lifetime=3600, sliding=True, user_agent="tus", ip="127.0.0.1", now=clock.now()
        )
        return f"{sessions.COOKIE}={token}", account.id

    try:
        return db.write_sync(make)
    finally:
        db.close()


def query(server: SesameServer, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True) as conn:
        return list(conn.execute(sql, params))


def test_tuspy_with_its_default_settings_uploads_20_mb(server, tmp_path: Path) -> None:
    cookie, account = session_cookie(server)
    path = tmp_path / "releve.pdf"
    data = pdf_file(path, 20 * MB - 1024, "tuspy")
    client = TusClient(f"{server.base_url}/uploads", headers={"Cookie": cookie, "Origin": server.base_url})
    with path.open("rb") as stream:  # tuspy leaves a file it opened itself unclosed
        client.uploader(file_stream=stream, metadata={"filename": "releve.pdf"}).upload()
    digest = hashlib.sha256(data).hexdigest()
    [(offset, length, result)] = query(
        server, 'SELECT "offset", length, result FROM uploads WHERE owner = ?', account
    )
    assert offset == length == len(data) and f'"blob": "{digest}"' in result
    assert (
        hashlib.sha256(
            (server.data_dir / "blobs" / digest[:2] / digest[2:4] / digest).read_bytes()
        ).hexdigest()
        == digest
    )
    assert query(
        server, "SELECT count(*) FROM blob_grants WHERE sha256 = ? AND account_id = ?", digest, account
    ) == [(1,)]


def test_tuspy_with_sha1_chunk_checksums(server, tmp_path: Path) -> None:
    cookie, account = session_cookie(server)
    path = tmp_path / "avis.pdf"
    data = pdf_file(path, 3 * MB, "tuspy-sha1")
    client = TusClient(f"{server.base_url}/uploads", headers={"Cookie": cookie, "Origin": server.base_url})
    with path.open("rb") as stream:
        uploader = client.uploader(file_stream=stream, chunk_size=MB, upload_checksum=True)
        uploader.upload()
    digest = hashlib.sha256(data).hexdigest()
    [(result,)] = query(server, "SELECT result FROM uploads WHERE owner = ?", account)
    assert f'"blob": "{digest}"' in result


def raw(
    server: SesameServer,
    cookie: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
    kill_after: float | None = None,
) -> bytes:
    """One HTTP/1.1 request; with `kill_after`, SIGKILL the server that long after the body is sent."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: localhost:{server.port}",
        f"Cookie: {cookie}",
        f"Origin: {server.base_url}",
        "Tus-Resumable: 1.0.0",
        "Connection: close",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        if kill_after is not None:
            time.sleep(kill_after)
            server.kill()
            return b""
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        return answer


def header(answer: bytes, name: str) -> str | None:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.decode().partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def test_sigkill_during_the_last_patch_leaves_it_stored_once_or_still_open(
    fresh_server, tmp_path: Path
) -> None:
    server = fresh_server
    cookie, account = session_cookie(server)
    seen = []
    for n, delay in enumerate([0.0, 0.005, 0.02, 0.05, 0.1, 0.3]):
        data = pdf_file(tmp_path / f"scan{n}.pdf", 3 * MB, f"kill{n}")
        digest = hashlib.sha256(data).hexdigest()
        meta = f"filename {base64.b64encode(b'scan.pdf').decode()},sha256 {base64.b64encode(digest.encode()).decode()}"
        created = raw(
            server, cookie, "POST", "/uploads", {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
        )
        url = header(created, "location")
        assert url, created
        patch = {"Content-Type": "application/offset+octet-stream"}
        first = raw(server, cookie, "PATCH", url, {**patch, "Upload-Offset": "0"}, data[: 2 * MB])
        assert header(first, "upload-offset") == str(2 * MB), first
        raw(
            server,
            cookie,
            "PATCH",
            url,
            {**patch, "Upload-Offset": str(2 * MB)},
            data[2 * MB :],
            kill_after=delay,
        )
        server.start()
        head = raw(server, cookie, "HEAD", url, {})
        offset, blob = int(header(head, "upload-offset") or -1), header(head, "sesame-blob")
        if blob is None:
            # Still open: never "complete" without its blob; the phone sends the rest.
            assert offset < len(data), head
            seen.append("open")
            done = raw(server, cookie, "PATCH", url, {**patch, "Upload-Offset": str(offset)}, data[offset:])
            blob = header(done, "sesame-blob")
        else:
            seen.append("stored")
        assert blob == digest
        kept = server.data_dir / "blobs" / digest[:2] / digest[2:4] / digest
        assert hashlib.sha256(kept.read_bytes()).hexdigest() == digest
        assert query(
            server, "SELECT count(*) FROM blob_grants WHERE sha256 = ? AND account_id = ?", digest, account
        ) == [(1,)]
        assert query(server, "SELECT count(*) FROM blobs WHERE sha256 = ?", digest) == [(1,)]
    print("after each SIGKILL:", seen)


KEPT = """async () => (await Sesame.idb.all("blobs")).map((b) => ({
  sha256: b.sha256, size: b.size, kept: b.data.byteLength, uploaded: !!b.uploaded }))"""


def test_the_phone_keeps_its_copy_until_the_server_names_its_hash(new_device_factory, server, name, tmp_path):
    """A last PATCH answered "204, every byte" but without `Sesame-Blob` (a server that
    lost the blob): the phone keeps the file and sends it again; stored once in the end."""
    context, page = person(new_device_factory, name)
    file_id = new_file(page, server)
    path = tmp_path / "acte-de-naissance.pdf"
    data = pdf_file(path, 600_000, "last-byte")
    digest = hashlib.sha256(data).hexdigest()
    lied: list[int] = []

    def claim_done_without_blob(route: Route) -> None:
        request = route.request
        if request.method == "PATCH":
            end = int(request.headers["upload-offset"]) + len(request.post_data_buffer or b"")
            if end == len(data):
                lied.append(end)
                route.fulfill(status=204, headers={"Upload-Offset": str(end), "Tus-Resumable": "1.0.0"})
                return
        route.continue_()

    context.route("**/uploads/**", claim_done_without_blob)
    page.goto(f"/files/{file_id}/checklist")
    form = page.locator("#piece-residence_card form.upload-form")
    form.locator("#files-residence_card").set_input_files(path)  # sent as soon as chosen
    deadline = time.monotonic() + 60
    while len(lied) < 2:  # the phone was told "done" without the name, and tried again
        assert time.monotonic() < deadline, f"the last chunk was not sent twice: {lied}"
        page.wait_for_timeout(200)
    kept = page.evaluate(KEPT)
    assert {"sha256": digest, "size": len(data), "kept": len(data), "uploaded": False} in kept, kept
    assert outbox(page), "the command waits with its file"
    assert query(server, "SELECT count(*) FROM attachments WHERE file_id = ?", file_id) == [(0,)]

    context.unroute("**/uploads/**", claim_done_without_blob)
    wait_outbox_empty(page, timeout=90)
    assert query(server, "SELECT blob FROM attachments WHERE file_id = ?", file_id) == [(digest,)]
    assert query(server, "SELECT count(*) FROM blob_grants WHERE sha256 = ?", digest) == [(1,)]


def test_a_40_mb_chunked_patch_is_refused_without_being_read_whole(server, tmp_path: Path) -> None:
    cookie, _ = session_cookie(server)
    data = samples.pdf(MB)
    created = raw(server, cookie, "POST", "/uploads", {"Upload-Length": str(len(data))})
    url = header(created, "location")
    head = (
        f"PATCH {url} HTTP/1.1\r\nHost: localhost:{server.port}\r\nCookie: {cookie}\r\n"
        f"Origin: {server.base_url}\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\n"
        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    piece = 64 * 1024
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(head)
        body = data + b"x" * (40 * MB - len(data))
        try:
            while sent < len(body):
                s.sendall(f"{piece:x}\r\n".encode() + body[sent : sent + piece] + b"\r\n")
                sent += piece
                if select.select([s], [], [], 0)[0]:
                    break  # the server has answered
        except (BrokenPipeError, ConnectionResetError):
            pass  # it answered and closed while we were still sending
        s.settimeout(30)
        with contextlib.suppress(ConnectionResetError):
            while chunk := s.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 40 * MB, sent  # refused while it streamed, not after 40 MB
    print(f"413 after {sent / MB:.1f} MB sent (kernel buffers included)")
    again = raw(server, cookie, "HEAD", url, {})
    assert header(again, "upload-offset") == "0"
