"""Resumable uploads (tus 1.0 core + creation + checksum), over HTTP."""

from __future__ import annotations

import base64
import hashlib

from . import samples

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
    assert app.state.blobs.path(sha).read_bytes() == data
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
