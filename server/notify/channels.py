"""The sender interface every channel implements, and the registry of senders.

A channel (e-mail, SMS, Web Push, an organisation) is a `Sender`: it has a
`kind` and sends one `Message` to every address or device the person has on
that channel, returning one `Outcome` per address or device. The dispatcher
calls `send` OUTSIDE any transaction (a slow SMTP server must never hold the
database's single writer): a sender reads with `db.read_sync` and writes, when
it must (a push subscription the push service says is gone), with
`db.write_sync`.

A `Message` never carries a name, a file number, a reason, a ground or a
document: only a neutral sentence in the person's language and the path of
the page to open. `discreet` means "no text at all, just a sign": `title` and
`text` are then empty and each channel sends the smallest sign it can.

`key` is the same for every attempt at one send (retries, a restart, a
restored database): senders hand it to the service as an idempotency key
(an HTTP header, the e-mail's Message-ID), so a service that keeps it drops
a second copy (ADR 0023).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from server.store.db import Database

# The sign a discreet message shows where a channel needs some text (a push
# notification's title, an SMS body): one neutral character, nothing to read.
SIGN = "•"


@dataclass(frozen=True)
class Message:
    key: str  # idempotency key: one per send, the same on every attempt
    language: str  # fr | en | ar
    title: str  # "Sésame", or "" when discreet
    text: str  # the neutral sentence(s), "" when discreet
    path: str  # the page to open in the app, e.g. "/files/…" or "/"
    discreet: bool = False
    topics: tuple[str, ...] = field(default_factory=tuple)  # what it gathers (for the log, never shown)

    @property
    def body(self) -> str:
        """The text a channel that has only a body (SMS) sends."""
        return SIGN if self.discreet or not self.text else self.text


@dataclass(frozen=True)
class Outcome:
    channel: str  # the sender's kind: push | email | sms | organisation
    channel_id: str  # which address or device: "email", "sms", a subscription id…
    delivered: bool
    error: str | None = None  # a stable code (e.g. "smtp_refused", "http_503", "gone")
    retryable: bool = False  # worth trying again later (a timeout, a 5xx); not a refusal


class Sender(Protocol):
    kind: str

    def send(self, db: Database, account_id: str, message: Message) -> list[Outcome]:
        """Send `message` to every address or device of `account_id` on this
        channel; an empty list: nothing to reach there (no address, no device)."""
        ...


_SENDERS: dict[str, Sender] = {}


def register(sender: Sender) -> None:
    """Add (or replace) the sender of its kind."""
    _SENDERS[sender.kind] = sender


def unregister(kind: str) -> None:
    _SENDERS.pop(kind, None)


def senders() -> dict[str, Sender]:
    """The senders the dispatcher may use, by kind."""
    return dict(_SENDERS)


def delivered_before(conn: sqlite3.Connection, key: str) -> set[str]:
    """The channel ids an earlier attempt at the send `key` already reached
    (a retry of a push to three devices goes only to the one that failed)."""
    rows = conn.execute(
        "SELECT DISTINCT channel_id FROM notify_log WHERE send_id = ? AND delivered = 1", (key,)
    )
    return {r[0] for r in rows}
