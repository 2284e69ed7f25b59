"""What the database refers to, against what the blob store holds: `sesame
backup verify` and `sesame gc` (ADR 0019).

verify  every blob row (or a random sample) exists in the store with the
        right SHA-256 (the bytes are read as a stream and hashed, never held
        whole); every attachment and message names a blob row; objects in the
        store no row names are reported as orphans.
gc      after a grace period: blobs in the store no row names (orphans),
        staged bytes never published (a crash between stage and publish),
        blob rows nothing uses any more (not an attachment — removed ones
        included, the timeline shows them —, not a message's, not granted
        within the grace period), and tus uploads nobody added to for
        EXPIRE_AFTER (their partial bytes too), and the multipart uploads of
        ended ones (S3, ADR 0027). Each deletion of a blob is
        decided inside the writer's transaction (the one lock under which
        blobs are published), so a blob published meanwhile is never taken.

These are upkeep of storage, not acts of a person: no command, no timeline.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sync.uploads import EXPIRE_AFTER, UploadStore

from .blobs import CHUNK, BlobStore
from .db import Database


@dataclass
class Verification:
    rows: int = 0
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    dangling: list[str] = field(default_factory=list)  # referred to, but no blob row
    orphans: list[str] = field(default_factory=list)
    staged: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.damaged or self.dangling)


def _referred(conn: sqlite3.Connection) -> Iterator[str]:
    """Every hash an attachment or a message names."""
    for (sha,) in conn.execute("SELECT DISTINCT blob FROM attachments"):
        yield str(sha)
    for (text,) in conn.execute("SELECT attachments FROM messages WHERE attachments NOT IN ('', '[]')"):
        for item in json.loads(text or "[]"):
            if item.get("blob"):
                yield str(item["blob"])


def hash_of(store: BlobStore, sha256: str) -> str:
    digest = hashlib.sha256()
    with store.open(sha256) as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(db: Database, store: BlobStore, *, sample: float = 1.0, seed: int | None = None) -> Verification:
    """Check the store against the database; `sample` (0 < s ≤ 1) hashes that
    share of the blobs, picked at random (existence is still checked for all)."""
    conn = db.reader()
    rows = {str(sha): int(size) for sha, size in conn.execute("SELECT sha256, size FROM blobs")}
    found = Verification(rows=len(rows))
    found.dangling = sorted({sha for sha in _referred(conn) if sha not in rows})
    present = {item.name: item.size for item in store.blobs()}
    found.orphans = sorted(set(present) - set(rows))
    found.staged = sum(1 for _ in store.staged())
    rnd = random.Random(seed)
    for sha, size in sorted(rows.items()):
        if sha not in present:
            found.missing.append(sha)
            continue
        if present[sha] != size:
            found.damaged.append(sha)
            continue
        if sample >= 1.0 or rnd.random() < sample:
            found.checked += 1
            try:
                if hash_of(store, sha) != sha:
                    found.damaged.append(sha)
            except FileNotFoundError:
                found.missing.append(sha)
    return found


@dataclass
class Collection:
    orphans: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)
    uploads_expired: list[str] = field(default_factory=list)
    multiparts: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)


def _in_use(conn: sqlite3.Connection, sha256: str, cutoff: str) -> bool:
    if conn.execute("SELECT 1 FROM attachments WHERE blob = ?", (sha256,)).fetchone():
        return True
    if conn.execute("SELECT 1 FROM messages WHERE attachments LIKE ?", (f'%"{sha256}"%',)).fetchone():
        return True
    recent = conn.execute(
        "SELECT 1 FROM blob_grants WHERE sha256 = ? AND created_at >= ?", (sha256, cutoff)
    ).fetchone()
    if recent:
        return True
    # An upload that became this blob within the grace period: its attach command may still be on its way.
    return bool(
        conn.execute(
            "SELECT 1 FROM uploads WHERE completed_at >= ? AND result LIKE ?", (cutoff, f'%"{sha256}"%')
        ).fetchone()
    )


def collect(
    db: Database,
    store: BlobStore,
    uploads: UploadStore,
    *,
    grace: timedelta,
    now: datetime | None = None,
    dry_run: bool = False,
) -> Collection:
    moment = now or datetime.now(UTC)
    cutoff = moment - grace
    cutoff_iso = cutoff.isoformat(timespec="seconds")
    done = Collection()

    # Tus uploads nobody added to for EXPIRE_AFTER: given up, their bytes freed.
    stale = (moment - EXPIRE_AFTER).isoformat(timespec="seconds")
    owners = [
        str(o)
        for (o,) in db.reader().execute(
            "SELECT DISTINCT owner FROM uploads WHERE completed_at IS NULL"
            " AND coalesce(touched_at, created_at) < ?",
            (stale,),
        )
    ]
    for owner in owners:
        if dry_run:
            done.uploads_expired += [
                str(i)
                for (i,) in db.reader().execute(
                    "SELECT id FROM uploads WHERE owner = ? AND completed_at IS NULL"
                    " AND coalesce(touched_at, created_at) < ?",
                    (owner, stale),
                )
            ]
        else:
            done.uploads_expired += db.write_sync(lambda conn, o=owner: uploads.expire(conn, o, moment))

    # Partial files no open upload owns (an upload that ended while a crash kept its file).
    open_ids = {str(i) for (i,) in db.reader().execute("SELECT id FROM uploads WHERE completed_at IS NULL")}
    if uploads.root.exists():
        for part in sorted(uploads.root.glob("*.part")):
            modified = datetime.fromtimestamp(part.stat().st_mtime, UTC)
            # `<id>.part`, or `<id>.<offset>.part` for the spill of an upload assembled in S3.
            if part.name.split(".")[0] not in open_ids and modified < cutoff:
                done.parts.append(part.name)
                if not dry_run:
                    Path(part).unlink(missing_ok=True)

    # Blob rows nothing uses any more.
    candidates = [
        str(sha)
        for (sha,) in db.reader().execute(
            "SELECT sha256 FROM blobs b WHERE created_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob = b.sha256)",
            (cutoff_iso,),
        )
    ]

    def drop_unused(conn: sqlite3.Connection, sha256: str) -> bool:
        if _in_use(conn, sha256, cutoff_iso):
            return False
        if not dry_run:
            conn.execute("DELETE FROM blob_grants WHERE sha256 = ?", (sha256,))
            conn.execute("DELETE FROM blobs WHERE sha256 = ?", (sha256,))
            store.remove(sha256)
        return True

    for sha in candidates:
        if db.write_sync(drop_unused, sha):
            done.unused.append(sha)

    # Objects in the store that no row names, older than the grace period.
    def drop_orphan(conn: sqlite3.Connection, sha256: str) -> bool:
        if conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha256,)).fetchone():
            return False  # published and recorded since the listing
        if not dry_run:
            store.remove(sha256)
        return True

    for item in list(store.blobs()):
        if item.modified < cutoff and item.name not in done.unused and db.write_sync(drop_orphan, item.name):
            done.orphans.append(item.name)

    # An open upload's bytes assembled by a last PATCH a crash cut off wait for its
    # next request (ADR 0027); anything else staged past the grace period is a leftover.
    for item in list(store.staged()):
        if item.modified < cutoff and item.name not in open_ids:
            done.staged.append(item.name)
            if not dry_run:
                store.discard_name(item.name)

    # Multipart uploads of tus uploads that ended (or never were recorded): their
    # parts cost storage until aborted. Open uploads keep theirs until they expire.
    for item in list(store.unfinished()):
        if item.modified < cutoff and item.name not in open_ids and item.name not in done.multiparts:
            done.multiparts.append(item.name)
            if not dry_run:
                store.abort_parts(item.name)
    return done
