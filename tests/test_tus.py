"""Resumable uploads (tus 1.0 core + creation + checksum), over HTTP."""

from __future__ import annotations

import base64
import errno
import hashlib

import anyio

from server.domain import catalogue
from sync.uploads import Appender

from . import samples
from .stores import blob_bytes, fill_up, make_room, parametrised_settings

settings = parametrised_settings()

TUS = {"tus-resumable": "1.0.0"}


def meta(data: bytes, name: str = "scan.pdf") -> str:
    sha = hashlib.sha256(data).hexdigest()
    return f"filename {base64.b64encode(name.encode()).decode()},sha256 {base64.b64encode(sha.encode()).decode()}"


def create(client, data: bytes, name: str = "scan.pdf"):
    return client.post(
        "/uploads", headers={**TUS, "upload-length": str(len(data)), "upload-metadata": meta(data, name)}
    )


def patch(client, url: str, offset: int, chunk: bytes, checksum: bytes | None = None):
    digest = checksum if checksum is not None else hashlib.sha256(chunk).digest()
    return client.patch(
        url,
        content=chunk,
        headers={
            **TUS,
            "content-type": "application/offset+octet-stream",
            "upload-offset": str(offset),
            "upload-checksum": "sha256 " + base64.b64encode(digest).decode(),
        },
    )


def test_options_advertise_the_protocol(client) -> None:
    response = client.options("/uploads")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert "creation" in response.headers["tus-extension"] and "checksum" in response.headers["tus-extension"]
    assert response.headers["tus-checksum-algorithm"] == "sha1,sha256"
    assert response.headers["tus-max-size"] == str(20 * 1024 * 1024)


def test_upload_in_chunks_resume_and_finish(app, person) -> None:
    person.signup()
    data = samples.pdf(300_000)
    created = create(person.client, data)
    assert created.status_code == 201
    url = created.headers["location"]
    assert patch(person.client, url, 0, data[:100_000]).headers["upload-offset"] == "100000"
    # The connection drops; the client asks where to resume.
    head = person.client.head(url, headers=TUS)
    assert head.headers["upload-offset"] == "100000" and head.headers["upload-length"] == str(len(data))
    assert patch(person.client, url, 100_000, data[100_000:200_000]).status_code == 204
    done = patch(person.client, url, 200_000, data[200_000:])
    assert done.status_code == 204
    sha = hashlib.sha256(data).hexdigest()
    assert done.headers["sesame-blob"] == sha
    assert blob_bytes(app.state.blobs, sha) == data
    granted = app.state.db.read_sync(
        lambda c: c.execute("SELECT count(*) FROM blob_grants WHERE sha256 = ?", (sha,)).fetchone()[0]
    )
    assert granted == 1
    assert person.client.head(url, headers=TUS).headers["sesame-blob"] == sha


def test_wrong_offset_and_bad_chunks_are_refused(person) -> None:
    person.signup()
    data = samples.pdf(50_000)
    url = create(person.client, data).headers["location"]
    assert patch(person.client, url, 10, data[:10]).status_code == 409
    assert patch(person.client, url, 0, data[:10_000], checksum=b"x" * 32).status_code == 460
    assert person.client.head(url, headers=TUS).headers["upload-offset"] == "0"
    assert patch(person.client, url, 0, data + b"extra").status_code == 413


def test_a_crash_after_writing_costs_at_most_the_chunk(app, person) -> None:
    person.signup()
    data = samples.pdf(60_000)
    url = create(person.client, data).headers["location"]
    patch(person.client, url, 0, data[:20_000])
    # Simulate a crash between writing bytes and recording the offset.
    part = app.state.uploads.part(url.rsplit("/", 1)[1])
    with part.open("ab") as f:
        f.write(b"GARBAGE-NOT-CONFIRMED")
    assert person.client.head(url, headers=TUS).headers["upload-offset"] == "20000"
    assert (
        patch(person.client, url, 20_000, data[20_000:]).headers["sesame-blob"]
        == hashlib.sha256(data).hexdigest()
    )


def test_whole_file_checks(app, person) -> None:
    person.signup()
    exe = samples.exe()
    url = create(person.client, exe, "passport.pdf").headers["location"]
    refused = patch(person.client, url, 0, exe)
    assert refused.status_code == 422 and "photo" in refused.json()["message"]
    lying = samples.pdf(5000)
    declared = samples.pdf(5001)
    url = person.client.post(
        "/uploads", headers={**TUS, "upload-length": str(len(lying)), "upload-metadata": meta(declared)}
    ).headers["location"]
    assert patch(person.client, url, 0, lying).status_code == 460
    assert person.client.head(url, headers=TUS).status_code == 410  # refused whole: the phone starts again
    assert person.client.post("/uploads", headers={**TUS, "upload-length": "-1"}).status_code == 400


def test_limits_and_access(settings, client, make_person) -> None:
    alice, bob = make_person(), make_person()
    alice.signup()
    bob.signup()
    too_big = alice.client.post(
        "/uploads",
        headers={**TUS, "upload-length": str(settings.max_file_bytes + 1), "upload-metadata": meta(b"x")},
    )
    assert too_big.status_code == 413 and "Mo" in too_big.json()["message"]
    url = create(alice.client, samples.pdf()).headers["location"]
    assert bob.client.head(url, headers=TUS).status_code == 404
    assert patch(bob.client, url, 0, b"x").status_code == 404
    assert client.post("/uploads", headers=TUS).status_code == 401
    assert alice.client.post("/uploads", headers={"upload-length": "1"}).status_code == 412


# -- the protocol as any tus client sees it --------------------------------------------------------


def test_every_answer_says_tus_resumable(client, person) -> None:
    assert client.post("/uploads", headers=TUS).headers["tus-resumable"] == "1.0.0"  # 401
    assert client.get("/uploads").headers["tus-resumable"] == "1.0.0"  # 405
    foreign = client.post("/uploads", headers={**TUS, "origin": "https://evil.example"})
    assert foreign.status_code == 403 and foreign.headers["tus-resumable"] == "1.0.0"
    person.signup()
    assert person.client.post("/uploads", headers={"upload-length": "1"}).headers["tus-resumable"] == "1.0.0"
    too_big = person.client.post("/uploads", headers={**TUS, "upload-length": str(10**12)})
    assert too_big.status_code == 413 and too_big.headers["tus-resumable"] == "1.0.0"


def test_whole_file_hash_is_optional_and_sha1_chunks_are_checked(app, person) -> None:
    person.signup()
    data = samples.pdf(80_000)
    created = person.client.post(
        "/uploads",
        headers={**TUS, "upload-length": str(len(data)), "upload-metadata": "filename c2Nhbi5wZGY="},
    )
    assert created.status_code == 201
    url = created.headers["location"]
    bad = hashlib.sha1(b"other").digest()
    headers = {**TUS, "content-type": "application/offset+octet-stream", "upload-offset": "0"}
    wrong = person.client.patch(
        url,
        content=data[:40_000],
        headers={**headers, "upload-checksum": "sha1 " + base64.b64encode(bad).decode()},
    )
    assert wrong.status_code == 460
    good = base64.b64encode(hashlib.sha1(data[:40_000]).digest()).decode()
    ok = person.client.patch(
        url, content=data[:40_000], headers={**headers, "upload-checksum": f"sha1 {good}"}
    )
    assert ok.status_code == 204 and ok.headers["upload-offset"] == "40000"
    done = person.client.patch(url, content=data[40_000:], headers={**headers, "upload-offset": "40000"})
    assert done.headers["sesame-blob"] == hashlib.sha256(data).hexdigest()  # named by the server's hash
    assert blob_bytes(app.state.blobs, done.headers["sesame-blob"]) == data


def test_a_file_that_is_no_photo_nor_pdf_is_refused_at_its_first_patch(person) -> None:
    person.signup()
    exe = samples.exe() + b"\x00" * 500_000
    url = create(person.client, exe, "passport.pdf").headers["location"]
    refused = patch(person.client, url, 0, exe[:64])
    assert refused.status_code == 422 and "ni une photo ni un PDF" in refused.json()["message"]
    assert person.client.head(url, headers=TUS).status_code == 410  # over: a client starts again
    assert patch(person.client, url, 64, exe[64:128]).status_code == 410


def test_storage_cap_per_person(tmp_path) -> None:
    from server.app import create_app
    from server.settings import load

    from .people import Applicant

    small = load({"SESAME_DATA": str(tmp_path / "small"), "SESAME_MAX_ACCOUNT_MB": "0.1"})
    application = create_app(small)
    with Applicant.new(application, small) as p:
        p.signup()
        first = samples.pdf(60_000)
        url = create(p.client, first).headers["location"]
        assert patch(p.client, url, 0, first).headers["sesame-blob"] == hashlib.sha256(first).hexdigest()
        refused = create(p.client, samples.pdf(60_000))
        assert refused.status_code == 413 and "0,1 Mo" in refused.json()["message"]
        # The same cap holds for plain forms.
        file_id = p.start_file("change_of_situation")
        piece = catalogue.load().checklist("change_of_situation", [])[0].piece.id
        form = p.upload(file_id, piece, ("second.pdf", samples.pdf(61_000), "application/pdf"))
        assert form.status_code == 400 and "0,1 Mo" in form.text
    application.state.db.close()


# -- streaming: bodies are written as they arrive ----------------------------------------------------


def cookie_header(person) -> str:
    return "; ".join(f"{k}={v}" for k, v in person.client.cookies.items())


def asgi_patch(app, settings, person, url: str, offset: int, pieces, *, cut: bool = False, extra=None):
    """PATCH through the ASGI interface, body in `pieces`, then (if `cut`) the client goes away.
    Returns (status, headers, how many pieces the server read)."""
    read = 0
    source = iter(pieces)

    async def receive():
        nonlocal read
        try:
            piece = next(source)
        except StopIteration:
            if cut:
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": piece, "more_body": True}

    answer: dict = {}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}

    headers = {
        **TUS,
        "origin": settings.origin,
        "host": settings.origin.split("//")[1],
        "cookie": cookie_header(person),
        "content-type": "application/offset+octet-stream",
        "upload-offset": str(offset),
        **(extra or {}),
    }
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PATCH",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 8000),
    }
    anyio.run(app, scope, receive, send)
    return answer["status"], answer["headers"], read


def test_a_patch_cut_midway_keeps_what_arrived(app, settings, person) -> None:
    person.signup()
    data = samples.pdf(300_000)
    url = create(person.client, data).headers["location"]
    pieces = [data[i : i + 10_000] for i in range(0, 170_000, 10_000)]
    asgi_patch(app, settings, person, url, 0, pieces, cut=True)
    assert person.client.head(url, headers=TUS).headers["upload-offset"] == "170000"
    # With a chunk checksum, a partial chunk cannot be verified: it is dropped.
    digest = base64.b64encode(hashlib.sha256(data[170_000:]).digest()).decode()
    status, _, _ = asgi_patch(
        app,
        settings,
        person,
        url,
        170_000,
        [data[170_000:200_000]],
        cut=True,
        extra={"upload-checksum": f"sha256 {digest}"},
    )
    assert status == 409
    assert person.client.head(url, headers=TUS).headers["upload-offset"] == "170000"
    done = patch(person.client, url, 170_000, data[170_000:])
    assert done.headers["sesame-blob"] == hashlib.sha256(data).hexdigest()


def test_a_huge_chunked_patch_is_refused_while_it_streams(app, settings, person) -> None:
    person.signup()
    data = samples.pdf(1_000_000)
    url = create(person.client, data).headers["location"]
    piece = 64 * 1024

    def forty_megabytes():
        yield data[:piece]
        for _ in range(40 * 1024 * 1024 // piece):
            yield b"x" * piece

    status, headers, read = asgi_patch(app, settings, person, url, 0, forty_megabytes())
    assert status == 413 and headers["tus-resumable"] == "1.0.0"
    assert read * piece <= len(data) + piece  # stopped at the upload's length, not 40 MB later
    assert person.client.head(url, headers=TUS).headers["upload-offset"] == "0"


def test_a_newer_request_takes_over_a_patch_still_waiting_on_a_dead_connection(app, settings, person) -> None:
    person.signup()
    data = samples.pdf(200_000)
    url = create(person.client, data).headers["location"]
    cookie = cookie_header(person)
    results: dict = {}

    async def scenario() -> None:
        stalled = anyio.Event()
        never = anyio.Event()
        sent = False

        async def stalled_receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data[:50_000], "more_body": True}
            stalled.set()  # the first 50,000 bytes are written: the server waits for more
            await never.wait()  # the phone lost its signal: nothing more, and no disconnect either
            return {"type": "http.disconnect"}

        def scope(method: str, extra: dict) -> dict:
            headers = {**TUS, "origin": settings.origin, "cookie": cookie, **extra}
            return {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": method,
                "scheme": "http",
                "path": url,
                "raw_path": url.encode(),
                "query_string": b"",
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
                "client": ("127.0.0.1", 50001),
                "server": ("localhost", 8000),
            }

        def collect(name: str):
            async def send(message):
                if message["type"] == "http.response.start":
                    results[name] = {k.decode(): v.decode() for k, v in message["headers"]} | {
                        "status": message["status"]
                    }

            return send

        async def quiet_receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async with anyio.create_task_group() as group:
            patch_scope = scope(
                "PATCH", {"content-type": "application/offset+octet-stream", "upload-offset": "0"}
            )
            group.start_soon(app, patch_scope, stalled_receive, collect("patch"))
            await stalled.wait()
            await app(scope("HEAD", {}), quiet_receive, collect("head"))

    anyio.run(scenario)
    assert results["head"]["upload-offset"] == "50000", results
    assert results["patch"]["status"] == 204 and results["patch"]["upload-offset"] == "50000"


# -- the last byte: recorded with its blob, or not at all ------------------------------------------


def test_a_full_disk_at_the_last_patch_keeps_the_upload_open(app, person) -> None:
    person.signup()
    data = samples.pdf(120_000)
    url = create(person.client, data).headers["location"]
    patch(person.client, url, 0, data[:60_000])
    roomy = fill_up(app)
    full = patch(person.client, url, 60_000, data[60_000:])
    assert full.status_code == 507 and "plus tard" in full.json()["message"]
    head = person.client.head(url, headers=TUS)
    assert (
        head.headers["upload-offset"] == "60000" and "sesame-blob" not in head.headers
    )  # the phone keeps it
    assert app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM blobs").fetchone()[0]) == 0
    make_room(app, roomy)  # room again: the phone sends the rest once more
    done = patch(person.client, url, 60_000, data[60_000:])
    sha = hashlib.sha256(data).hexdigest()
    assert done.headers["sesame-blob"] == sha and blob_bytes(roomy, sha) == data
    rows = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM blob_grants").fetchone()[0])
    assert rows == 1


def test_a_full_disk_while_a_chunk_streams_keeps_nothing_of_it(app, person, monkeypatch) -> None:
    person.signup()
    data = samples.pdf(100_000)
    url = create(person.client, data).headers["location"]

    def no_room(self, body):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(Appender, "write", no_room)
        assert patch(person.client, url, 0, data[:50_000]).status_code == 507
    assert person.client.head(url, headers=TUS).headers["upload-offset"] == "0"
    assert patch(person.client, url, 0, data).headers["sesame-blob"] == hashlib.sha256(data).hexdigest()


def test_an_upload_left_complete_without_its_blob_finishes_itself(app, person) -> None:
    """What an older version could leave after a crash: offset = length, no blob."""
    person.signup()
    data = samples.pdf(50_000)
    url = create(person.client, data).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    app.state.uploads.part(upload_id).write_bytes(data)
    app.state.db.write_sync(
        lambda c: c.execute('UPDATE uploads SET "offset" = length WHERE id = ?', (upload_id,))
    )
    head = person.client.head(url, headers=TUS)
    sha = hashlib.sha256(data).hexdigest()
    assert head.headers["sesame-blob"] == sha and blob_bytes(app.state.blobs, sha) == data
    # Its bytes lost as well: the upload opens again where the disk still backs it.
    other = samples.pdf(40_000)
    url = create(person.client, other).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    app.state.uploads.part(upload_id).write_bytes(other[:10_000])
    app.state.db.write_sync(
        lambda c: c.execute('UPDATE uploads SET "offset" = length WHERE id = ?', (upload_id,))
    )
    head = person.client.head(url, headers=TUS)
    assert head.headers["upload-offset"] == "10000" and "sesame-blob" not in head.headers
    done = patch(person.client, url, 10_000, other[10_000:])
    assert done.headers["sesame-blob"] == hashlib.sha256(other).hexdigest()


def test_an_upload_untouched_for_30_days_is_given_up_and_frees_its_room(app, person) -> None:
    from server.domain import uploads as domain_uploads

    person.signup()
    data = samples.pdf(80_000)
    created = create(person.client, data)
    assert "GMT" in created.headers["upload-expires"]
    url = created.headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    patch(person.client, url, 0, data[:30_000])
    owner = app.state.db.read_sync(lambda c: c.execute("SELECT owner FROM uploads").fetchone()[0])
    used = app.state.db.read_sync(lambda c: domain_uploads.storage_used(c, owner))
    assert used == len(data)  # its whole length is reserved while it may still arrive
    app.state.db.write_sync(
        lambda c: c.execute(
            "UPDATE uploads SET touched_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (upload_id,)
        )
    )
    assert app.state.db.read_sync(lambda c: domain_uploads.storage_used(c, owner)) == 0
    assert person.client.head(url, headers=TUS).status_code == 410  # the phone starts again
    assert not app.state.uploads.part(upload_id).exists()
    gone = patch(person.client, url, 30_000, data[30_000:])
    assert gone.status_code == 410 and "30 jours" in gone.json()["message"]


def test_starting_an_upload_sweeps_the_persons_given_up_ones(app, person) -> None:
    person.signup()
    old = create(person.client, samples.pdf(20_000)).headers["location"].rsplit("/", 1)[1]
    app.state.db.write_sync(
        lambda c: c.execute(
            "UPDATE uploads SET touched_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (old,)
        )
    )
    create(person.client, samples.pdf(30_000))
    result = app.state.db.read_sync(
        lambda c: c.execute("SELECT result FROM uploads WHERE id = ?", (old,)).fetchone()[0]
    )
    assert "upload_expired" in result and not app.state.uploads.part(old).exists()
