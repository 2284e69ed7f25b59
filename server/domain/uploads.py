"""Receiving a file's bytes: check what it is, keep it by its hash, and record
who uploaded it (only they may then attach it).

Bytes travel apart from commands (DESIGN.md, "Uploads"): the blob is stored
first, then a `piece.attach` or `message.send` command refers to it by hash.

Refusal codes: file_empty, file_type_unknown, file_truncated, file_too_large,
file_type_refused (data: accepted media types).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import BinaryIO

from server import clock
from server.store.blobs import BlobStore, TooLarge

from . import content

DEFAULT_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    sha256: str
    size: int
    media_type: str


class UploadRefused(Exception):
    def __init__(self, code: str, accepted: tuple[str, ...] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.accepted = accepted


def check(stream: BinaryIO, *, limit: int, accepted: set[str] | None) -> content.Inspection:
    """Look at a seekable stream before anything is kept."""
    found = content.inspect(stream)
    if found.size > limit:
        raise UploadRefused("file_too_large")
    if found.problem:
        raise UploadRefused(found.problem)
    if accepted is not None and found.media_type not in accepted:
        raise UploadRefused("file_type_refused", tuple(sorted(accepted)))
    return found


def keep(store: BlobStore, stream: BinaryIO, media_type: str, limit: int) -> Received:
    """Write the bytes into the blob store (no database write)."""
    stream.seek(0)
    try:
        sha, size = store.put(stream, limit)
    except TooLarge:
        raise UploadRefused("file_too_large") from None
    return Received(sha, size, media_type)


def grant(conn: sqlite3.Connection, received: Received, account_id: str) -> None:
    """Record the blob and that this account holds its bytes (inside a write transaction)."""
    now = clock.iso(clock.now())
    conn.execute(
        "INSERT OR IGNORE INTO blobs (sha256, size, media_type, created_at) VALUES (?, ?, ?, ?)",
        (received.sha256, received.size, received.media_type, now),
    )
    conn.execute(
        "INSERT OR IGNORE INTO blob_grants (sha256, account_id, created_at) VALUES (?, ?, ?)",
        (received.sha256, account_id, now),
    )


def granted(conn: sqlite3.Connection, sha256: str, account_id: str | None) -> sqlite3.Row | None:
    """The blob's row, if this account uploaded it."""
    return conn.execute(
        "SELECT b.* FROM blobs b JOIN blob_grants g ON g.sha256 = b.sha256 WHERE b.sha256 = ? AND g.account_id = ?",
        (sha256, account_id),
    ).fetchone()
