"""Resumable uploads: tus 1.0 core, with the creation and checksum extensions.

    POST  /uploads            Upload-Length, Upload-Metadata   → 201, Location
    PATCH /uploads/<id>       Upload-Offset, [Upload-Checksum] → 204, Upload-Offset
    HEAD  /uploads/<id>                                        → Upload-Offset, Upload-Length

This module holds the state machine and the bytes; the server maps it to HTTP.
State lives in the `uploads` table (it survives a restart); bytes in
`<root>/<id>.part`. A PATCH body is written past the recorded offset as it
arrives (`Appender`), never held whole in memory; it is fsynced before the
offset is recorded. Without a per-chunk checksum, a PATCH cut mid-way keeps what
arrived (tus: "store as much as possible"); with one, a chunk that did not
arrive whole cannot be verified and is cut off (ADR 0009). After a crash the
file may hold bytes past the recorded offset: they are cut off before the next
append.

An upload ends once: `complete` records offset = length together with its
result (the blob it became), in the caller's transaction that also records the
blob; `refuse` records why it will never complete. So offset = length always
comes with a result.

An upload nobody adds to for EXPIRE_AFTER is given up (`expire`, refusal
`upload_expired`): its bytes and the room it reserved are freed.

Codes: not_found, offset_mismatch, checksum_mismatch, too_large, bad_length,
length_exceeded, already_complete, bad_metadata, bad_checksum_header, gone,
upload_expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,checksum,expiration"
# The checksum extension requires sha1 from a server that offers checksums.
DIGEST_SIZES = {"sha1": 20, "sha256": 32}
CHECKSUM_ALGORITHMS = ",".join(DIGEST_SIZES)
# Offsets and lengths fit SQLite's signed 64-bit integers with room to spare.
MAX_DIGITS = 15
METADATA_MAX = 4096
# An upload nobody has added to for this long is given up (tus "expiration"): its
# bytes go, and so does the room it reserved. A phone that comes back later still
# holds the file and starts again.
EXPIRE_AFTER = timedelta(days=30)

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    length INTEGER NOT NULL,
    "offset" INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL,
    created_at TEXT NOT NULL,
    completed_at TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS uploads_owner ON uploads (owner, created_at);
"""
# Added by a later migration (m007_upload_state): when bytes were last added.
TOUCHED_COLUMN = "touched_at"


class UploadError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class Assembled:
    """All of an upload's bytes, put together where the blob store stages bytes
    (an object store's multipart upload): `ref` is the staged name."""

    sha256: str
    size: int
    ref: str


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes


@dataclass(frozen=True)
class Upload:
    id: str
    owner: str
    length: int
    offset: int
    metadata: dict[str, str] = field(default_factory=dict)
    completed_at: str | None = None
    result: dict[str, Any] | None = None
    touched_at: str | None = None  # creation, or the last bytes recorded

    @property
    def complete(self) -> bool:
        return self.offset == self.length

    @property
    def blob(self) -> str | None:
        """The SHA-256 of the blob this upload became, once it is stored."""
        found = (self.result or {}).get("blob")
        return str(found) if found else None

    @property
    def refusal(self) -> str | None:
        """Why this upload will never complete (a refusal code), if it was refused."""
        found = (self.result or {}).get("error")
        return str(found) if found else None

    @property
    def expires(self) -> datetime | None:
        """When this upload is given up if nothing more arrives (None once it ended)."""
        if self.completed_at or not self.touched_at:
            return None
        return datetime.fromisoformat(self.touched_at) + EXPIRE_AFTER

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Upload:
        touched = row[TOUCHED_COLUMN] if TOUCHED_COLUMN in row.keys() else None
        return cls(
            id=row["id"],
            owner=row["owner"],
            length=int(row["length"]),
            offset=int(row["offset"]),
            metadata=json.loads(row["metadata"]),
            completed_at=row["completed_at"],
            result=json.loads(row["result"]) if row["result"] else None,
            touched_at=touched or row["created_at"],
        )


def create_tables(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def parse_size(value: str | None, code: str) -> int:
    """A non-negative decimal integer header (Upload-Length, Upload-Offset)."""
    text = (value or "").strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > MAX_DIGITS:
        raise UploadError(code)
    return int(text)


def _valid_key(key: str) -> bool:
    return bool(key) and key.isascii() and all(c.isprintable() and c not in " ," for c in key)


def parse_metadata(header: str | None) -> dict[str, str]:
    """`key base64(value),key2 base64(value2),key3` → dict (values decoded as UTF-8)."""
    if header and len(header) > METADATA_MAX:
        raise UploadError("bad_metadata")
    found: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        if not _valid_key(key) or key in found:
            raise UploadError("bad_metadata", key)
        try:
            found[key] = base64.b64decode(encoded.strip(), validate=True).decode() if encoded else ""
        except (binascii.Error, UnicodeDecodeError, ValueError) as e:
            raise UploadError("bad_metadata", key) from e
    sha = found.get("sha256")
    if sha is not None:
        sha = sha.strip().lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise UploadError("bad_metadata", "sha256")
        found["sha256"] = sha
    return found


def parse_checksum(header: str | None) -> Checksum | None:
    """`sha1|sha256 <base64 digest>` → the checksum (None when absent)."""
    if header is None or not header.strip():
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in DIGEST_SIZES:
        raise UploadError("bad_checksum_header", algorithm)
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as e:
        raise UploadError("bad_checksum_header") from e
    if len(digest) != DIGEST_SIZES[algorithm]:
        raise UploadError("bad_checksum_header")
    return Checksum(algorithm, digest)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Appender:
    """The bytes of one PATCH, written after the recorded offset as they arrive.

    Nothing is recorded here: `keep()` fsyncs and says the new offset, which the
    caller records; `rollback()` cuts the file back to where it was.
    """

    def __init__(self, path: Path, upload: Upload, checksum: Checksum | None) -> None:
        self.start = upload.offset
        self.length = upload.length
        self.checksum = checksum
        self.hasher = hashlib.new(checksum.algorithm) if checksum else None
        self.received = 0
        self.file: BinaryIO = path.open("r+b" if path.exists() else "w+b")
        if os.fstat(self.file.fileno()).st_size < self.start:
            self.file.close()
            raise UploadError("offset_mismatch", "bytes before the offset are missing")
        self.file.truncate(self.start)  # bytes past the recorded offset were never confirmed
        self.file.seek(self.start)

    @property
    def offset(self) -> int:
        return self.start + self.received

    def write(self, data: bytes) -> None:
        if self.offset + len(data) > self.length:
            raise UploadError("length_exceeded")
        self.file.write(data)
        if self.hasher is not None:
            self.hasher.update(data)
        self.received += len(data)

    def head(self, size: int) -> bytes:
        """The first `size` bytes of the whole file received so far."""
        position = self.file.tell()
        self.file.seek(0)
        found = self.file.read(size)
        self.file.seek(position)
        return found

    @property
    def verified(self) -> bool:
        """The chunk matches its checksum (True when none was sent)."""
        return self.hasher is None or (
            self.checksum is not None and self.hasher.digest() == self.checksum.digest
        )

    def keep(self) -> int:
        """Make what arrived durable; the offset to record."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        return self.offset

    @property
    def part_ready(self) -> bool:
        """Whether `push_part` must run (in a thread) before more bytes are written."""
        return False

    def push_part(self) -> None:
        """Send a full part on to where the upload is assembled (see server/store/s3uploads.py)."""

    def rollback(self) -> None:
        """Forget this PATCH's bytes (a chunk that fails or cannot pass its checksum)."""
        try:
            self.file.truncate(self.start)
            self.file.flush()
        finally:
            self.file.close()
        self.received = 0


class UploadStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def part(self, upload_id: str) -> Path:
        return self.root / f"{uuid.UUID(upload_id)}.part"

    def create(
        self, conn: sqlite3.Connection, *, owner: str, length: int, metadata: dict[str, str], limit: int
    ) -> Upload:
        if length < 0:
            raise UploadError("bad_length")
        if length > limit:
            raise UploadError("too_large")
        self.root.mkdir(parents=True, exist_ok=True)
        self.expire(conn, owner)
        upload_id = str(uuid.uuid4())
        self.part(upload_id).touch()
        now = _now()
        conn.execute(
            'INSERT INTO uploads (id, owner, length, "offset", metadata, created_at, touched_at)'
            " VALUES (?, ?, ?, 0, ?, ?, ?)",
            (upload_id, owner, length, json.dumps(metadata, ensure_ascii=False), now, now),
        )
        return Upload(id=upload_id, owner=owner, length=length, offset=0, metadata=metadata, touched_at=now)

    def expire(self, conn: sqlite3.Connection, owner: str, now: datetime | None = None) -> list[str]:
        """Give up this owner's uploads untouched for EXPIRE_AFTER (inside a write
        transaction); their bytes go. Returns their ids."""
        cutoff = ((now or datetime.now(UTC)) - EXPIRE_AFTER).isoformat(timespec="seconds")
        rows = conn.execute(
            "SELECT id FROM uploads WHERE owner = ? AND completed_at IS NULL"
            " AND coalesce(touched_at, created_at) < ?",
            (owner, cutoff),
        ).fetchall()
        ended = [str(r["id"]) for r in rows]
        for upload_id in ended:
            conn.execute(
                "UPDATE uploads SET completed_at = ?, result = ? WHERE id = ?",
                (_now(), json.dumps({"error": "upload_expired"}), upload_id),
            )
            self.part(upload_id).unlink(missing_ok=True)
        return ended

    def get(self, conn: sqlite3.Connection, upload_id: str, owner: str) -> Upload:
        try:
            uuid.UUID(upload_id)
        except ValueError:
            raise UploadError("not_found") from None
        row = conn.execute("SELECT * FROM uploads WHERE id = ? AND owner = ?", (upload_id, owner)).fetchone()
        if row is None:
            raise UploadError("not_found")
        return Upload.from_row(row)

    def appender(self, upload: Upload, *, offset: int, checksum: Checksum | None) -> Appender:
        """Where a PATCH at `offset` writes its bytes; refuses what cannot be appended."""
        self.appendable(upload, offset)
        return Appender(self.part(upload.id), upload, checksum)

    def appendable(self, upload: Upload, offset: int) -> None:
        if upload.refusal:
            raise UploadError("gone")
        if upload.complete:
            raise UploadError("already_complete")
        if offset != upload.offset:
            raise UploadError("offset_mismatch", f"expected {upload.offset}")
        self.root.mkdir(parents=True, exist_ok=True)

    def advance(self, conn: sqlite3.Connection, upload: Upload, offset: int) -> Upload:
        """Record bytes made durable (never the last ones: see `complete`)."""
        if offset >= upload.length:
            raise ValueError("the last byte is recorded with its result, by complete()")
        now = _now()
        conn.execute('UPDATE uploads SET "offset" = ?, touched_at = ? WHERE id = ?', (offset, now, upload.id))
        return Upload(upload.id, upload.owner, upload.length, offset, upload.metadata, touched_at=now)

    def complete(self, conn: sqlite3.Connection, upload: Upload, result: dict[str, Any]) -> Upload:
        """The last byte and what it became, in one step (the caller's transaction)."""
        completed_at = _now()
        conn.execute(
            'UPDATE uploads SET "offset" = length, completed_at = ?, result = ? WHERE id = ?',
            (completed_at, json.dumps(result), upload.id),
        )
        return Upload(
            upload.id, upload.owner, upload.length, upload.length, upload.metadata, completed_at, result
        )

    def refuse(self, conn: sqlite3.Connection, upload: Upload, code: str) -> Upload:
        """This upload will never complete; the reason is kept for the client."""
        completed_at = _now()
        result = {"error": code}
        conn.execute(
            "UPDATE uploads SET completed_at = ?, result = ? WHERE id = ?",
            (completed_at, json.dumps(result), upload.id),
        )
        return Upload(
            upload.id, upload.owner, upload.length, upload.offset, upload.metadata, completed_at, result
        )

    def durable_size(self, upload: Upload) -> int:
        try:
            return self.part(upload.id).stat().st_size
        except FileNotFoundError:
            return 0

    def cut_back(self, upload: Upload) -> None:
        """Drop bytes past the recorded offset (they free room on a full disk)."""
        try:
            with self.part(upload.id).open("r+b") as f:
                f.truncate(upload.offset)
        except OSError:
            pass

    def assembled(self, upload: Upload) -> bool:
        """Whether all the bytes were already put together by a last PATCH that a
        crash interrupted before its record (never here: the file stays a `.part`)."""
        return False

    def assemble(self, upload: Upload) -> Assembled | None:
        """Put all the bytes together where blobs are staged; None when the blob
        store stages them itself from `open` (the file store)."""
        return None

    def open(self, upload: Upload) -> BinaryIO:
        return self.part(upload.id).open("rb")

    def sha256(self, upload: Upload) -> str:
        digest = hashlib.sha256()
        with self.part(upload.id).open("rb") as f:
            for chunk in iter(lambda: f.read(1024 * 1024), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def discard(self, upload: Upload) -> None:
        self.part(upload.id).unlink(missing_ok=True)
