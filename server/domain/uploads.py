"""Receiving a file's bytes: check what it is, keep it by its hash, and record
who uploaded it (only they may then attach it).

Bytes travel apart from commands (DESIGN.md, "Uploads"). `keep` stages the
bytes (written, fsynced, named by their hash); `grant`, inside the write
transaction that also applies the command using them (or completes the
resumable upload), publishes them and records the grant; `release` undoes a
grant whose command was refused, so a refused upload leaves nothing — unless the
same bytes are held or used by someone else (ADR 0009).

A person's uploads count against their storage cap (`SESAME_MAX_ACCOUNT_MB`):
the blobs granted to them plus the lengths of their unfinished uploads.

Refusal codes: file_empty, file_type_unknown, file_truncated, file_too_large,
file_type_refused (data: accepted media types), account_full.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import BinaryIO

from server import clock
from server.store.blobs import BlobStore, Staged, TooLarge
from sync.uploads import EXPIRE_AFTER

from . import content, pdfpages

DEFAULT_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    sha256: str
    size: int
    media_type: str
    staged: Staged | None = None  # None once published (or for a blob already stored)
    pages: int | None = None  # a PDF's page count, when it says it readably


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
    """Stage the bytes in the blob store (no database write; `grant` publishes them),
    counting a PDF's pages on the way. A full disk raises OSError, with nothing left behind."""
    pages = pdfpages.count(stream) if media_type == "application/pdf" else None
    stream.seek(0)
    try:
        staged = store.stage(stream, limit)
    except TooLarge:
        raise UploadRefused("file_too_large") from None
    return Received(staged.sha256, staged.size, media_type, staged, pages)


def storage_used(conn: sqlite3.Connection, account_id: str, *, excluding_upload: str | None = None) -> int:
    """Bytes this account holds: its granted blobs, and the room its unfinished uploads reserve."""
    blobs = conn.execute(
        "SELECT coalesce(sum(b.size), 0) FROM blob_grants g JOIN blobs b ON b.sha256 = g.sha256"
        " WHERE g.account_id = ?",
        (account_id,),
    ).fetchone()[0]
    # An upload given up after EXPIRE_AFTER reserves nothing any more, even before it is swept.
    cutoff = clock.iso(clock.now() - EXPIRE_AFTER)
    reserved = conn.execute(
        "SELECT coalesce(sum(length), 0) FROM uploads WHERE owner = ? AND completed_at IS NULL AND id IS NOT ?"
        " AND coalesce(touched_at, created_at) >= ?",
        (account_id, excluding_upload, cutoff),
    ).fetchone()[0]
    return int(blobs) + int(reserved)


def has_room(
    conn: sqlite3.Connection, account_id: str, size: int, cap: int, excluding_upload: str | None = None
) -> bool:
    return storage_used(conn, account_id, excluding_upload=excluding_upload) + size <= cap


def grant(
    conn: sqlite3.Connection,
    store: BlobStore,
    received: Received,
    account_id: str,
    *,
    cap: int,
    upload_id: str | None = None,
) -> bool:
    """Publish the blob and record that this account holds its bytes (inside a
    write transaction). Returns whether the grant is new (see `release`);
    UploadRefused("account_full") past the account's storage cap."""
    held = conn.execute(
        "SELECT 1 FROM blob_grants WHERE sha256 = ? AND account_id = ?", (received.sha256, account_id)
    ).fetchone()
    if held is None and not has_room(conn, account_id, received.size, cap, excluding_upload=upload_id):
        raise UploadRefused("account_full")
    if received.staged is not None:
        store.publish(received.staged)
    elif not store.exists(received.sha256):
        raise FileNotFoundError(received.sha256)
    now = clock.iso(clock.now())
    conn.execute(
        "INSERT INTO blobs (sha256, size, media_type, created_at, pages) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (sha256) DO UPDATE SET pages = coalesce(pages, excluded.pages)",
        (received.sha256, received.size, received.media_type, now, received.pages),
    )
    conn.execute(
        "INSERT OR IGNORE INTO blob_grants (sha256, account_id, created_at) VALUES (?, ?, ?)",
        (received.sha256, account_id, now),
    )
    return held is None


def release(conn: sqlite3.Connection, store: BlobStore, sha256: str, account_id: str) -> None:
    """Undo a new grant whose command was refused (inside the same write
    transaction): the grant goes, and the blob's row and bytes too when no one
    else holds them and nothing refers to them."""
    conn.execute("DELETE FROM blob_grants WHERE sha256 = ? AND account_id = ?", (sha256, account_id))
    if conn.execute("SELECT 1 FROM blob_grants WHERE sha256 = ?", (sha256,)).fetchone():
        return
    if conn.execute("SELECT 1 FROM attachments WHERE blob = ?", (sha256,)).fetchone():
        return
    # Message attachments are a JSON list; the hash is unique enough to find there.
    if conn.execute("SELECT 1 FROM messages WHERE attachments LIKE ?", (f'%"{sha256}"%',)).fetchone():
        return
    conn.execute("DELETE FROM blobs WHERE sha256 = ?", (sha256,))
    store.remove(sha256)


def discard(store: BlobStore, received: Received) -> None:
    """Drop staged bytes that were never published."""
    if received.staged is not None:
        store.discard(received.staged)


def granted(conn: sqlite3.Connection, sha256: str, account_id: str | None) -> sqlite3.Row | None:
    """The blob's row, if this account uploaded it."""
    return conn.execute(
        "SELECT b.* FROM blobs b JOIN blob_grants g ON g.sha256 = b.sha256 WHERE b.sha256 = ? AND g.account_id = ?",
        (sha256, account_id),
    ).fetchone()
