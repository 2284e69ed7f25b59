"""Resumable (tus) uploads assembled in the S3 store as they arrive (ADR 0027).

Each tus upload is one S3 multipart upload, keyed like staged bytes
(`<prefix>incoming/<upload id>`, server/store/s3blobs.py). A PATCH's bytes go to
a small local *spill* file holding the part being filled; as soon as it holds a
full part (5 MiB, S3's minimum) and more bytes come, it is sent as the next part
(with its MD5, which the store checks) and a new spill starts. So the local disk
holds at most two parts per unfinished upload, never a whole file, and memory
holds no part at all (parts stream from the spill).

What is durable for a recorded offset `o` (the invariant every step keeps):
parts 1..n are in S3, n = o // PART, and the spill `<id>.<n*PART>.part` holds
bytes [n*PART, o). A PATCH never records anything before its end (like the
file store: a crash mid-PATCH costs that PATCH); until then the spill of the
recorded offset stays as it was, so a PATCH that fails its checksum or is cut
goes back exactly to `o`. A part re-sent after such a rollback simply replaces
the stored one (same number). Spills of other bases are leftovers, cut on the
next request.

At the last byte, `assemble` sends the last part and completes the multipart
upload: the bytes become staged bytes, published under their SHA-256 by the
blob store's server-side copy inside the transaction that records the last
byte (ADR 0009, 0019). The whole file's SHA-256 is computed as the bytes stream
in and kept in memory between PATCHes with the offset it covers; after a
restart (memory lost) it is computed at the end by reading the assembled
object back once.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sync.uploads import Appender, Assembled, Checksum, Upload, UploadError, UploadStore

from .blobs import CHUNK
from .s3blobs import S3BlobStore

# S3's minimum part size (every part but the last); also the most a spill holds.
PART = 5 * 1024 * 1024
# Parts sent at once, server-wide: each holds a connection and a worker thread.
PART_UPLOADS = threading.BoundedSemaphore(8)


def base_of(offset: int) -> int:
    return offset // PART * PART


class Ranged:
    """A seekable read-only view of staged bytes, by ranged GETs: enough for
    `content.inspect`, which reads a few bytes at the start and the end."""

    def __init__(self, store: S3BlobStore, name: str, size: int) -> None:
        self.store, self.name, self.size, self.position = store, name, size, 0

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def tell(self) -> int:
        return self.position

    def read(self, size: int = -1) -> bytes:
        end = self.size if size < 0 else min(self.size, self.position + size)
        if end <= self.position:
            return b""
        with contextlib.closing(self.store.read_staged(self.name, self.position, end)) as body:
            data: bytes = body.read()
        self.position += len(data)
        return data

    def __enter__(self) -> Ranged:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class PartAppender(Appender):
    """A PATCH's bytes: into the spill, sent on to S3 part by part."""

    def __init__(self, store: S3UploadStore, upload: Upload, checksum: Checksum | None) -> None:
        self.store = store
        self.upload_id = upload.id
        self.start = upload.offset
        self.length = upload.length
        self.checksum = checksum
        self.hasher = hashlib.new(checksum.algorithm) if checksum else None
        self.received = 0
        self.recorded_base = self.base = base_of(upload.offset)
        self.pending = b""
        cached = store.digests.get(upload.id)
        # The whole file's SHA-256 so far, when this process saw every byte before.
        self.whole = cached[1].copy() if cached and cached[0] == upload.offset else None
        store.tidy(upload)
        path = store.spill(upload.id, self.base)
        self.file: BinaryIO = path.open("r+b" if path.exists() else "w+b")
        if path.stat().st_size < self.start - self.base:
            self.file.close()
            raise UploadError("offset_mismatch", "bytes before the offset are missing")
        self.file.truncate(self.start - self.base)
        self.file.seek(self.start - self.base)

    def write(self, data: bytes) -> None:
        if self.pending:
            raise RuntimeError("push_part first")
        if self.offset + len(data) > self.length:
            raise UploadError("length_exceeded")
        room = PART - (self.offset - self.base)
        now, self.pending = data[:room], data[room:]
        super().write(now)
        if self.whole is not None:
            self.whole.update(now)

    @property
    def part_ready(self) -> bool:
        return bool(self.pending)

    def push_part(self) -> None:
        """Send the full spill as its part, start the next one, write what waited."""
        while self.pending:
            self._send()
            pending, self.pending = self.pending, b""
            self.write(pending)  # more than a part waiting leaves the rest pending again

    def _send(self) -> None:
        self.file.flush()
        self.file.seek(0)
        md5 = hashlib.md5(usedforsecurity=False)
        for chunk in iter(lambda: self.file.read(CHUNK), b""):
            md5.update(chunk)
        self.file.seek(0)
        self.store.put_part(self.upload_id, self.base // PART + 1, self.file, PART, md5)
        self.file.close()
        if self.base != self.recorded_base:  # in S3 now; the recorded spill stays for a rollback
            self.store.spill(self.upload_id, self.base).unlink(missing_ok=True)
        self.base += PART
        self.file = self.store.spill(self.upload_id, self.base).open("w+b")

    def keep(self) -> int:
        """Make what arrived durable: a spill left full goes on as its part unless it
        is the last (sent by `assemble`)."""
        if self.offset - self.base == PART and self.offset < self.length:
            self._send()
        reached = super().keep()
        if self.whole is not None:
            self.store.digests[self.upload_id] = (reached, self.whole)
        return reached

    def rollback(self) -> None:
        """Back to the recorded offset: later spills go, the recorded one is cut back."""
        with contextlib.suppress(OSError):
            self.file.close()
        for path in self.store.spills(self.upload_id):
            if path != self.store.spill(self.upload_id, self.recorded_base):
                path.unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError), self.store.spill(self.upload_id, self.recorded_base).open(
            "r+b"
        ) as f:
            f.truncate(self.start - self.recorded_base)
        self.received = 0
        self.pending = b""


class S3UploadStore(UploadStore):
    """The tus state machine of sync/uploads.py, with the bytes in S3 parts."""

    def __init__(self, root: Path, blobs: S3BlobStore) -> None:
        super().__init__(root)
        self.blobs = blobs
        # upload id → (offset, SHA-256 state of bytes [0, offset)); lost on restart.
        self.digests: dict[str, tuple[int, Any]] = {}
        # upload id → {part number: MD5 of the bytes last sent as that part}. A part
        # sent again (after a rollback) may be listed twice by some stores
        # (SeaweedFS keeps both until completion): this says which one is ours.
        self.sent: dict[str, dict[int, str]] = {}
        # upload id → the S3 id of its multipart upload (saves a listing per part).
        self.multiparts: dict[str, str] = {}

    def put_part(self, upload_id: str, number: int, stream: BinaryIO, size: int, md5: Any) -> None:
        multipart = self.multipart(upload_id, create=True)
        assert multipart is not None
        try:
            with PART_UPLOADS:
                self.blobs.put_part(upload_id, multipart, number, stream, size, md5.digest())
        except OSError:
            self.multiparts.pop(upload_id, None)  # aborted meanwhile, perhaps: look again next time
            raise
        self.sent.setdefault(upload_id, {})[number] = md5.hexdigest()

    def spill(self, upload_id: str, base: int) -> Path:
        return self.root / f"{uuid.UUID(upload_id)}.{base}.part"

    def part(self, upload_id: str) -> Path:
        """The first spill: the whole file while it is under one part."""
        return self.spill(upload_id, 0)

    def spills(self, upload_id: str) -> list[Path]:
        return sorted(self.root.glob(f"{uuid.UUID(upload_id)}.*.part"))

    def multipart(self, upload_id: str, *, create: bool) -> str | None:
        if upload_id not in self.multiparts:
            found = self.blobs.multipart(upload_id, create=create)
            if found is None:
                return None
            self.multiparts[upload_id] = found
        return self.multiparts[upload_id]

    def tidy(self, upload: Upload) -> None:
        """Spills of other bases than the recorded offset's are leftovers of a
        PATCH that never recorded (a crash) or of one recorded since."""
        keep = self.spill(upload.id, base_of(upload.offset))
        for path in self.spills(upload.id):
            if path != keep:
                path.unlink(missing_ok=True)

    def appender(self, upload: Upload, *, offset: int, checksum: Checksum | None) -> Appender:
        self.appendable(upload, offset)
        return PartAppender(self, upload, checksum)

    def _stored_parts(self, upload_id: str) -> int:
        """How many leading full parts S3 holds for this upload."""
        multipart = self.multipart(upload_id, create=False)
        if multipart is None:
            return 0
        count = 0
        for number, size, _ in self.blobs.parts(upload_id, multipart):
            if number != count + 1 or size != PART:
                break
            count += 1
        return count

    def durable_size(self, upload: Upload) -> int:
        base = base_of(upload.offset)
        if base and (stored := self._stored_parts(upload.id) * PART) < base:
            return stored  # parts gone (aborted by a lifecycle rule, say): resume after the last kept
        try:
            return base + self.spill(upload.id, base).stat().st_size
        except FileNotFoundError:
            return base

    def cut_back(self, upload: Upload) -> None:
        self.tidy(upload)
        base = base_of(upload.offset)
        with contextlib.suppress(OSError), self.spill(upload.id, base).open("r+b") as f:
            f.truncate(upload.offset - base)

    def assembled(self, upload: Upload) -> bool:
        """A last PATCH completed the multipart upload, then the process died
        before recording it: every byte is in the store, finish from there."""
        return upload.result is None and self.blobs.staged_size(upload.id) == upload.length

    def assemble(self, upload: Upload) -> Assembled:
        """Every byte has arrived: the last part goes, the parts become one staged object."""
        if self.blobs.staged_size(upload.id) != upload.length:
            last = (upload.length - 1) // PART
            size = upload.length - last * PART
            with self.spill(upload.id, last * PART).open("rb") as f:
                md5 = hashlib.md5(usedforsecurity=False)
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    md5.update(chunk)
                f.seek(0)
                self.put_part(upload.id, last + 1, f, size, md5)
            multipart = self.multipart(upload.id, create=False)
            assert multipart is not None
            parts = self._chosen(upload.id, self.blobs.parts(upload.id, multipart), last, size)
            if parts is None:
                # Which bytes a part holds cannot be told (sent twice, differently,
                # by a process that is gone): start this upload again from zero.
                self.blobs.abort_parts(upload.id)
                self.sent.pop(upload.id, None)
                self.multiparts.pop(upload.id, None)
                raise UploadError("offset_mismatch", "the stored parts do not add up")
            self.blobs.complete_parts(upload.id, multipart, parts)
            self.multiparts.pop(upload.id, None)
        cached = self.digests.get(upload.id)
        if cached and cached[0] == upload.length:
            sha256 = cached[1].hexdigest()
        else:  # a restart lost the running hash: read the assembled bytes back once
            digest = hashlib.sha256()
            with contextlib.closing(self.blobs.read_staged(upload.id)) as body:
                for chunk in iter(lambda: body.read(CHUNK), b""):
                    digest.update(chunk)
            sha256 = digest.hexdigest()
        return Assembled(sha256, upload.length, self.blobs.staged_key(upload.id))

    def _chosen(
        self, upload_id: str, listed: list[tuple[int, int, str]], last: int, size: int
    ) -> list[tuple[int, int, str]] | None:
        """One listed part per number, 1..last+1, of the right sizes: ours."""
        sent = self.sent.get(upload_id, {})
        chosen = []
        for number in range(1, last + 2):
            want = PART if number <= last else size
            etags = {etag for n, s, etag in listed if n == number and s == want}
            if number in sent:
                etags = {e for e in etags if e.strip('"') == sent[number]}
            if len(etags) != 1:
                return None
            chosen.append((number, want, etags.pop()))
        return chosen

    def open(self, upload: Upload) -> BinaryIO:
        return Ranged(self.blobs, upload.id, upload.length)  # type: ignore[return-value]

    def sha256(self, upload: Upload) -> str:
        return self.assemble(upload).sha256

    def discard(self, upload: Upload) -> None:
        """Everything an ended upload held: spills, parts, an assembled object left unpublished."""
        self.digests.pop(upload.id, None)
        self.sent.pop(upload.id, None)
        self.multiparts.pop(upload.id, None)
        for path in self.spills(upload.id):
            path.unlink(missing_ok=True)
        self.blobs.abort_parts(upload.id)
        self.blobs.discard_name(upload.id)

    def expire(self, conn: sqlite3.Connection, owner: str, now: datetime | None = None) -> list[str]:
        ended = super().expire(conn, owner, now)
        for upload_id in ended:
            self.digests.pop(upload_id, None)
            self.sent.pop(upload_id, None)
            self.multiparts.pop(upload_id, None)
            for path in self.spills(upload_id):
                path.unlink(missing_ok=True)
            # Inside the caller's transaction: a store that does not answer must not
            # fail it; `sesame gc` aborts what is left once the upload has ended.
            with contextlib.suppress(OSError):
                self.blobs.abort_parts(upload_id)
        return ended
