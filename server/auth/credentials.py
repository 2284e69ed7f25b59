"""Stored passkeys (the `passkeys` table): what we keep of each credential."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from server import clock

LABEL_MAX = 60


@dataclass(frozen=True)
class StoredPasskey:
    id: str
    account_id: str
    public_key: bytes
    sign_count: int
    transports: list[str]
    device_type: str | None
    backed_up: bool
    aaguid: str | None
    label: str
    created_at: str
    last_used_at: str | None
    version: int

    @property
    def synced(self) -> bool:
        """A multi-device (synced) passkey survives the loss of one phone."""
        return self.device_type == "multi_device"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredPasskey:
        return cls(
            id=row["id"],
            account_id=row["account_id"],
            public_key=row["public_key"],
            sign_count=row["sign_count"],
            transports=json.loads(row["transports"] or "[]"),
            device_type=row["device_type"],
            backed_up=bool(row["backed_up"]),
            aaguid=row["aaguid"],
            label=row["label"],
            created_at=row["created_at"],
            last_used_at=row["last_used_at"],
            version=row["version"],
        )


def get(conn: sqlite3.Connection, credential_id: str) -> StoredPasskey | None:
    row = conn.execute("SELECT * FROM passkeys WHERE id = ?", (credential_id,)).fetchone()
    return StoredPasskey.from_row(row) if row else None


def list_for(conn: sqlite3.Connection, account_id: str) -> list[StoredPasskey]:
    rows = conn.execute("SELECT * FROM passkeys WHERE account_id = ? ORDER BY created_at, id", (account_id,))
    return [StoredPasskey.from_row(row) for row in rows]


def count(conn: sqlite3.Connection, account_id: str) -> int:
    return int(
        conn.execute("SELECT count(*) FROM passkeys WHERE account_id = ?", (account_id,)).fetchone()[0]
    )


def add(
    conn: sqlite3.Connection,
    *,
    credential_id: str,
    account_id: str,
    public_key: bytes,
    sign_count: int,
    transports: list[str],
    device_type: str,
    backed_up: bool,
    aaguid: str,
    label: str,
    version: int,
    now: datetime,
) -> None:
    conn.execute(
        "INSERT INTO passkeys (id, account_id, public_key, sign_count, transports, device_type,"
        " backed_up, aaguid, label, created_at, last_used_at, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            credential_id,
            account_id,
            public_key,
            sign_count,
            json.dumps(transports),
            device_type,
            int(backed_up),
            aaguid,
            label[:LABEL_MAX],
            clock.iso(now),
            clock.iso(now),
            version,
        ),
    )


def record_use(
    conn: sqlite3.Connection,
    credential_id: str,
    *,
    sign_count: int,
    device_type: str,
    backed_up: bool,
    version: int,
    now: datetime,
) -> None:
    conn.execute(
        "UPDATE passkeys SET sign_count = max(sign_count, ?), device_type = ?, backed_up = ?,"
        " last_used_at = ?, version = ? WHERE id = ?",
        (sign_count, device_type, int(backed_up), clock.iso(now), version, credential_id),
    )
