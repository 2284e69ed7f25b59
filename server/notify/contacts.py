"""Confirmed addresses: nothing goes to an e-mail address or a phone number
before the person typed back a code sent there (ADR 0029).

A digit wrong in a phone number would otherwise send "the prefecture has
written to you" to a stranger, every week, and the person would wait for news
that never comes. `accounts.email_confirmed` and `accounts.phone_confirmed`
hold the address that was confirmed: an address is confirmed while it is the
same, so a new one (typed on the account page, on a phone offline, by a
worker with a mandate) is unconfirmed by itself.

A code is six digits, valid 30 minutes, for the address it was sent to; it is
kept as an HMAC under the server's secret key (never the code); five wrong
tries end it. Asking for a new one replaces the old one. How often codes may be
sent is limited by the web layer (an SMS costs money, and a number typed by
someone else must not be flooded).
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from server import clock
from server.auth import tokens
from server.translation import N_, gettext, language

from .channels import Message

if TYPE_CHECKING:
    from server.store.db import Database

CHANNELS = {"email": "email", "sms": "phone"}  # channel → the account's column
CODE_MINUTES = 30
MAX_ATTEMPTS = 5
DIGITS = 6

# Short enough for one SMS in every language (GSM-7 ≤ 160, UCS-2 ≤ 70).
TEXT = N_("Sésame : votre code de confirmation est %(code)s. Il sert 30 minutes.")


@dataclass(frozen=True)
class Contact:
    channel: str  # email | sms
    address: str  # "" when the person gave none
    confirmed: bool
    code_until: datetime | None  # a code sent to this address is live until then


def _column(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"no confirmation for {channel!r}")
    return CHANNELS[channel]


def confirmed_address(db: Database, account_id: str, channel: str) -> str | None:
    """The address a sender may use: the account's, if the person confirmed it."""
    column = _column(channel)
    row = db.read_sync(
        lambda c: c.execute(
            f"SELECT {column} AS address, {column}_confirmed AS confirmed FROM accounts WHERE id = ?",
            (account_id,),
        ).fetchone()
    )
    if row is None or not row["address"] or row["address"] != row["confirmed"]:
        return None
    return str(row["address"])


def contact(conn: sqlite3.Connection, account_id: str, channel: str, now: datetime) -> Contact:
    column = _column(channel)
    row = conn.execute(
        f"SELECT {column} AS address, {column}_confirmed AS confirmed FROM accounts WHERE id = ?",
        (account_id,),
    ).fetchone()
    address = (row["address"] or "") if row else ""
    code = conn.execute(
        "SELECT address, expires_at FROM contact_codes WHERE account_id = ? AND channel = ?",
        (account_id, channel),
    ).fetchone()
    until = None
    if code is not None and address and code["address"] == address:
        expires = clock.parse(code["expires_at"])
        until = expires if expires > now else None
    return Contact(channel, address, bool(address) and row is not None and address == row["confirmed"], until)


def contacts(conn: sqlite3.Connection, account_id: str, now: datetime) -> dict[str, Contact]:
    return {channel: contact(conn, account_id, channel, now) for channel in CHANNELS}


def _hash(secret_key: str, account_id: str, channel: str, address: str, code: str) -> str:
    return tokens.keyed_digest(secret_key, f"contact:{account_id}:{channel}:{address}:{code}")


def new_code(
    conn: sqlite3.Connection, secret_key: str, account_id: str, channel: str, now: datetime
) -> tuple[str, str] | None:
    """A new code for the account's current address (replacing any other);
    returns (address, code), or None when there is no address, or it is
    confirmed already."""
    found = contact(conn, account_id, channel, now)
    if not found.address or found.confirmed:
        return None
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    conn.execute(
        "INSERT OR REPLACE INTO contact_codes (account_id, channel, address, code_hash, expires_at, attempts,"
        " created_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
        (
            account_id,
            channel,
            found.address,
            _hash(secret_key, account_id, channel, found.address, code),
            clock.iso(now + timedelta(minutes=CODE_MINUTES)),
            clock.iso(now),
        ),
    )
    return found.address, code


def check(
    conn: sqlite3.Connection, secret_key: str, account_id: str, channel: str, typed: str, now: datetime
) -> str:
    """Is `typed` the code sent to the account's current address? Returns
    "confirmed", or why not: "code_missing" (no live code for this address:
    none asked, expired, or the address changed since), "code_wrong",
    "code_used_up" (the fifth wrong try: the code is gone)."""
    column = _column(channel)
    found = contact(conn, account_id, channel, now)
    if found.confirmed:
        return "confirmed"
    if found.code_until is None:
        return "code_missing"
    digits = "".join(ch for ch in typed if not ch.isspace())
    row = conn.execute(
        "SELECT code_hash, attempts FROM contact_codes WHERE account_id = ? AND channel = ?",
        (account_id, channel),
    ).fetchone()
    if hmac.compare_digest(row["code_hash"], _hash(secret_key, account_id, channel, found.address, digits)):
        conn.execute(f"UPDATE accounts SET {column}_confirmed = ? WHERE id = ?", (found.address, account_id))
        conn.execute("DELETE FROM contact_codes WHERE account_id = ? AND channel = ?", (account_id, channel))
        return "confirmed"
    if row["attempts"] + 1 >= MAX_ATTEMPTS:
        conn.execute("DELETE FROM contact_codes WHERE account_id = ? AND channel = ?", (account_id, channel))
        return "code_used_up"
    conn.execute(
        "UPDATE contact_codes SET attempts = attempts + 1 WHERE account_id = ? AND channel = ?",
        (account_id, channel),
    )
    return "code_wrong"


def code_message(key: str, code: str, lang: str) -> Message:
    """The message carrying a code: the code and nothing else (not even in a
    discreet account: the person is asking for it, on the screen, now)."""
    with language(lang):
        return Message(
            key=key,
            language=lang,
            title=gettext(N_("Sésame")),
            text=gettext(TEXT) % {"code": code},
            path="/account",
        )
