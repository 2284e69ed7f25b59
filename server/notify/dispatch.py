"""The dispatcher: from reminders due to messages sent, exactly once (ADR 0023).

One pass (`run`) does, each step in its own short write transaction:

1. derive: new timeline events → reminders (schedule.py);
2. plan: for each person with reminders due, drop the moot ones and gather
   the rest into one notice — a digest — with one send per channel the person
   has on (`notify_sends`). A person who got a notice less than `digest`
   minutes ago waits until then, and everything due meanwhile goes together:
   one message, not a burst. SMS and push wait for the end of quiet hours;
3. claim: sends due (or whose lease ran out: a process died holding them)
   go pending → sending with a lease and one more attempt, in a transaction;
4. send, outside any transaction, through the channel's sender;
5. finish: log each outcome (channel, when, delivered, error — never the
   content) and mark the send sent, or pending again after a backoff, or
   failed after the last attempt (shown on the person's account page).

A process killed between 3 and 5 leaves the send `sending`; once its lease
runs out another pass takes it again, with the same idempotency key (the send
id), which the SMS provider and the e-mail's Message-ID carry: a service that
keeps keys drops a copy of a message it already accepted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool

from server import clock
from server.store.db import Database

from . import preferences, schedule, texts
from .channels import Message, Outcome, Sender, senders

log = logging.getLogger("sesame")
NAMESPACE = uuid.UUID("c4f0a1d2-6b7e-4a39-8e15-7d2b9f3a6c58")
QUIET_CHANNELS = ("sms", "push")  # they ring; an e-mail waits in its box
BATCH = 200


@dataclass(frozen=True)
class Policy:
    digest_minutes: float = 10.0
    max_attempts: int = 6
    retry_seconds: float = 60.0  # first wait; doubles each attempt
    retry_cap_seconds: float = 6 * 3600.0
    lease_seconds: float = 120.0

    def backoff(self, attempts: int) -> float:
        return float(min(self.retry_cap_seconds, self.retry_seconds * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Claimed:
    id: str
    account_id: str
    channel: str
    topics: tuple[str, ...]
    path: str
    attempts: int


# -- plan ------------------------------------------------------------------


def _path(rows: list[sqlite3.Row]) -> str:
    """The page a notice opens: the file's own page for one file, the
    dashboard for several (or none)."""
    files = {r["file_id"] for r in rows}
    topics = {r["topic"] for r in rows}
    if topics <= {"blockage_answered"}:
        return "/blocked/mine"
    if len(files) != 1 or None in files:
        return "/dashboard"
    file_id = next(iter(files))
    if topics <= {"prefecture_message"}:
        return f"/files/{file_id}/messages"
    if topics <= {"attestation_issued", "attestation_renewed", "attestation_ends_30", "attestation_ends_7"}:
        return f"/files/{file_id}/attestation"
    if topics <= {"appointment_booked", "appointment_moved", "appointment_tomorrow"}:
        return f"/files/{file_id}/appointment"
    return f"/files/{file_id}"


def _last_notice(conn: sqlite3.Connection, account_id: str) -> datetime | None:
    row = conn.execute(
        "SELECT max(created_at) AS at FROM notify_sends WHERE account_id = ?", (account_id,)
    ).fetchone()
    return clock.parse(row["at"]) if row and row["at"] else None


def plan(
    conn: sqlite3.Connection, now: datetime, policy: Policy, kinds: list[str], after: str = ""
) -> tuple[int, str | None]:
    """Gather due reminders into notices and sends, for up to BATCH people
    (account ids past `after`); inside the caller's write transaction. Returns
    the number of sends made and the last account seen (None: no more)."""
    stamp = clock.iso(now)
    accounts = [
        r["account_id"]
        for r in conn.execute(
            "SELECT DISTINCT account_id FROM notify_reminders WHERE state = 'pending' AND due_at <= ?"
            " AND account_id > ? ORDER BY account_id LIMIT ?",
            (stamp, after, BATCH),
        )
    ]
    made = 0
    for account_id in accounts:
        rows = conn.execute(
            "SELECT * FROM notify_reminders WHERE account_id = ? AND state = 'pending' AND due_at <= ?"
            " ORDER BY due_at, id",
            (account_id, stamp),
        ).fetchall()
        live = []
        for row in rows:
            if schedule.moot(conn, row["topic"], row["ref"]):
                conn.execute(
                    "UPDATE notify_reminders SET state = 'cancelled', settled_at = ? WHERE id = ?",
                    (stamp, row["id"]),
                )
            else:
                live.append(row)
        if not live:
            continue
        last = _last_notice(conn, account_id)
        if last is not None and now < last + timedelta(minutes=policy.digest_minutes):
            continue  # the digest: gathered with what comes until then
        notice_id = str(uuid.uuid5(NAMESPACE, ",".join(r["id"] for r in live)))
        prefs = preferences.get(conn, account_id)
        topics = json.dumps(sorted({r["topic"] for r in live}))
        path = _path(live)
        for kind in kinds:
            if not prefs.enabled(kind):
                continue
            next_at = prefs.quiet_ends_after(now) if kind in QUIET_CHANNELS else now
            made += conn.execute(
                "INSERT OR IGNORE INTO notify_sends (id, notice_id, account_id, channel, topics, path,"
                " state, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                (
                    str(uuid.uuid5(NAMESPACE, f"{notice_id}:{kind}")),
                    notice_id,
                    account_id,
                    kind,
                    topics,
                    path,
                    clock.iso(next_at),
                    stamp,
                ),
            ).rowcount
        conn.executemany(
            "UPDATE notify_reminders SET state = 'grouped', notice_id = ?, settled_at = ? WHERE id = ?",
            [(notice_id, stamp, r["id"]) for r in live],
        )
    return made, accounts[-1] if len(accounts) == BATCH else None


# -- claim, send, finish ------------------------------------------------------


def claim(conn: sqlite3.Connection, now: datetime, policy: Policy, limit: int = BATCH) -> list[Claimed]:
    """Take the sends due (and those a dead process held past their lease)."""
    stamp = clock.iso(now)
    rows = conn.execute(
        "SELECT * FROM notify_sends WHERE (state = 'pending' AND next_at <= ?)"
        " OR (state = 'sending' AND lease_until <= ?) ORDER BY next_at, id LIMIT ?",
        (stamp, stamp, limit),
    ).fetchall()
    lease = clock.iso(clock.later(now, policy.lease_seconds))
    taken = []
    for row in rows:
        conn.execute(
            "UPDATE notify_sends SET state = 'sending', lease_until = ?, attempts = attempts + 1 WHERE id = ?",
            (lease, row["id"]),
        )
        taken.append(
            Claimed(
                id=row["id"],
                account_id=row["account_id"],
                channel=row["channel"],
                topics=tuple(json.loads(row["topics"])),
                path=row["path"],
                attempts=row["attempts"] + 1,
            )
        )
    return taken


def _message_for(conn: sqlite3.Connection, send: Claimed) -> Message:
    row = conn.execute("SELECT language FROM accounts WHERE id = ?", (send.account_id,)).fetchone()
    prefs = preferences.get(conn, send.account_id)
    return texts.message(
        key=send.id,
        topics=send.topics,
        lang=row["language"] if row else "fr",
        path=send.path,
        discreet=prefs.discreet,
    )


def deliver(db: Database, send: Claimed, sender: Sender | None) -> list[Outcome]:
    """Send one claimed send; never raises (an exception is a retryable failure)."""
    if sender is None:
        return []  # the channel was turned off since it was planned: nothing to reach, no failure
    message = db.read_sync(_message_for, send)
    try:
        return sender.send(db, send.account_id, message)
    except Exception:
        log.exception("notification by %s failed", send.channel)
        return [Outcome(send.channel, send.channel, delivered=False, error="exception", retryable=True)]


def finish(
    conn: sqlite3.Connection, send: Claimed, outcomes: list[Outcome], now: datetime, policy: Policy
) -> str:
    """Log the outcomes and settle the send; inside the caller's write
    transaction. Returns the new state (or "" when another process took the
    send meanwhile: its own pass settles it)."""
    stamp = clock.iso(now)
    conn.executemany(
        "INSERT INTO notify_log (send_id, account_id, channel, channel_id, at, attempt, delivered, error)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                send.id,
                send.account_id,
                send.channel,
                o.channel_id,
                stamp,
                send.attempts,
                int(o.delivered),
                o.error,
            )
            for o in outcomes
        ],
    )
    delivered = any(o.delivered for o in outcomes)
    retry = [o for o in outcomes if not o.delivered and o.retryable]
    errors = sorted({o.error or "failed" for o in outcomes if not o.delivered})
    if not outcomes:
        state, next_at = "dropped", None  # nothing to reach on this channel
    elif retry and send.attempts < policy.max_attempts:
        state, next_at = "pending", clock.later(now, policy.backoff(send.attempts))
    elif delivered:
        state, next_at = "sent", None
    else:
        state, next_at = "failed", None
    changed = conn.execute(
        "UPDATE notify_sends SET state = ?, next_at = coalesce(?, next_at), lease_until = NULL, error = ?,"
        " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
        " WHERE id = ? AND state = 'sending' AND attempts = ?",
        (
            state,
            clock.iso(next_at) if next_at else None,
            ",".join(errors) or None,
            state,
            stamp,
            send.id,
            send.attempts,
        ),
    ).rowcount
    return state if changed else ""


def run(db: Database, policy: Policy | None = None, now: datetime | None = None) -> Counter[str]:
    """One pass: derive, plan, claim, send, finish. Returns counts by outcome."""
    policy = policy or Policy()
    done: Counter[str] = Counter()
    registered = senders()
    while True:
        moment = now or clock.now()
        read, added = db.write_sync(lambda c, m=moment: schedule.derive(c, m))
        done["events"] += read
        done["reminders"] += added
        if read < schedule.BATCH:
            break
    moment = now or clock.now()
    after: str | None = ""
    while after is not None:
        made, after = db.write_sync(lambda c, a=after: plan(c, moment, policy, sorted(registered), a))
        done["planned"] += made
    while True:
        moment = now or clock.now()
        taken = db.write_sync(lambda c, m=moment: claim(c, m, policy))
        if not taken:
            break
        for send in taken:
            outcomes = deliver(db, send, registered.get(send.channel))
            state = db.write_sync(lambda c, s=send, o=outcomes: finish(c, s, o, now or clock.now(), policy))
            done[state or "taken_over"] += 1
        if len(taken) < BATCH:
            break
    return +done


async def every(db: Database, seconds: float, policy: Policy) -> None:
    """The in-process loop: a pass every `seconds` (a failed pass never stops the next)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            counts = await run_in_threadpool(run, db, policy)
        except Exception:
            log.exception("notifications failed")
            continue
        sent = {k: v for k, v in counts.items() if k not in ("events",)}
        if sent:
            log.info("notifications: %s", ", ".join(f"{k} {v}" for k, v in sorted(sent.items())))
