"""Claim codes: a person followed without an account takes it over later.

An agent (paper files) or, later, an outreach worker keeps a *held* account for
someone who has no passkey: `accounts.held_since` is set and no passkey exists,
so no ceremony can sign into it (sign-in needs a passkey, recovery needs a
recovery code; a held account has neither). The person claims it with a
one-time code and a new passkey, and finds its whole history.

Codes are 16 characters of Crockford's base32 (80 bits), kept as keyed hashes
like recovery codes (`recovery.code_hash`), single use, with an expiry; issuing
a new code for an account makes its earlier unspent codes stop working. These
are not sync commands: the code is a secret and must not sit in the command log
(as the other ceremonies, see `flows.py`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from server import clock
from server.domain import accounts, timeline
from server.settings import Settings
from sync import log as sync_log

from . import events, flows, recovery

LIFETIME_DAYS = 90
PURPOSES = ("paper", "outreach")


@dataclass(frozen=True)
class Found:
    id: int
    account_id: str
    code_hash: str
    expires_at: str


def create_held(
    conn: sqlite3.Connection,
    *,
    display_name: str,
    language: str,
    version: int,
    now: datetime,
    account_id: str | None = None,
) -> accounts.Account:
    """An applicant account kept for someone: no passkey, so nobody can sign in yet."""
    account = accounts.create(
        conn,
        display_name=display_name,
        language=language,
        user_handle=accounts.new_user_handle(),
        version=version,
        now=now,
        account_id=account_id,
    )
    conn.execute("UPDATE accounts SET held_since = ? WHERE id = ?", (clock.iso(now), account.id))
    return account


def is_held(conn: sqlite3.Connection, account_id: str) -> bool:
    row = conn.execute(
        "SELECT held_since FROM accounts WHERE id = ? AND claimed_at IS NULL", (account_id,)
    ).fetchone()
    return bool(row and row["held_since"])


def issue(
    conn: sqlite3.Connection,
    secret_key: str,
    *,
    account_id: str,
    purpose: str,
    created_by: str,
    now: datetime,
    days: int = LIFETIME_DAYS,
) -> tuple[str, str]:
    """A new code for a held account (the earlier unspent ones stop working).
    Returns (code, expires_at)."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    if not is_held(conn, account_id):
        raise ValueError("account not held")
    conn.execute("DELETE FROM claim_codes WHERE account_id = ? AND spent_at IS NULL", (account_id,))
    code = recovery._new_code()
    expires = clock.iso(now + timedelta(days=days))
    conn.execute(
        "INSERT INTO claim_codes (account_id, code_hash, purpose, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, recovery.code_hash(secret_key, code), purpose, created_by, clock.iso(now), expires),
    )
    events.record(conn, "claim_code_issued", account_id=account_id, now=now, by=created_by, purpose=purpose)
    return code, expires


def find(conn: sqlite3.Connection, secret_key: str, code: str, now: datetime) -> Found | None:
    """The unspent, unexpired code matching what was typed, or None."""
    if len(recovery.normalise(code)) != recovery.LENGTH:
        return None
    h = recovery.code_hash(secret_key, code)
    row = conn.execute(
        "SELECT id, account_id, expires_at FROM claim_codes WHERE code_hash = ? AND spent_at IS NULL"
        " AND expires_at > ?",
        (h, clock.iso(now)),
    ).fetchone()
    return Found(row["id"], row["account_id"], h, row["expires_at"]) if row else None


def current_for(conn: sqlite3.Connection, secret_key: str, account_id: str, code: str, now: datetime) -> bool:
    """Is `code` the account's valid code? (reprinting it needs the code itself)."""
    found = find(conn, secret_key, code, now)
    return found is not None and found.account_id == account_id


def spend(conn: sqlite3.Connection, code_hash: str, now: datetime) -> str | None:
    row = conn.execute(
        "UPDATE claim_codes SET spent_at = ? WHERE code_hash = ? AND spent_at IS NULL AND expires_at > ?"
        " RETURNING account_id",
        (clock.iso(now), code_hash, clock.iso(now)),
    ).fetchone()
    return row["account_id"] if row else None


def target(
    conn: sqlite3.Connection, settings: Settings, code: str, flow_id: str, now: datetime
) -> str | None:
    """The account a claim attempt aims at (for the per-account rate limit)."""
    if flow_id:
        row = conn.execute(
            "SELECT account_id FROM challenges WHERE id = ? AND purpose = 'claim'", (flow_id,)
        ).fetchone()
        return row["account_id"] if row else None
    found = find(conn, str(settings.secret_key), code, now)
    return found.account_id if found else None


# -- the ceremony: code → new passkey → signed in ---------------------------------


def begin_claim(conn: sqlite3.Connection, settings: Settings, *, code: str, now: datetime) -> flows.Begun:
    found = find(conn, str(settings.secret_key), code, now)
    account = accounts.get(conn, found.account_id) if found else None
    if found is None or account is None or not is_held(conn, account.id):
        raise flows.FlowError("claim_invalid", "code")
    return flows._another_passkey(conn, settings, account, "claim", now, {"code_hash": found.code_hash})


def finish_claim(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    flow_id: str,
    credential: str,
    device: flows.Device,
    now: datetime,
) -> flows.SignedIn:
    """The passkey first, then the code is spent: a cancelled prompt costs nothing."""
    ch = flows._take(conn, flow_id, "claim", now)
    new = flows._register(settings, credential, ch.challenge)
    owner = spend(conn, ch.data["code_hash"], now)
    if owner is None or owner != ch.account_id or not is_held(conn, owner):
        raise flows.FlowError("claim_invalid", "code")
    account = accounts.get(conn, owner)
    assert account is not None
    version = sync_log.next_version(conn)
    flows._store_passkey(conn, new, account.id, device.label, version, now)
    conn.execute(
        "UPDATE accounts SET claimed_at = ?, version = ? WHERE id = ?", (clock.iso(now), version, account.id)
    )
    codes = recovery.generate(conn, str(settings.secret_key), account.id, now)
    token, session = flows._open_session(conn, settings, account, device, now, new.credential_id)
    timeline.record(
        conn,
        kind="claimed",
        person_id=account.id,
        file_id=None,
        actor_id=account.id,
        actor_role="applicant",
        version=version,
        at=clock.iso(now),
    )
    events.record(conn, "claimed", account_id=account.id, ip=device.ip, now=now, passkey=new.credential_id)
    return flows.SignedIn(account, token, session, codes)
