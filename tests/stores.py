"""Helpers for tests that run against both blob stores (file and S3)."""

from __future__ import annotations

import errno

import pytest

from server.store.blobs import BlobStore

STORES = ["file", "s3"]


def blob_bytes(store: BlobStore, sha256: str) -> bytes:
    with store.open(sha256) as stream:
        return stream.read()


def stored(store: BlobStore) -> list[str]:
    """Everything the store holds: blobs under their final name and staged bytes."""
    return [s.name for s in store.blobs()] + [s.name for s in store.staged()]


class FullDisk:
    """A blob store with no room left (or an object store refusing writes)."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    def stage(self, stream, limit):
        raise OSError(errno.ENOSPC, "No space left on device")

    def put_part(self, *args, **kwargs):  # S3: the store refuses the parts of a tus upload
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str):
        return getattr(self.store, name)


def fill_up(app) -> object:
    """Make the app's blob store refuse writes (tus assembly in S3 included);
    returns what `make_room` needs to undo it."""
    roomy = app.state.blobs
    app.state.blobs = FullDisk(roomy)
    if hasattr(app.state.uploads, "blobs"):
        app.state.uploads.blobs = app.state.blobs
    return roomy


def make_room(app, roomy) -> None:
    app.state.blobs = roomy
    if hasattr(app.state.uploads, "blobs"):
        app.state.uploads.blobs = roomy


def parametrised_settings():
    """A `settings` fixture for a test module: each test runs on both stores."""
    from .conftest import store_settings

    @pytest.fixture(params=STORES)
    def settings(request, tmp_path):
        return store_settings(request, tmp_path)

    return settings
