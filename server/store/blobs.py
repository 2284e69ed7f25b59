"""Blobs: content-addressed files (SHA-256), behind a small interface.

`FileBlobStore` keeps them under `$SESAME_DATA/blobs/ab/cd/<sha256>`;
`S3BlobStore` (server/store/s3blobs.py) in an S3-compatible bucket, with the
same methods (ADR 0019). Storing is two steps: `stage` writes the bytes under a
temporary name (fsynced) and names them by their hash; `publish` moves them
under their final name. Callers publish inside the
database transaction that records the blob, and `remove` a blob inside the
transaction that forgets it: both run under the one writer's lock, so a blob
shared by content can never be removed between another upload's staging and
its record (ADR 0009). A crash never leaves half a blob under its final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The stream went past the size limit (nothing was kept)."""


class Unavailable(OSError):
    """The store cannot be reached or refused the operation: handled like a full
    disk (the upload stays open, the person is told to try again later)."""


@dataclass(frozen=True)
class Staged:
    """Bytes written and made durable under a temporary name, not yet a blob.
    `ref` is that name: a file path, or an object key."""

    sha256: str
    size: int
    ref: str
    # Left in place by `publish` (an object store): its owner removes it once the
    # blob is recorded. A tus upload assembled in S3 parts is its own record of
    # progress until then: deleted before the commit, a crash in between would
    # leave neither parts nor staged bytes, and the upload would start again from 0.
    kept: bool = False

    @property
    def path(self) -> Path:
        return Path(self.ref)


@dataclass(frozen=True)
class Stored:
    """One object found in the store (for `sesame backup verify` and `sesame gc`)."""

    name: str  # a SHA-256 for a blob; the temporary name for staged bytes
    size: int
    modified: datetime


class BlobStore(Protocol):
    def stage(self, stream: BinaryIO, limit: int) -> Staged: ...
    def publish(self, staged: Staged) -> None: ...
    def discard(self, staged: Staged) -> None: ...
    def put(self, stream: BinaryIO, limit: int) -> tuple[str, int]: ...
    def remove(self, sha256: str) -> None: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def exists(self, sha256: str) -> bool: ...
    def size(self, sha256: str) -> int | None: ...
    def blobs(self) -> Iterator[Stored]: ...
    def staged(self) -> Iterator[Stored]: ...
    def discard_name(self, name: str) -> None: ...
    def unfinished(self) -> Iterator[Stored]: ...
    def abort_parts(self, name: str) -> None: ...
    def check(self) -> None: ...


def valid_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not valid_sha256(sha256):
            raise ValueError("not a SHA-256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def stage(self, stream: BinaryIO, limit: int) -> Staged:
        """Copy a stream to a temporary file; TooLarge past `limit` bytes, OSError
        (a full disk) as it comes. Nothing is left behind on failure."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: stream.read(CHUNK), b""):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(size)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            os.unlink(tmp)
            raise
        return Staged(digest.hexdigest(), size, tmp)

    def publish(self, staged: Staged) -> None:
        """Give staged bytes their final name (identical bytes may already be there)."""
        final = self.path(staged.sha256)
        if final.exists():
            self.discard(staged)
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, final)
        _fsync_dir(final.parent)

    def discard(self, staged: Staged) -> None:
        staged.path.unlink(missing_ok=True)

    def put(self, stream: BinaryIO, limit: int) -> tuple[str, int]:
        """Stage and publish at once; (sha256, size)."""
        staged = self.stage(stream, limit)
        self.publish(staged)
        return staged.sha256, staged.size

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        try:
            return self.path(sha256).exists()
        except ValueError:
            return False

    def size(self, sha256: str) -> int | None:
        try:
            return self.path(sha256).stat().st_size
        except (ValueError, FileNotFoundError):
            return None

    @staticmethod
    def _stored(path: Path) -> Stored:
        info = path.stat()
        return Stored(path.name, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def blobs(self) -> Iterator[Stored]:
        """Every blob under its final name."""
        for path in sorted(self.root.glob("??/??/*")):
            if path.is_file() and valid_sha256(path.name):
                yield self._stored(path)

    def staged(self) -> Iterator[Stored]:
        """Bytes staged and never published nor discarded (a crash between the two)."""
        for path in sorted(self.root.glob(".incoming-*")):
            if path.is_file():
                yield self._stored(path)

    def discard_name(self, name: str) -> None:
        if not name.startswith(".incoming-") or "/" in name:
            raise ValueError(name)
        (self.root / name).unlink(missing_ok=True)

    def unfinished(self) -> Iterator[Stored]:
        """Uploads assembled in parts: none here (tus uploads stay `.part` files)."""
        return iter(())

    def abort_parts(self, name: str) -> None:
        return None

    def check(self) -> None:
        """Raise OSError unless blobs can be written here (for /readyz)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".ready-"):
            pass


def iter_file(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        yield from iter(lambda: stream.read(CHUNK), b"")
