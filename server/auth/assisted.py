"""Assisted recovery: a person who lost every passkey (and their recovery
codes) gets a new one with the help of an outreach worker.

The worker checks the person's identity in person, then issues a one-time
enrolment code (`assist.recovery_code`, a command: audited, in the person's
timeline; it carries the keyed hash of the code, never the code). The person
types or scans the code on their new phone and registers a passkey there; this
ceremony is here, beside the others (`flows.py`): online only, with the
server's challenge, never in the command log.

Enrolment codes live in `claim_codes` (purpose "assisted"): the same form as
recovery and claim codes (13 characters of Crockford's base32, a keyed hash),
single use, short-lived. A code works only while the organisation of the
worker who issued it still holds a mandate to act for the person: a revoked
mandate takes its codes with it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from server import clock
from server.domain import accounts, audit, organisations, timeline
from server.settings import Settings
from sync import log as sync_log

from . import claims, events, flows, recovery, sessions
from .policy import Actor

PURPOSE = "assisted"
LIFETIME = timedelta(hours=24)


def new_code(secret_key: str, now: datetime) -> tuple[str, str, str]:
    """A fresh code, its keyed hash (what the command carries) and its end."""
    code = recovery._new_code()
    return code, recovery.code_hash(secret_key, code), clock.iso(now + LIFETIME)


def target(
    conn: sqlite3.Connection, settings: Settings, code: str, flow_id: str, now: datetime
) -> str | None:
    """The account an attempt aims at (for the per-account rate limit)."""
    if flow_id:
        row = conn.execute(
            "SELECT account_id FROM challenges WHERE id = ? AND purpose = ?", (flow_id, PURPOSE)
        ).fetchone()
        return row["account_id"] if row else None
    _, found = claims.state(conn, str(settings.secret_key), code, now, (PURPOSE,))
    return found["account_id"] if found else None


def begin(conn: sqlite3.Connection, settings: Settings, *, code: str, now: datetime) -> flows.Begun:
    row = claims.check(conn, str(settings.secret_key), code, now, (PURPOSE,))
    account = accounts.get(conn, row["account_id"])
    if account is None or claims.is_held(conn, account.id):
        raise flows.FlowError("code_unknown", "code")  # a held account is claimed, not recovered
    return flows._another_passkey(conn, settings, account, PURPOSE, now, {"code_hash": row["code_hash"]})


def finish(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    flow_id: str,
    credential: str,
    device: flows.Device,
    now: datetime,
) -> flows.SignedIn:
    """The passkey first, then the code is spent (a cancelled prompt costs
    nothing). Every other session ends: the lost phone may be in someone's
    hands. The old passkeys stay until the person removes them (their choice)."""
    ch = flows._take(conn, flow_id, PURPOSE, now)
    new = flows._register(settings, credential, ch.challenge)
    row = conn.execute("SELECT * FROM claim_codes WHERE code_hash = ?", (ch.data["code_hash"],)).fetchone()
    if row is None or row["account_id"] != ch.account_id:
        raise flows.FlowError("code_unknown", "code")
    if row["spent_at"] is None and row["expires_at"] <= clock.iso(now):
        raise flows.FlowError("code_expired", "code", account_id=row["account_id"])  # while the prompt was open
    mandate = claims.backing_mandate(conn, row, now)
    if mandate is None:
        raise flows.FlowError("code_mandate", "code", account_id=row["account_id"])
    if claims.spend(conn, row["code_hash"], now) != ch.account_id:
        raise flows.FlowError("code_used", "code", account_id=row["account_id"])
    account = accounts.get(conn, ch.account_id)
    assert account is not None
    version = sync_log.next_version(conn)
    flows._store_passkey(conn, new, account.id, device.label, version, now)
    conn.execute("UPDATE accounts SET version = ? WHERE id = ?", (version, account.id))
    token, session = flows._open_session(conn, settings, account, device, now, new.credential_id)
    ended = sessions.revoke_others(conn, account.id, session.id, now)
    worker = accounts.get(conn, row["created_by"])
    organisation = organisations.get(conn, mandate.organisation_id)
    timeline.record(
        conn,
        kind="passkey_added_assisted",
        person_id=account.id,
        file_id=None,
        actor_id=account.id,
        actor_role="applicant",
        version=version,
        at=clock.iso(now),
        worker=worker.display_name if worker else "",
        worker_id=row["created_by"],
        organisation=organisation.name if organisation else "?",
        # In the data, not the timeline's columns: the person did this, with help.
        mandate=mandate.id,
    )
    audit.record(
        conn,
        actor=Actor(role="applicant", account_id=account.id),
        action="assisted_recovery.enrol",
        outcome="applied",
        departement=None,
        detail={"person_id": account.id, "worker_id": row["created_by"], "mandate_id": mandate.id},
    )
    events.record(
        conn,
        "assisted_recovery",
        account_id=account.id,
        ip=device.ip,
        now=now,
        passkey=new.credential_id,
        by=row["created_by"],
        mandate=mandate.id,
        sessions_ended=ended,
    )
    return flows.SignedIn(account, token, session)
