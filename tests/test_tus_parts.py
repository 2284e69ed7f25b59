"""Tus uploads of several S3 parts (ADR 0027), on both stores: the bytes are
assembled in the object store's multipart upload as they arrive, a restart in
the middle of a part resumes where the recorded offset says, a checksummed
chunk that fails goes back across a part boundary, a last PATCH cut after the
parts were put together finishes at the next request, and `sesame gc` aborts
the multipart uploads nothing will finish."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.store import inventory
from server.store.s3uploads import PART, S3UploadStore

from . import samples
from .stores import blob_bytes, parametrised_settings
from .test_tus import TUS, create, patch

settings = parametrised_settings()

MB = 1024 * 1024


def plain_patch(client, url: str, offset: int, chunk: bytes):
    """A PATCH as our uploader sends it: no per-chunk checksum."""
    return client.patch(
        url,
        content=chunk,
        headers={**TUS, "content-type": "application/offset+octet-stream", "upload-offset": str(offset)},
    )


def spilled(app) -> int:
    """Bytes of unfinished uploads on the local disk."""
    root = app.state.uploads.root
    return sum(p.stat().st_size for p in root.glob("*.part")) if root.exists() else 0


def test_a_file_of_several_parts_in_uneven_chunks(app, person) -> None:
    person.signup()
    data = samples.pdf(12 * MB + 123)
    url = create(person.client, data).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    offset, step = 0, 3 * MB + 1
    in_s3 = isinstance(app.state.uploads, S3UploadStore)
    while offset < len(data):
        answer = plain_patch(person.client, url, offset, data[offset : offset + step])
        assert answer.status_code == 204, answer.text
        offset = int(answer.headers["upload-offset"])
        if in_s3 and offset < len(data):
            # Never the whole file on the local disk: the part being filled, at most.
            assert spilled(app) < PART
            multipart = app.state.uploads.multipart(upload_id, create=False)
            stored = app.state.blobs.parts(upload_id, multipart) if multipart else []
            assert [n for n, _, _ in stored] == list(range(1, offset // PART + 1))
            assert int(person.client.head(url, headers=TUS).headers["upload-offset"]) == offset
    sha = hashlib.sha256(data).hexdigest()
    assert answer.headers["sesame-blob"] == sha
    assert blob_bytes(app.state.blobs, sha) == data
    # Nothing left behind: no spill, no staged object, no unfinished multipart upload.
    assert spilled(app) == 0
    assert [s.name for s in app.state.blobs.staged()] == []
    assert list(app.state.blobs.unfinished()) == []


def restarted(app, settings, person) -> tuple[object, TestClient]:
    """A new server process on the same data folder and bucket: nothing kept in memory."""
    again = create_app(settings)
    client = TestClient(again, base_url=settings.origin, headers={"origin": settings.origin})
    client.cookies.update(person.client.cookies)
    return again, client


def test_a_restart_in_the_middle_of_a_part_resumes_from_the_recorded_offset(app, settings, person) -> None:
    person.signup()
    data = samples.pdf(11 * MB)
    url = create(person.client, data).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    first = 7 * MB  # S3: part 1 stored, 2 MiB of part 2 in the spill
    assert plain_patch(person.client, url, 0, data[:first]).headers["upload-offset"] == str(first)
    # Then a PATCH whose bytes reached the disk but were never recorded (the process died).
    uploads = app.state.uploads
    spill = uploads.spill(upload_id, PART) if isinstance(uploads, S3UploadStore) else uploads.part(upload_id)
    with spill.open("ab") as f:
        f.write(b"NEVER-CONFIRMED" * 1000)
    again, client = restarted(app, settings, person)
    try:
        with client:
            assert client.head(url, headers=TUS).headers["upload-offset"] == str(first)
            offset = first
            for size in (MB // 2, 3 * MB, len(data)):  # other chunk sizes than before the restart
                answer = plain_patch(client, url, offset, data[offset : offset + size])
                assert answer.status_code == 204, answer.text
                offset = int(answer.headers["upload-offset"])
                if offset == len(data):
                    break
            sha = hashlib.sha256(data).hexdigest()
            # The running hash was lost with the process: computed again from the assembled bytes.
            assert answer.headers["sesame-blob"] == sha
            assert blob_bytes(again.state.blobs, sha) == data
    finally:
        again.state.db.close()


def test_a_checksummed_chunk_that_fails_goes_back_across_a_part_boundary(app, person) -> None:
    person.signup()
    data = samples.pdf(9 * MB)
    url = create(person.client, data).headers["location"]
    assert patch(person.client, url, 0, data[: 4 * MB]).headers["upload-offset"] == str(4 * MB)
    # 4 MiB more would fill part 1 and start part 2; its checksum does not match.
    bad = patch(person.client, url, 4 * MB, data[4 * MB : 8 * MB], checksum=hashlib.sha256(b"x").digest())
    assert bad.status_code == 460
    assert person.client.head(url, headers=TUS).headers["upload-offset"] == str(4 * MB)
    assert patch(person.client, url, 4 * MB, data[4 * MB : 8 * MB]).headers["upload-offset"] == str(8 * MB)
    done = patch(person.client, url, 8 * MB, data[8 * MB :])
    assert done.headers["sesame-blob"] == hashlib.sha256(data).hexdigest()


def all_but_the_last_patch(person) -> tuple[bytes, str, str]:
    """A file of two parts (6 MB and 5 bytes) sent but for its last 5 bytes."""
    person.signup()
    data = samples.pdf(6 * MB + 5)
    url = create(person.client, data).headers["location"]
    assert plain_patch(person.client, url, 0, data[: 6 * MB]).status_code == 204
    return data, url, url.rsplit("/", 1)[1]


def test_a_last_patch_cut_after_its_parts_were_put_together_finishes_at_the_next_request(
    app, settings, person
) -> None:
    data, url, upload_id = all_but_the_last_patch(person)
    uploads = app.state.uploads
    if not isinstance(uploads, S3UploadStore):
        return  # on disk the `.part` file is the assembly: covered by test_tus.py
    # What the last PATCH did before the process died: its bytes in the spill, the
    # multipart upload completed, and no record of it.
    with uploads.spill(upload_id, PART).open("ab") as f:
        f.write(data[6 * MB :])
    owner = uploads_owner(app)
    upload = app.state.db.read_sync(lambda c: uploads.get(c, upload_id, owner))
    uploads.assemble(upload.__class__(upload.id, upload.owner, upload.length, upload.length, upload.metadata))
    assert app.state.blobs.staged_size(upload_id) == len(data)
    again, client = restarted(app, settings, person)
    try:
        with client:
            head = client.head(url, headers=TUS)
            sha = hashlib.sha256(data).hexdigest()
            assert head.headers["upload-offset"] == str(len(data)) and head.headers["sesame-blob"] == sha
            assert blob_bytes(again.state.blobs, sha) == data
            assert app.state.blobs.staged_size(upload_id) is None
    finally:
        again.state.db.close()


class Died(BaseException):
    """The process ends here, as under SIGKILL: nothing after this runs."""


def test_a_last_patch_cut_after_its_blob_was_published_finishes_at_the_next_request(
    app, settings, person, monkeypatch
) -> None:
    """The window between the server-side copy to the blob's name and the commit that
    records it: the staged object stays (the upload's own record of its bytes) until the
    blob is recorded. Deleted at the copy, the upload went back to 0 after a crash there
    (seen once, tests/test_tus_s3_kill.py)."""
    data, url, upload_id = all_but_the_last_patch(person)
    uploads = app.state.uploads
    if not isinstance(uploads, S3UploadStore):
        return  # on disk the blob is a rename of the `.part` file: covered by test_tus.py

    def died(*args: object, **kwargs: object) -> None:
        raise Died

    monkeypatch.setattr(uploads, "complete", died)
    # A client of its own (no lifespan portal): what dies with the request is only its own.
    dying = TestClient(app, base_url=settings.origin, headers={"origin": settings.origin})
    dying.cookies.update(person.client.cookies)
    with pytest.raises(BaseException) as ended:
        plain_patch(dying, url, 6 * MB, data[6 * MB :])
    assert ended.group_contains(Died) if isinstance(ended.value, BaseExceptionGroup) else ended.type is Died
    monkeypatch.undo()
    sha = hashlib.sha256(data).hexdigest()
    assert app.state.blobs.exists(sha) and app.state.blobs.staged_size(upload_id) == len(data)
    again, client = restarted(app, settings, person)
    try:
        with client:
            head = client.head(url, headers=TUS)
            assert head.headers["upload-offset"] == str(len(data)) and head.headers["sesame-blob"] == sha
            assert blob_bytes(again.state.blobs, sha) == data
            assert again.state.blobs.staged_size(upload_id) is None  # removed once recorded
    finally:
        again.state.db.close()


def uploads_owner(app) -> str:
    return app.state.db.read_sync(lambda c: c.execute("SELECT owner FROM uploads").fetchone()[0])


def test_gc_aborts_the_multipart_uploads_nothing_will_finish(app, person) -> None:
    person.signup()
    uploads, blobs = app.state.uploads, app.state.blobs
    # An upload given up after 30 days, with a part stored.
    stale = samples.pdf(6 * MB)
    stale_url = create(person.client, stale).headers["location"]
    stale_id = stale_url.rsplit("/", 1)[1]
    assert plain_patch(person.client, stale_url, 0, stale[: 5 * MB + 1]).status_code == 204
    # One still open: its parts stay.
    live = samples.pdf(6 * MB)
    live_url = create(person.client, live).headers["location"]
    live_id = live_url.rsplit("/", 1)[1]
    assert plain_patch(person.client, live_url, 0, live[: 5 * MB + 1]).status_code == 204
    app.state.db.write_sync(
        lambda c: c.execute(
            "UPDATE uploads SET touched_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (stale_id,)
        )
    )
    in_s3 = isinstance(uploads, S3UploadStore)
    if in_s3:
        # And one whose upload ended while the abort failed (the store was unreachable).
        lost = "0b7c5e3a-5c1e-4f7e-9a59-3f2d3c9a4b11"
        multipart = blobs.multipart(lost, create=True)
        with (uploads.root / "lost.bin").open("w+b") as f:
            f.write(b"\0" * PART)
            f.seek(0)
            blobs.put_part(lost, multipart, 1, f, PART, hashlib.md5(b"\0" * PART).digest())
        assert {u.name for u in blobs.unfinished()} == {stale_id, live_id, lost}
    done = inventory.collect(
        app.state.db, blobs, uploads, grace=timedelta(0), now=datetime.now(UTC) + timedelta(minutes=1)
    )
    assert done.uploads_expired == [stale_id]
    if in_s3:
        assert set(done.multiparts) == {lost}
        assert {u.name for u in blobs.unfinished()} == {live_id}
        assert uploads.spills(stale_id) == [] and uploads.spills(live_id) != []
    # The open upload finishes as if nothing happened.
    done_live = plain_patch(person.client, live_url, 5 * MB + 1, live[5 * MB + 1 :])
    assert done_live.headers["sesame-blob"] == hashlib.sha256(live).hexdigest()


def test_a_part_sent_twice_with_different_bytes_completes_with_the_last(app, settings, person) -> None:
    """Damaged bytes that fail their chunk's checksum were already sent on as part 1;
    the good bytes are sent again. Some stores (SeaweedFS) list both versions of the
    part until completion: the one sent last is chosen. After a restart nothing
    says which is which: the upload starts again from zero (the phone has the file)."""
    person.signup()
    for restart in (False, True):
        data = samples.pdf(7 * MB + restart)
        url = create(person.client, data).headers["location"]
        assert patch(person.client, url, 0, data[: 4 * MB]).status_code == 204
        chunk = data[4 * MB : 6 * MB]
        damaged = chunk[:100] + bytes(b ^ 0xFF for b in chunk[100:200]) + chunk[200:]
        bad = patch(person.client, url, 4 * MB, damaged, checksum=hashlib.sha256(chunk).digest())
        assert bad.status_code == 460
        assert patch(person.client, url, 4 * MB, chunk).headers["upload-offset"] == str(6 * MB)
        client, again = person.client, None
        if restart:
            again, client = restarted(app, settings, person)
            client.__enter__()
        try:
            done = patch(client, url, 6 * MB, data[6 * MB :])
            sha = hashlib.sha256(data).hexdigest()
            if done.status_code == 409:  # only where the store kept both versions of part 1
                assert restart and done.headers["upload-offset"] == "0"
                done = patch(client, url, 0, data)
            assert done.headers["sesame-blob"] == sha
            assert blob_bytes(app.state.blobs, sha) == data
        finally:
            if again is not None:
                client.__exit__(None, None, None)
                again.state.db.close()


class Down:
    """An object store that does not answer."""

    def __getattr__(self, name: str):
        def fail(*args, **kwargs):
            from server.store.blobs import Unavailable

            raise Unavailable("S3: connection refused")

        return fail


def test_an_object_store_that_does_not_answer_keeps_the_upload_open(app, person) -> None:
    person.signup()
    uploads = app.state.uploads
    if not isinstance(uploads, S3UploadStore):
        return  # the file store's full disk: test_tus.py
    data = samples.pdf(6 * MB)
    url = create(person.client, data).headers["location"]
    assert plain_patch(person.client, url, 0, data[: 5 * MB + 10]).status_code == 204
    roomy = uploads.blobs
    uploads.blobs, uploads.multiparts = Down(), {}
    head = person.client.head(url, headers=TUS)
    assert head.status_code == 503 and head.headers["retry-after"]
    refused = plain_patch(person.client, url, 5 * MB + 10, data[5 * MB + 10 :])
    assert refused.status_code == 507 and "plus tard" in refused.json()["message"]
    uploads.blobs = roomy
    assert person.client.head(url, headers=TUS).headers["upload-offset"] == str(5 * MB + 10)
    done = plain_patch(person.client, url, 5 * MB + 10, data[5 * MB + 10 :])
    assert done.headers["sesame-blob"] == hashlib.sha256(data).hexdigest()
