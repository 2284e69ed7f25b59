"""Files are judged by their bytes: type, emptiness, truncation, size."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from server.domain import content, uploads
from server.store.blobs import FileBlobStore, TooLarge

from . import samples


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (samples.pdf(), "application/pdf"),
        (samples.png(), "image/png"),
        (samples.jpeg(), "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 28, "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
        (samples.exe(), None),
        (b"<html><script>alert(1)</script>", None),
    ],
)
def test_sniff(data: bytes, media_type: str | None) -> None:
    assert content.sniff(data[:32]) == media_type


def test_good_files_pass() -> None:
    for data in (samples.pdf(), samples.png(), samples.jpeg()):
        assert content.inspect(io.BytesIO(data)).problem is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "file_empty"),
        (samples.exe(), "file_type_unknown"),
        (samples.jpeg()[:-200], "file_truncated"),
        (samples.png()[:-12], "file_truncated"),
        (samples.pdf(5000)[:3000], "file_truncated"),
    ],
)
def test_bad_files_are_named(data: bytes, problem: str) -> None:
    assert content.inspect(io.BytesIO(data)).problem == problem


def test_check_refuses_by_content_not_name() -> None:
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check(io.BytesIO(samples.exe()), limit=10_000, accepted={"application/pdf"})
    assert refused.value.code == "file_type_unknown"
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check(io.BytesIO(samples.png()), limit=10_000, accepted={"application/pdf"})
    assert refused.value.code == "file_type_refused" and refused.value.accepted == ("application/pdf",)
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check(io.BytesIO(samples.pdf(20_000)), limit=10_000, accepted=None)
    assert refused.value.code == "file_too_large"


def test_blob_store_is_content_addressed(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    sha, size = store.put(io.BytesIO(b"hello"), limit=100)
    assert sha == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" and size == 5
    assert store.path(sha).read_bytes() == b"hello"
    assert store.put(io.BytesIO(b"hello"), limit=100) == (sha, 5)
    with pytest.raises(TooLarge):
        store.put(io.BytesIO(b"x" * 101), limit=100)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [sha]  # nothing half-written left
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
    assert not store.exists("not-a-hash")
