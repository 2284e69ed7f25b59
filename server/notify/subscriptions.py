"""Web Push subscriptions, one per browser a person agreed to be reached on
(ADR 0024), and the commands that add and remove them.

Codes: push_endpoint [endpoint] (not an http(s) URL a push service would give),
push_keys [p256dh|auth] (keys of the wrong form), not_found [subscription_id].

An endpoint belongs to one account at a time: a phone shared by two people
shows the notifications of the one who last turned them on (the other's row is
removed, reason "replaced"), never both. Rows are kept once removed, with why
("removed" by the person, "gone" when the push service answered 404/410,
"replaced"), so the account page can say that a phone stopped receiving.
"""

from __future__ import annotations

import binascii
import ipaddress
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from server import clock
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

from .vapid import b64url_decode

ENDPOINT_MAX = 2048
LABEL_MAX = 80


@dataclass(frozen=True)
class Subscription:
    id: str
    account_id: str
    endpoint: str
    p256dh: str
    auth: str
    label: str
    created_at: str
    last_success_at: str | None
    last_failure_at: str | None
    removed_at: str | None
    removed_reason: str | None

    @property
    def info(self) -> dict[str, Any]:
        """The form pywebpush (and the browser's `toJSON()`) gives a subscription."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


_COLUMNS = (
    "id, account_id, endpoint, p256dh, auth, label, created_at, last_success_at,"
    " last_failure_at, removed_at, removed_reason"
)


def _row(row: tuple[Any, ...]) -> Subscription:
    return Subscription(*row)


def live(conn: sqlite3.Connection, account_id: str) -> list[Subscription]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM push_subscriptions WHERE account_id = ? AND removed_at IS NULL"
        " ORDER BY created_at, id",
        (account_id,),
    ).fetchall()
    return [_row(r) for r in rows]


def recently_removed(conn: sqlite3.Connection, account_id: str, limit: int = 5) -> list[Subscription]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM push_subscriptions WHERE account_id = ? AND removed_at IS NOT NULL"
        " ORDER BY removed_at DESC, id LIMIT ?",
        (account_id, limit),
    ).fetchall()
    return [_row(r) for r in rows]


def get(conn: sqlite3.Connection, subscription_id: str) -> Subscription | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM push_subscriptions WHERE id = ?", (subscription_id,)
    ).fetchone()
    return _row(row) if row else None


def endpoint_form_problem(endpoint: str) -> bool:
    """True when `endpoint` is not an absolute http(s) URL of reasonable length."""
    if not endpoint or len(endpoint) > ENDPOINT_MAX:
        return True
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return True
    return parts.scheme not in ("https", "http") or not parts.hostname


def endpoint_allowed(endpoint: str, *, local: bool) -> bool:
    """May the server POST to this endpoint? Push services are public https
    hosts; an endpoint naming a private or loopback address (or plain http)
    would let anyone make the server send requests inside its own network.
    `local`: a server run on localhost (development, the tests) may also push
    to a receiver on the loopback, over http."""
    if endpoint_form_problem(endpoint):
        return False
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    loopback = host == "localhost" or host.endswith(".localhost")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_loopback:
        loopback = True
    if local and loopback:
        return parts.scheme in ("http", "https")
    if parts.scheme != "https" or loopback:
        return False
    return address is None or address.is_global


def _key(args: dict[str, Any], name: str, size: int) -> str:
    value = text(args, name).strip()
    try:
        raw = b64url_decode(value)
    except (binascii.Error, ValueError):
        raise Refused("push_keys", name) from None
    if len(raw) != size:
        raise Refused("push_keys", name)
    if name == "p256dh":
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            raise Refused("push_keys", name) from None
    return value


def subscribe(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """push.subscribe {endpoint, p256dh, auth, label}: this browser may be reached."""
    if ctx.actor.role != "applicant" or ctx.actor.account_id is None:
        raise Refused("forbidden")
    endpoint = text(args, "endpoint").strip()
    if endpoint_form_problem(endpoint):
        raise Refused("push_endpoint", "endpoint")
    # RFC 8291 §3: the browser's P-256 public key (65 bytes) and a 16-byte secret.
    p256dh = _key(args, "p256dh", 65)
    auth = _key(args, "auth", 16)
    label = " ".join(text(args, "label").split())[:LABEL_MAX]
    now = clock.iso(ctx.received)
    account_id = ctx.actor.account_id
    found = ctx.conn.execute(
        "SELECT id, account_id FROM push_subscriptions WHERE endpoint = ? AND removed_at IS NULL", (endpoint,)
    ).fetchone()
    if found is not None and found[1] == account_id:
        # The same browser again (a second tap, keys refreshed): one row.
        ctx.conn.execute(
            "UPDATE push_subscriptions SET p256dh = ?, auth = ?, label = ?, version = ? WHERE id = ?",
            (p256dh, auth, label or "?", ctx.version, found[0]),
        )
        return {"subscription_id": found[0], "new": False}
    if found is not None:
        ctx.conn.execute(
            "UPDATE push_subscriptions SET removed_at = ?, removed_reason = 'replaced', version = ? WHERE id = ?",
            (now, ctx.version, found[0]),
        )
    subscription_id = str(uuid.uuid4())
    ctx.conn.execute(
        "INSERT INTO push_subscriptions (id, account_id, endpoint, p256dh, auth, label, created_at, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (subscription_id, account_id, endpoint, p256dh, auth, label or "?", now, ctx.version),
    )
    return {"subscription_id": subscription_id, "new": True}


def unsubscribe(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """push.unsubscribe {subscription_id}: stop reaching that browser."""
    if not ctx.actor.signed_in:
        raise Refused("forbidden")
    subscription = get(ctx.conn, text(args, "subscription_id"))
    # Someone else's subscription is "not found": ids reveal nothing.
    if subscription is None or subscription.account_id != ctx.actor.account_id:
        raise Refused("not_found", "subscription_id")
    if subscription.removed_at is None:
        ctx.conn.execute(
            "UPDATE push_subscriptions SET removed_at = ?, removed_reason = 'removed', version = ? WHERE id = ?",
            (clock.iso(ctx.received), ctx.version, subscription.id),
        )
    return {"subscription_id": subscription.id}


def delivered(conn: sqlite3.Connection, subscription_id: str, at: str) -> None:
    conn.execute("UPDATE push_subscriptions SET last_success_at = ? WHERE id = ?", (at, subscription_id))


def failed(conn: sqlite3.Connection, subscription_id: str, at: str) -> None:
    conn.execute("UPDATE push_subscriptions SET last_failure_at = ? WHERE id = ?", (at, subscription_id))


def gone(conn: sqlite3.Connection, subscription_id: str, at: str, reason: str = "gone") -> None:
    """The push service says this subscription no longer exists (404/410,
    RFC 8030 §7.3), or the server may not push to it: never try it again."""
    conn.execute(
        "UPDATE push_subscriptions SET removed_at = ?, removed_reason = ? WHERE id = ? AND removed_at IS NULL",
        (at, reason, subscription_id),
    )


def signed_out(conn: sqlite3.Connection, account_id: str, endpoint: str, at: str) -> int:
    """The person signed out of the browser that holds `endpoint` (its page says
    which, and unsubscribes it): a phone shared with family stops showing this
    account's news. Only that account's subscription; returns how many ended."""
    return conn.execute(
        "UPDATE push_subscriptions SET removed_at = ?, removed_reason = 'signed_out'"
        " WHERE account_id = ? AND endpoint = ? AND removed_at IS NULL",
        (at, account_id, endpoint[:ENDPOINT_MAX]),
    ).rowcount


HANDLERS = {
    "push.subscribe": subscribe,
    "push.unsubscribe": unsubscribe,
}
