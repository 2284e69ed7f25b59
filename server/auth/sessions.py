"""Server-side sessions, one row per signed-in device.

The cookie holds a random token; the table holds its SHA-256, so a copy of the
database opens no session. Applicant sessions slide (90 days after the last
visit: people stay offline for weeks); staff sessions end 12 hours after
sign-in, whatever happens.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from server import clock

from . import tokens

COOKIE = "sesame_session"
# Over HTTPS the cookie is `__Host-` prefixed: browsers then accept it only
# Secure, for the whole site, from this very host (no sibling subdomain can
# plant or overwrite it). Plain http://localhost keeps the bare name.
SECURE_COOKIE = "__Host-" + COOKIE


def cookie_name(secure: bool) -> str:
    return SECURE_COOKIE if secure else COOKIE


# Sliding sessions are extended at most this often, to spare writes.
TOUCH_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Session:
    id: str
    account_id: str
    created_at: str
    last_seen_at: str
    expires_at: str
    sliding: bool
    user_agent: str | None
    ip: str | None
    passkey_id: str | None = None  # the passkey that opened it (None: opened before m008)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Session:
        return cls(
            id=row["id"],
            account_id=row["account_id"],
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
            expires_at=row["expires_at"],
            sliding=bool(row["sliding"]),
            user_agent=row["user_agent"],
            ip=row["ip"],
            passkey_id=row["passkey_id"],
        )

    @property
    def device(self) -> str:
        return device_label(self.user_agent)


def create(
    conn: sqlite3.Connection,
    account_id: str,
    *,
    lifetime: int,
    sliding: bool,
    user_agent: str | None,
    ip: str | None,
    now: datetime,
    passkey_id: str | None = None,
) -> tuple[str, Session]:
    token = tokens.new_token()
    session_id = tokens.digest(token)
    conn.execute(
        "INSERT INTO sessions (id, account_id, created_at, last_seen_at, expires_at, sliding,"
        " user_agent, ip, passkey_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            session_id,
            account_id,
            clock.iso(now),
            clock.iso(now),
            clock.iso(clock.later(now, lifetime)),
            int(sliding),
            (user_agent or "")[:300],
            ip,
            passkey_id,
        ),
    )
    row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return token, Session.from_row(row)


def load(conn: sqlite3.Connection, token: str, now: datetime) -> Session | None:
    """The live session for a cookie's token, or None (unknown, expired or revoked)."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        "SELECT * FROM sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
        (tokens.digest(token), clock.iso(now)),
    ).fetchone()
    return Session.from_row(row) if row else None


def needs_touch(session: Session, now: datetime) -> bool:
    return session.sliding and now - clock.parse(session.last_seen_at) >= TOUCH_EVERY


def touch(conn: sqlite3.Connection, session_id: str, *, lifetime: int, now: datetime) -> None:
    """Slide a session's end: `lifetime` seconds after now."""
    conn.execute(
        "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ? AND sliding = 1"
        " AND revoked_at IS NULL",
        (clock.iso(now), clock.iso(clock.later(now, lifetime)), session_id),
    )


def revoke(conn: sqlite3.Connection, session_id: str, account_id: str, now: datetime) -> bool:
    cursor = conn.execute(
        "UPDATE sessions SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL",
        (clock.iso(now), session_id, account_id),
    )
    return cursor.rowcount == 1


def revoke_others(conn: sqlite3.Connection, account_id: str, keep: str, now: datetime) -> int:
    """End every live session of the account but `keep` ("sign out everywhere")."""
    cursor = conn.execute(
        "UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND id != ? AND revoked_at IS NULL",
        (clock.iso(now), account_id, keep),
    )
    return cursor.rowcount


def revoke_opened_by(conn: sqlite3.Connection, account_id: str, passkey_id: str, now: datetime) -> list[str]:
    """End the sessions a passkey opened (it is being removed); their ids."""
    ids = [
        row["id"]
        for row in conn.execute(
            "SELECT id FROM sessions WHERE account_id = ? AND passkey_id = ? AND revoked_at IS NULL",
            (account_id, passkey_id),
        )
    ]
    conn.executemany(
        "UPDATE sessions SET revoked_at = ? WHERE id = ?",
        [(clock.iso(now), session_id) for session_id in ids],
    )
    return ids


def live_for(conn: sqlite3.Connection, account_id: str, now: datetime) -> list[Session]:
    rows = conn.execute(
        "SELECT * FROM sessions WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ?"
        " ORDER BY last_seen_at DESC",
        (account_id, clock.iso(now)),
    )
    return [Session.from_row(row) for row in rows]


def purge_expired(conn: sqlite3.Connection, now: datetime) -> None:
    """Sessions are credentials, not a person's data: expired ones go after 30 days."""
    conn.execute("DELETE FROM sessions WHERE expires_at < ?", (clock.iso(now - timedelta(days=30)),))


_BROWSERS = (
    ("Edg/", "Edge"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str | None) -> str:
    """'Chrome · Android' from a User-Agent header; good enough to tell devices apart."""
    ua = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in ua), "")
    if "HeadlessChrome" in ua:
        browser = "Chrome"
    system = next((name for token, name in _SYSTEMS if re.search(re.escape(token), ua)), "")
    parts = [p for p in (browser, system) if p]
    return " · ".join(parts) if parts else "?"
