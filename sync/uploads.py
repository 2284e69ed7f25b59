"""Resumable uploads: tus 1.0 core, with the creation and checksum extensions.

    POST  /uploads            Upload-Length, Upload-Metadata   → 201, Location
    PATCH /uploads/<id>       Upload-Offset, Upload-Checksum   → 204, Upload-Offset
    HEAD  /uploads/<id>                                        → Upload-Offset, Upload-Length

This module holds the state machine and the bytes; the server maps it to HTTP.
State lives in the `uploads` table (it survives a restart); bytes in
`<root>/<id>.part`. A chunk is verified against its checksum, then appended and
fsynced, and only then is the offset recorded. After a crash the file may hold
bytes past the recorded offset: they are cut off before the next append, so a
dropped connection costs at most the chunk that was in flight.

Codes: not_found, offset_mismatch, checksum_mismatch, too_large,
length_exceeded, already_complete, bad_metadata, bad_checksum_header.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,checksum"
CHECKSUM_ALGORITHMS = "sha256"

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


class UploadError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class Upload:
    id: str
    owner: str
    length: int
    offset: int
    metadata: dict[str, str] = field(default_factory=dict)
    completed_at: str | None = None
    result: dict[str, Any] | None = None

    @property
    def complete(self) -> bool:
        return self.offset == self.length

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Upload:
        return cls(
            id=row["id"],
            owner=row["owner"],
            length=int(row["length"]),
            offset=int(row["offset"]),
            metadata=json.loads(row["metadata"]),
            completed_at=row["completed_at"],
            result=json.loads(row["result"]) if row["result"] else None,
        )


def create_tables(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def parse_metadata(header: str | None) -> dict[str, str]:
    """`key base64(value),key2 base64(value2)` → dict (values decoded as UTF-8)."""
    found: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        try:
            found[key] = base64.b64decode(encoded.strip(), validate=True).decode() if encoded else ""
        except (binascii.Error, UnicodeDecodeError) as e:
            raise UploadError("bad_metadata", key) from e
    return found


def parse_checksum(header: str | None) -> bytes | None:
    """`sha256 <base64 digest>` → the digest (None when absent)."""
    if not header:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise UploadError("bad_checksum_header", algorithm)
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as e:
        raise UploadError("bad_checksum_header") from e


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class UploadStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def part(self, upload_id: str) -> Path:
        return self.root / f"{uuid.UUID(upload_id)}.part"

    def create(
        self, conn: sqlite3.Connection, *, owner: str, length: int, metadata: dict[str, str], limit: int
    ) -> Upload:
        if length < 0:
            raise UploadError("length_exceeded")
        if length > limit:
            raise UploadError("too_large")
        self.root.mkdir(parents=True, exist_ok=True)
        upload_id = str(uuid.uuid4())
        self.part(upload_id).touch()
        conn.execute(
            'INSERT INTO uploads (id, owner, length, "offset", metadata, created_at) VALUES (?, ?, ?, 0, ?, ?)',
            (upload_id, owner, length, json.dumps(metadata, ensure_ascii=False), _now()),
        )
        return Upload(id=upload_id, owner=owner, length=length, offset=0, metadata=metadata)

    def get(self, conn: sqlite3.Connection, upload_id: str, owner: str) -> Upload:
        try:
            uuid.UUID(upload_id)
        except ValueError:
            raise UploadError("not_found") from None
        row = conn.execute("SELECT * FROM uploads WHERE id = ? AND owner = ?", (upload_id, owner)).fetchone()
        if row is None:
            raise UploadError("not_found")
        return Upload.from_row(row)

    def append(
        self,
        conn: sqlite3.Connection,
        upload: Upload,
        *,
        offset: int,
        body: bytes,
        checksum: bytes | None,
    ) -> Upload:
        """Add a chunk at `offset` (inside the caller's write transaction)."""
        if upload.complete and upload.length > 0:
            raise UploadError("already_complete")
        if offset != upload.offset:
            raise UploadError("offset_mismatch", f"expected {upload.offset}")
        if offset + len(body) > upload.length:
            raise UploadError("length_exceeded")
        if checksum is not None and hashlib.sha256(body).digest() != checksum:
            raise UploadError("checksum_mismatch")
        path = self.part(upload.id)
        with path.open("r+b" if path.exists() else "wb") as f:
            f.truncate(upload.offset)  # bytes past the recorded offset were never confirmed
            f.seek(upload.offset)
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        new_offset = upload.offset + len(body)
        conn.execute('UPDATE uploads SET "offset" = ? WHERE id = ?', (new_offset, upload.id))
        return Upload(
            id=upload.id,
            owner=upload.owner,
            length=upload.length,
            offset=new_offset,
            metadata=upload.metadata,
        )

    def sha256(self, upload: Upload) -> str:
        digest = hashlib.sha256()
        with self.part(upload.id).open("rb") as f:
            for chunk in iter(lambda: f.read(1024 * 1024), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def finish(self, conn: sqlite3.Connection, upload: Upload, result: dict[str, Any]) -> None:
        """Record what became of a complete upload, and drop its bytes."""
        conn.execute(
            "UPDATE uploads SET completed_at = ?, result = ? WHERE id = ?",
            (_now(), json.dumps(result), upload.id),
        )

    def discard(self, upload: Upload) -> None:
        self.part(upload.id).unlink(missing_ok=True)
