"""Recovery codes: eight one-time codes, shown once, stored as keyed hashes.

A code is 13 characters of Crockford's base32 (65 bits, at least the 64 bits a
code must hold), shown as 4-4-5: fewer and shorter codes are copied by hand
with fewer mistakes than ten of 16 characters. With that much entropy a keyed
hash (HMAC under the server's secret key) is enough and lets a code be found
without knowing whose it is: recovery starts from the code alone, on a phone
that knows nothing of the person. Codes of the older sets (16 characters) keep
working until spent or replaced.
"""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from server import clock

from . import tokens

COUNT = 8
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 13  # 13 × 5 bits = 65 bits
GROUPS = (4, 4, 5)
LEGACY_LENGTH = 16  # codes of the sets made before


@dataclass(frozen=True)
class FoundCode:
    id: int
    account_id: str
    code_hash: str


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    parts, at = [], 0
    for size in GROUPS:
        parts.append(raw[at : at + size])
        at += size
    return "-".join(parts)


def normalise(code: str) -> str:
    """What a person types, made comparable: case, spaces, dashes, O/0 and I/L/1."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def code_hash(secret_key: str, code: str) -> str:
    return tokens.keyed_digest(secret_key, normalise(code))


def generate(conn: sqlite3.Connection, secret_key: str, account_id: str, now: datetime) -> list[str]:
    """A new set of codes; the unspent codes of the previous set stop working."""
    conn.execute("DELETE FROM recovery_codes WHERE account_id = ? AND spent_at IS NULL", (account_id,))
    set_id = str(uuid.uuid4())
    codes = [_new_code() for _ in range(COUNT)]
    conn.executemany(
        "INSERT INTO recovery_codes (account_id, code_hash, set_id, created_at) VALUES (?, ?, ?, ?)",
        [(account_id, code_hash(secret_key, code), set_id, clock.iso(now)) for code in codes],
    )
    return codes


def find(conn: sqlite3.Connection, secret_key: str, code: str) -> FoundCode | None:
    """The unspent code matching what was typed, or None."""
    if len(normalise(code)) not in (LENGTH, LEGACY_LENGTH):
        return None
    h = code_hash(secret_key, code)
    row = conn.execute(
        "SELECT id, account_id FROM recovery_codes WHERE code_hash = ? AND spent_at IS NULL", (h,)
    ).fetchone()
    return FoundCode(id=row["id"], account_id=row["account_id"], code_hash=h) if row else None


def spend(conn: sqlite3.Connection, code_hash_value: str, now: datetime) -> str | None:
    """Spend a code (once): the account it belonged to, or None if already spent or unknown."""
    row = conn.execute(
        "UPDATE recovery_codes SET spent_at = ? WHERE code_hash = ? AND spent_at IS NULL"
        " RETURNING account_id",
        (clock.iso(now), code_hash_value),
    ).fetchone()
    return row["account_id"] if row else None


def remaining(conn: sqlite3.Connection, account_id: str) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM recovery_codes WHERE account_id = ? AND spent_at IS NULL",
            (account_id,),
        ).fetchone()[0]
    )
