"""What an outreach worker does for a person's access, under a mandate to act:
hand the account over, help recover it, remove a lost passkey. Each is a
command (idempotent, audited, in the person's timeline).

`assist.handoff_code` {person_id, code_hash}
    a worker of an organisation holding a mandate to act (all files) for a
    person followed without an account (held): a new claim code, printed for
    the person (`claims.py`). The command carries the keyed hash of the code,
    never the code: the log holds no more than the table does. The earlier
    unspent code stops working.
`assist.recovery_code` {person_id, code_hash, identity_checked: true,
                        document, document_other?}
    the same worker, for a person who has an account and lost their passkeys,
    after checking their identity in person (which document was seen is kept;
    no document number): a one-time enrolment code valid 24 hours
    (`assisted.py`).
`assist.passkey_remove` {person_id, passkey_id, person_present: true}
    the same worker removes one of the person's passkeys, only with the
    person there asking for it (recorded); never their last one.

Refusal codes (field in brackets): forbidden; mandate (no mandate of the
worker's organisation to act for the person, all files: none, view only,
ended, revoked); invalid [person_id | code_hash]; not_held (the person already
has their account: recovery, not hand-off); held (no account yet: hand-off,
not recovery); identity_unchecked [identity_checked]; document_required,
document_unknown, document_too_long [document | document_other];
presence_required [person_present]; not_found [passkey_id]; last_passkey.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from server import clock
from server.domain import accounts, mandates, organisations, timeline
from sync.engine import Context, Refused, text

from . import assisted, claims, credentials, events, sessions
from .policy import Actor

HANDOFF_LIFETIME = timedelta(days=30)
DOCUMENTS = ("passport", "residence_permit", "receipt", "identity_card", "other")
DOCUMENT_OTHER_MAX = 120
HASH = re.compile(r"[0-9a-f]{64}")


def _mandate(ctx: Context[Actor], args: dict[str, Any]) -> tuple[str, mandates.Mandate, dict[str, str]]:
    """The person, the mandate this worker acts under, and the names the
    person's timeline shows (worker, organisation)."""
    actor = ctx.actor
    if actor.role != "worker" or not actor.organisation or actor.account_id is None:
        raise Refused("forbidden")
    person_id = text(args, "person_id")
    if not person_id or (actor.acting_for and actor.acting_for != person_id):
        raise Refused("invalid", "person_id")
    # Account-wide acts: a mandate for all the person's files, to act.
    mandate = mandates.active_for(ctx.conn, actor.organisation, person_id, None, ctx.received, act=True)
    if mandate is None:
        raise Refused("mandate")
    worker = accounts.get(ctx.conn, actor.account_id)
    organisation = organisations.get(ctx.conn, actor.organisation)
    names = {
        "worker": worker.display_name if worker else "?",
        "worker_id": actor.account_id,
        "organisation": organisation.name if organisation else "?",
        # The timeline's own columns: "par <worker> (<organisation>), mandat du …".
        "organisation_id": actor.organisation,
        "mandate_id": mandate.id,
    }
    return person_id, mandate, names


def _code_hash(args: dict[str, Any]) -> str:
    value = text(args, "code_hash")
    if not HASH.fullmatch(value):
        raise Refused("invalid", "code_hash")
    return value


def _issue(
    ctx: Context[Actor],
    person_id: str,
    code_hash: str,
    purpose: str,
    lifetime: timedelta,
    kind: str,
    **details: str,
) -> dict[str, Any]:
    """Store the code's hash and say so in the person's timeline (`kind`, with
    what was checked and under which mandate); returns the command's data."""
    now = ctx.received
    expires = clock.iso(now + lifetime)
    claims.store(
        ctx.conn,
        account_id=person_id,
        code_hash=code_hash,
        purpose=purpose,
        created_by=ctx.actor.account_id or "",
        now=now,
        expires_at=expires,
    )
    timeline.record(
        ctx.conn,
        kind=kind,
        person_id=person_id,
        file_id=None,
        actor_id=ctx.actor.account_id,
        actor_role=ctx.actor.role,
        version=ctx.version,
        command_id=ctx.command.id,
        at=clock.iso(now),
        expires_at=expires,
        **details,
    )
    return {"expires_at": expires}


def handoff_code(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    person_id, _, names = _mandate(ctx, args)
    code_hash = _code_hash(args)
    if not claims.is_held(ctx.conn, person_id):
        raise Refused("not_held")
    return _issue(ctx, person_id, code_hash, "outreach", HANDOFF_LIFETIME, "handoff_code_issued", **names)


def _document(args: dict[str, Any]) -> dict[str, str]:
    document = text(args, "document")
    if not document:
        raise Refused("document_required", "document")
    if document not in DOCUMENTS:
        raise Refused("document_unknown", "document")
    other = " ".join(text(args, "document_other").split())
    if document == "other" and not other:
        raise Refused("document_required", "document_other")
    if len(other) > DOCUMENT_OTHER_MAX:
        raise Refused("document_too_long", "document_other")
    return {"document": document, **({"document_other": other} if document == "other" else {})}


def recovery_code(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    person_id, _, names = _mandate(ctx, args)
    code_hash = _code_hash(args)
    if args.get("identity_checked") is not True:
        raise Refused("identity_unchecked", "identity_checked")
    seen = _document(args)
    if claims.is_held(ctx.conn, person_id):
        raise Refused("held")
    return _issue(
        ctx,
        person_id,
        code_hash,
        assisted.PURPOSE,
        assisted.LIFETIME,
        "recovery_code_issued",
        **seen,
        **names,
    )


def passkey_remove(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    person_id, _, names = _mandate(ctx, args)
    if args.get("person_present") is not True:
        raise Refused("presence_required", "person_present")
    passkey = credentials.get(ctx.conn, text(args, "passkey_id"))
    if passkey is None or passkey.account_id != person_id:
        raise Refused("not_found", "passkey_id")
    if credentials.count(ctx.conn, person_id) <= 1:
        raise Refused("last_passkey")
    ctx.conn.execute("DELETE FROM passkeys WHERE id = ?", (passkey.id,))
    ctx.conn.execute("UPDATE accounts SET version = ? WHERE id = ?", (ctx.version, person_id))
    ended = sessions.revoke_opened_by(ctx.conn, person_id, passkey.id, ctx.received)
    timeline.record(
        ctx.conn,
        kind="passkey_removed_assisted",
        person_id=person_id,
        file_id=None,
        actor_id=ctx.actor.account_id,
        actor_role=ctx.actor.role,
        version=ctx.version,
        command_id=ctx.command.id,
        at=clock.iso(ctx.received),
        label=passkey.label,
        **names,
    )
    events.record(
        ctx.conn,
        "passkey_removed",
        account_id=person_id,
        now=ctx.received,
        passkey=passkey.id,
        by=ctx.actor.account_id,
        person_present=True,
        sessions_ended=len(ended),
    )
    return {"sessions_ended": len(ended)}


HANDLERS = {
    "assist.handoff_code": handoff_code,
    "assist.recovery_code": recovery_code,
    "assist.passkey_remove": passkey_remove,
}
