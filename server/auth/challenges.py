"""Ceremony state: a challenge and what the ceremony needs at its end.

Each row is single-use: `take` deletes it in the same transaction that checks
it, so a replayed response finds nothing. Rows expire after a few minutes.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server import clock

from . import tokens


@dataclass(frozen=True)
class Challenge:
    id: str
    purpose: str
    challenge: bytes
    account_id: str | None
    data: dict[str, Any]


class ChallengeError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # expired


def put(
    conn: sqlite3.Connection,
    *,
    purpose: str,
    challenge: bytes,
    lifetime: int,
    now: datetime,
    account_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    conn.execute("DELETE FROM challenges WHERE expires_at < ?", (clock.iso(now),))
    flow_id = tokens.new_token(18)
    conn.execute(
        "INSERT INTO challenges (id, purpose, challenge, account_id, data, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            flow_id,
            purpose,
            challenge,
            account_id,
            json.dumps(data or {}),
            clock.iso(now),
            clock.iso(clock.later(now, lifetime)),
        ),
    )
    return flow_id


def take(conn: sqlite3.Connection, flow_id: str, purpose: str, now: datetime) -> Challenge:
    """Remove and return a live challenge; ChallengeError('expired') if there is none."""
    row = conn.execute(
        "DELETE FROM challenges WHERE id = ? AND purpose = ? RETURNING *", (flow_id, purpose)
    ).fetchone()
    if row is None or row["expires_at"] <= clock.iso(now):
        raise ChallengeError("expired")
    return Challenge(
        id=row["id"],
        purpose=row["purpose"],
        challenge=row["challenge"],
        account_id=row["account_id"],
        data=json.loads(row["data"] or "{}"),
    )
