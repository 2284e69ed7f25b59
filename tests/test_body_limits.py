"""Request bodies are capped while they stream, whatever their encoding, and a
client that hangs up mid-body is one info line, not a server error."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import anyio
import pytest

from bench import memory
from server.settings import Settings, load
from server.web import limits

from .test_files_http import cat
from .test_sync_api import new_file

MB = 1024 * 1024


@pytest.fixture
def settings(tmp_path) -> Settings:
    # Files of 1 MB at most: the multipart caps are then small enough to pass in a test.
    return load({"SESAME_DATA": str(tmp_path / "data"), "SESAME_MAX_FILE_MB": "1"})


def chunks(opening: bytes, total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    """A body sent chunked (no Content-Length), `total` bytes long."""
    yield opening
    sent = len(opening)
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


def files_count(app) -> int:
    return app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM files").fetchone()[0])


def test_a_chunked_push_past_its_cap_is_refused_and_nothing_applied(app, person) -> None:
    person.signup("A", "en")
    opening = b'{"commands": [' + json.dumps(new_file()).encode() + b'], "padding": "'
    response = person.client.post(
        "/sync/push",
        content=chunks(opening, 3 * MB),
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    assert response.status_code == 413
    assert "content-length" not in response.request.headers
    body = response.json()
    assert body["error"] == "too_large" and body["max_bytes"] == limits.PUSH
    assert "2 MB" in body["message"]
    assert files_count(app) == 0


def test_a_push_under_its_cap_still_goes_through(app, person) -> None:
    person.signup()
    opening = b'{"commands": [' + json.dumps(new_file()).encode() + b'], "padding": "'
    response = person.client.post(
        "/sync/push", content=chunks(opening, MB), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert files_count(app) == 1


def test_a_claimed_length_past_the_cap_is_refused_before_reading(client) -> None:
    read = []

    def body() -> Iterator[bytes]:
        read.append(1)
        yield b"x" * 100

    response = client.post(
        "/signin",
        content=body(),
        headers={"content-length": str(10 * MB), "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.text and "64 Ko" in response.text
    assert response.headers["connection"] == "close"


def test_forms_and_autosave_have_small_caps(make_person) -> None:
    p = make_person()
    p.signup("A", "en")
    file_id = p.start_file("change_of_situation")
    big = {"city": "x" * (limits.FORM + 1)}
    refused = p.client.post(f"/files/{file_id}/fields", json={"command_id": str(uuid.uuid4()), "fields": big})
    assert refused.status_code == 413
    assert refused.json()["status"] == "refused" and "64 KB" in refused.json()["message"]
    page = p.client.post(f"/files/{file_id}/identity", data={"family_name": "x" * (limits.FORM + 1)})
    assert page.status_code == 413
    assert 'lang="en"' in page.text and "64 KB" in page.text and "content-security-policy" in page.headers
    assert p.client.post(f"/files/{file_id}/fields", json={"fields": {"city": "Lyon"}}).status_code == 200


def test_caps_per_route(settings) -> None:
    limit = limits.BodyLimit(None, settings)  # type: ignore[arg-type]
    per_file = settings.max_file_bytes
    assert limit.cap_for("POST", "/sync/push").bytes == 2 * MB
    assert limit.cap_for("GET", "/sync/pull").bytes == limits.FORM
    assert limit.cap_for("POST", "/files/f/fields").bytes == limits.FORM
    assert limit.cap_for("POST", "/files/f/identity").bytes == limits.FORM
    assert limit.cap_for("POST", "/files/f/pieces/passport").bytes == 4 * per_file + MB
    assert limit.cap_for("POST", "/files/f/messages").bytes == 4 * per_file + MB
    assert limit.cap_for("POST", "/files/f/attachments/a/replace").bytes == per_file + MB
    # tus streams each PATCH to disk and caps it itself; its creation is a small request.
    assert limit.cap_for("PATCH", "/uploads/u").bytes is None
    assert limit.cap_for("POST", "/uploads").bytes == limits.FORM


def test_multipart_uploads_past_their_cap_say_so_on_the_page(app, settings, make_person) -> None:
    p = make_person()
    p.signup("A", "en")
    file_id = p.start_file("change_of_situation")
    too_much = 4 * settings.max_file_bytes + 2 * MB
    boundary = "b" * 20
    opening = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n%"
    ).encode()
    piece = cat().checklist("change_of_situation", [])[0].piece.id
    response = p.client.post(
        f"/files/{file_id}/pieces/{piece}",
        content=chunks(opening, too_much, MB),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert "several times" in response.text or "several goes" in response.text
    kept = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM attachments").fetchone()[0])
    assert kept == 0


@pytest.mark.parametrize("what", ["push", "piece upload", "message with a file"])
def test_a_client_gone_mid_body_is_one_info_line_and_no_answer(app, make_person, caplog, what) -> None:
    p = make_person()
    p.signup()
    token = p.client.cookies.get("sesame_session")
    file_id = p.start_file("change_of_situation")
    piece = cat().checklist("change_of_situation", [])[0].piece.id
    boundary = "b" * 20
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()
    path, content_type, first = {
        "push": ("/sync/push", "application/json", b'{"commands": ['),
        "piece upload": (
            f"/files/{file_id}/pieces/{piece}",
            f"multipart/form-data; boundary={boundary}",
            part,
        ),
        "message with a file": (
            f"/files/{file_id}/messages",
            f"multipart/form-data; boundary={boundary}",
            part.replace(b'name="files"', b'name="attachments"'),
        ),
    }[what]
    incoming = [{"type": "http.request", "body": first, "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost:8000"),
            (b"origin", b"http://localhost:8000"),
            (b"cookie", f"sesame_session={token}".encode()),
            (b"content-type", content_type.encode()),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 8000),
    }
    caplog.clear()
    caplog.set_level(logging.INFO)
    anyio.run(app, scope, receive, send)
    assert sent == []  # nothing rendered for nobody
    ours = [r for r in caplog.records if r.name in ("sesame", "uvicorn.error")]
    assert len(ours) == 1, [r.getMessage() for r in ours]
    assert ours[0].levelno == logging.INFO and ours[0].exc_info is None
    assert f"client went away during POST {path} ({len(first)} bytes" in ours[0].getMessage()
    kept = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM attachments").fetchone()[0])
    assert kept == 0


@pytest.fixture(scope="module")
def real_server() -> Iterator[memory.Running]:
    with memory.serving(log_level="info") as running:
        yield running


def test_a_connection_cut_mid_upload_is_one_info_line_on_the_real_server(real_server) -> None:
    import socket
    import time

    head = (
        "POST /sync/push HTTP/1.1\r\n"
        f"Host: localhost:{real_server.port}\r\nOrigin: {real_server.base}\r\n"
        f"Cookie: {real_server.cookie}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", real_server.port)) as sock:
        sock.sendall(head + b"e\r\n" + b'{"commands": [' + b"\r\n")
    # Wait for the server to notice: polls, with a bound far past any busy machine's pace.
    for _ in range(6000):
        if "went away" in real_server.log:
            break
        time.sleep(0.05)
    time.sleep(0.5)  # anything else it would log about this request comes with it
    lines = [line for line in real_server.log.splitlines() if "/sync/push" in line or "Traceback" in line]
    assert [line for line in lines if "went away" in line] == lines, lines
    assert len(lines) == 1 and lines[0].startswith("INFO:"), lines


def test_a_chunked_200_mb_push_to_the_real_server_keeps_memory_bounded(real_server) -> None:
    before = memory.peak_rss_mb(real_server.pid)
    status, sent = memory.chunked_push(real_server, 200 * MB)
    after = memory.peak_rss_mb(real_server.pid)
    assert status == 413
    assert sent < 200 * MB  # the server answered and closed long before the end
    # Before this cap the server read it all (a peak of ~690 MB): now a few MB at most.
    assert after - before < 32, (before, after)
