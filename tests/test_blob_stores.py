"""Both blob stores, through the same interface: content-addressed, staged then
published, nothing left behind on refusal; on S3, multipart past one part,
encrypted at rest; downloads streamed with the same headers."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from server.app import blob_store
from server.store import s3blobs
from server.store.blobs import TooLarge

from . import samples
from .stores import blob_bytes, parametrised_settings, stored
from .test_refused_uploads import piece_of

settings = parametrised_settings()


@pytest.fixture
def store(settings):
    return blob_store(settings)


def test_stage_then_publish_names_the_bytes_by_their_hash(store) -> None:
    data = os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    staged = store.stage(io.BytesIO(data), limit=10**6)
    assert (staged.sha256, staged.size) == (sha, len(data))
    assert not store.exists(sha)  # not a blob before it is published
    store.publish(staged)
    assert store.exists(sha) and store.size(sha) == len(data) and blob_bytes(store, sha) == data
    again = store.stage(io.BytesIO(data), limit=10**6)
    store.publish(again)  # identical bytes: kept once, the staged copy gone
    assert stored(store) == [sha]
    store.remove(sha)
    assert not store.exists(sha) and stored(store) == []
    with pytest.raises(FileNotFoundError):
        store.open(sha)


def test_too_large_leaves_nothing(store) -> None:
    with pytest.raises(TooLarge):
        store.stage(io.BytesIO(b"x" * 5000), limit=4000)
    assert stored(store) == []


def test_discard_forgets_staged_bytes(store) -> None:
    staged = store.stage(io.BytesIO(b"%PDF-1.4 never used"), limit=1000)
    assert len(stored(store)) == 1
    store.discard(staged)
    assert stored(store) == []


@pytest.mark.parametrize("settings", ["s3"], indirect=True)
def test_s3_multipart_past_one_part_and_encrypted_at_rest(store, monkeypatch) -> None:
    monkeypatch.setattr(s3blobs, "PART", 5 * 1024 * 1024)  # S3's smallest part
    data = os.urandom(11 * 1024 * 1024 + 123)  # two full parts and a short last one
    sha, size = store.put(io.BytesIO(data), limit=20 * 1024 * 1024)
    assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
    head = store.s3.head_object(Bucket=store.bucket, Key=store.key(sha))
    assert head["ServerSideEncryption"] == "AES256"
    assert blob_bytes(store, sha) == data
    assert not list(store.staged())


@pytest.mark.parametrize("settings", ["s3"], indirect=True)
def test_an_unreachable_store_is_unavailable_not_a_crash(settings) -> None:
    from dataclasses import replace

    from server.store.blobs import Unavailable

    broken = blob_store(replace(settings, s3_endpoint="http://127.0.0.1:9"))
    broken.s3.meta.config.retries = {"max_attempts": 1}
    with pytest.raises(Unavailable):
        broken.stage(io.BytesIO(b"%PDF-1.4"), limit=100)
    with pytest.raises(Unavailable):
        broken.check()


def test_downloads_stream_with_the_sandbox_header(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    file_id = alice.start_file("change_of_situation")
    data = samples.pdf(70_000)
    assert alice.upload(file_id, piece_of(), ("scan.pdf", data, "application/pdf")).status_code == 303
    attachment = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM attachments").fetchone()[0])
    got = alice.client.get(f"/files/{file_id}/attachments/{attachment}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-security-policy"].startswith("sandbox")
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-length"] == str(len(data))
    assert "scan.pdf" in got.headers["content-disposition"]
    # Bytes lost from the store: a plain 404, never a 500.
    sha = hashlib.sha256(data).hexdigest()
    app.state.blobs.remove(sha)
    assert alice.client.get(f"/files/{file_id}/attachments/{attachment}").status_code == 404
