"""Web Push (RFC 8030), payloads encrypted per RFC 8291 (aes128gcm) and
signed with VAPID (RFC 8292), through `pywebpush` (ADR 0024).

What travels is a small JSON object: {title, body, path, lang, dir} — a neutral
sentence in the person's language ("the prefecture has written to you, open
the app") and the page to open; with the discreet choice, no text at all, only
the path: the phone shows a bare sign. Never a name, a file number, a reason
or a document: the push service cannot read the payload (it is encrypted for
the browser alone), but the lock screen can be seen by anyone holding the phone.

Every push has a TTL (a prepaid phone may be off the network for days), an
Urgency, and one Topic: a push service holding several undelivered pushes for
one phone keeps the last only, so a phone coming back online gets one sign,
not a burst (RFC 8030 §5.4).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
from pywebpush import WebPusher

from server import clock

from . import channels, subscriptions, vapid
from .channels import Message, Outcome
from .subscriptions import Subscription
from .vapid import Keys

if TYPE_CHECKING:
    from server.settings import Settings
    from server.store.db import Database

log = logging.getLogger("sesame.push")

KIND = "push"

# A week: long enough for a phone without data for days, short enough that a
# sign does not arrive after what it announced is over.
TTL_SECONDS = 7 * 24 * 3600
URGENCY = "normal"
# RFC 8030 §5.4: at most 32 characters of the base64url alphabet.
TOPIC = "sesame"
TIMEOUT_SECONDS = 10
RTL = frozenset({"ar"})


@dataclass(frozen=True)
class Delivery:
    """What one push service answered for one subscription."""

    subscription_id: str
    delivered: bool
    status: int | None  # the HTTP status; None: no answer (network, timeout)
    gone: bool = False  # 404/410: the subscription no longer exists
    detail: str = ""


def payload(*, title: str, body: str, path: str, lang: str, discreet: bool) -> bytes:
    """The JSON the service worker reads. `discreet`: no words at all."""
    if discreet:
        data: dict[str, Any] = {"path": path, "discreet": True}
    else:
        data = {
            "title": title,
            "body": body,
            "path": path,
            "lang": lang,
            "dir": "rtl" if lang in RTL else "ltr",
        }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def session() -> requests.Session:
    """One connection pool for many pushes to the same push services."""
    made = requests.Session()
    # A push service's redirect is not followed: the endpoint is the address.
    made.max_redirects = 0
    return made


def deliver(
    subscription: Subscription,
    data: bytes,
    keys: Keys,
    *,
    http: requests.Session,
    ttl: int = TTL_SECONDS,
    urgency: str = URGENCY,
    topic: str = TOPIC,
) -> Delivery:
    """Encrypt `data` for this subscription and POST it to its push service."""
    headers = {**keys.headers(subscription.endpoint), "Urgency": urgency, "Topic": topic}
    try:
        response = WebPusher(subscription.info, requests_session=http).send(
            data, headers, ttl=ttl, content_encoding="aes128gcm", timeout=TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        return Delivery(subscription.id, False, None, detail=type(error).__name__)
    status = int(getattr(response, "status_code", 0))
    if status in (200, 201, 202):
        return Delivery(subscription.id, True, status)
    # RFC 8030 §7.3 (and every push service): 404 and 410, the subscription
    # expired or the person withdrew the permission; it will never work again.
    return Delivery(subscription.id, False, status, gone=status in (404, 410), detail=f"HTTP {status}")


def record(conn: Any, delivery: Delivery, at: str) -> None:
    """Keep what the push service said on the subscription's row."""
    if delivery.delivered:
        subscriptions.delivered(conn, delivery.subscription_id, at)
    elif delivery.gone:
        subscriptions.gone(conn, delivery.subscription_id, at)
    else:
        subscriptions.failed(conn, delivery.subscription_id, at)


def _outcome(delivery: Delivery) -> Outcome:
    if delivery.delivered:
        return Outcome(KIND, delivery.subscription_id, True)
    if delivery.gone:
        return Outcome(KIND, delivery.subscription_id, False, error="gone")
    if delivery.status is None:
        return Outcome(KIND, delivery.subscription_id, False, error="network", retryable=True)
    # 429 (too many) and 5xx pass; other refusals (400, 403: a key mismatch, 413) would repeat.
    retry = delivery.status == 429 or delivery.status >= 500
    return Outcome(KIND, delivery.subscription_id, False, error=f"http_{delivery.status}", retryable=retry)


class WebPushSender:
    """The channel "push" (server/notify/channels.py): one encrypted push per
    browser the person turned notifications on for."""

    kind = KIND

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = vapid.keys(settings)
        self.http = session()

    def send(self, db: Database, account_id: str, message: Message) -> list[Outcome]:
        def read(conn: sqlite3.Connection) -> tuple[list[Subscription], set[str]]:
            return subscriptions.live(conn, account_id), channels.delivered_before(conn, message.key)

        # Read, then send with no transaction open, then write what the services said.
        live, reached = db.read_sync(read)
        data = payload(
            title=message.title or "Sésame",
            body=message.text,
            path=message.path,
            lang=message.language,
            discreet=message.discreet,
        )
        outcomes: list[Outcome] = []
        deliveries: list[Delivery] = []
        refused: list[str] = []
        for subscription in live:
            if subscription.id in reached:
                # A retry: this browser already has it (channels.delivered_before).
                outcomes.append(Outcome(KIND, subscription.id, True))
                continue
            if not subscriptions.endpoint_allowed(subscription.endpoint, local=self.settings.is_localhost):
                refused.append(subscription.id)
                outcomes.append(Outcome(KIND, subscription.id, False, error="endpoint_refused"))
                continue
            delivery = deliver(subscription, data, self.keys, http=self.http)
            deliveries.append(delivery)
            outcomes.append(_outcome(delivery))
        if deliveries or refused:
            at = clock.iso(clock.now())

            def write(conn: sqlite3.Connection) -> None:
                for delivery in deliveries:
                    record(conn, delivery, at)
                for subscription_id in refused:
                    subscriptions.gone(conn, subscription_id, at, reason="refused")

            db.write_sync(write)
        for delivery in deliveries:
            if not delivery.delivered:
                log.info("push to %s: %s", delivery.subscription_id, delivery.detail or "refused")
        return outcomes


def register(settings: Settings) -> WebPushSender:
    """Make the push sender of these settings the one the dispatcher uses."""
    sender = WebPushSender(settings)
    channels.register(sender)
    return sender
