"""Mandates: what a person lets an organisation's workers do for them.

A person grants a mandate to an organisation (docs/adr/0020): for all their
files or one, to act or only to view, until a date (one year unless they say
otherwise); from their phone, or on paper (a worker records the signed form's
scan, `person.create`). They see every mandate and revoke any at once.

This module is the ONE place a worker's access to a person is decided
(`active_for`): the sync API and the pages build a worker's acting `Actor`
only from what it returns, and every handler then checks ownership against
`actor.owner` as for the person themself.

Refusal codes (field in brackets): organisation_unknown [organisation];
mandate_scope [file_id]; mandate_expiry [expires_at]; mandate_unknown
[mandate_id]; exists [person_id]; paper_scan_missing [paper_blob]; and the
profile codes of `accounts` [display_name, language].
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from server import clock
from server.auth import claims
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

from . import accounts, files, organisations, timeline, uploads

DEFAULT_DAYS = 365
# A mandate longer than three years is not one a person can keep in mind.
MAX_DAYS = 3 * 365

# What a worker may do for a person under a mandate to act: the person's own
# acts on their files. Never their passkeys, sessions or profile (assisted
# recovery is its own logged ceremony), never a mandate of theirs.
WORKER_OPS = frozenset(
    {
        "file.create",
        "file.update",
        "file.set_grounds",
        "file.submit",
        "file.withdraw",
        "piece.attach",
        "piece.remove",
        "piece.replace",
        "message.send",
        "message.read",
        "appointment.book",
        "appointment.move",
        "appointment.cancel",
    }
)


@dataclass(frozen=True)
class Mandate:
    id: str
    person_id: str
    organisation_id: str
    file_id: str | None
    can_act: bool
    granted_at: str
    expires_at: str
    granted_by: str
    paper_blob: str | None
    revoked_at: str | None
    revoked_by: str | None
    version: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Mandate:
        data = {name: row[name] for name in cls.__dataclass_fields__}
        data["can_act"] = bool(data["can_act"])
        return cls(**data)

    @property
    def on_paper(self) -> bool:
        return self.paper_blob is not None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > clock.iso(now)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file_id": self.file_id,
            "can_act": self.can_act,
            "expires_at": self.expires_at,
        }


@dataclass(frozen=True)
class Followed:
    id: str
    display_name: str
    mandate: Mandate


_LIVE = (
    "SELECT m.* FROM mandates m JOIN organisations o ON o.id = m.organisation_id"
    " WHERE o.status = 'approved' AND m.revoked_at IS NULL AND m.expires_at > :now"
)
# All files first, then acting before viewing, then the newest.
_BEST = " ORDER BY m.file_id IS NULL DESC, m.can_act DESC, m.granted_at DESC, m.id"


def active_for(
    conn: sqlite3.Connection,
    organisation_id: str | None,
    person_id: str | None,
    file_id: str | None,
    now: datetime,
    *,
    act: bool,
) -> Mandate | None:
    """The mandate under which a worker of `organisation_id` may reach
    `person_id` now: for `file_id` (a mandate for all files, or for that one),
    or with `file_id` None for the person as a whole (a mandate for all files:
    creating a file, say). `act`: only a mandate to act. The organisation must
    be approved; revoked and expired mandates count for nothing."""
    if not organisation_id or not person_id:
        return None
    sql = _LIVE + " AND m.organisation_id = :org AND m.person_id = :person"
    sql += " AND (m.file_id IS NULL OR m.file_id = :file)" if file_id else " AND m.file_id IS NULL"
    if act:
        sql += " AND m.can_act = 1"
    params = {"now": clock.iso(now), "org": organisation_id, "person": person_id, "file": file_id}
    row = conn.execute(sql + _BEST + " LIMIT 1", params).fetchone()
    return Mandate.from_row(row) if row else None


def best_for(
    conn: sqlite3.Connection, organisation_id: str | None, person_id: str | None, now: datetime
) -> Mandate | None:
    """The widest live mandate of any scope (to list and to pull: a one-file
    mandate shows that file only)."""
    if not organisation_id or not person_id:
        return None
    sql = _LIVE + " AND m.organisation_id = :org AND m.person_id = :person" + _BEST + " LIMIT 1"
    row = conn.execute(sql, {"now": clock.iso(now), "org": organisation_id, "person": person_id}).fetchone()
    return Mandate.from_row(row) if row else None


def people_followed(conn: sqlite3.Connection, organisation_id: str | None, now: datetime) -> list[Followed]:
    """Everyone the organisation holds a live mandate for, by name, with the
    widest of their mandates."""
    if not organisation_id:
        return []
    sql = _LIVE + " AND m.organisation_id = :org" + _BEST
    best: dict[str, Mandate] = {}
    for row in conn.execute(sql, {"now": clock.iso(now), "org": organisation_id}):
        best.setdefault(row["person_id"], Mandate.from_row(row))
    if not best:
        return []
    marks = ",".join("?" * len(best))
    names = {
        r["id"]: r["display_name"]
        for r in conn.execute(f"SELECT id, display_name FROM accounts WHERE id IN ({marks})", list(best))
    }
    people = [Followed(pid, names.get(pid, "?"), m) for pid, m in best.items()]
    return sorted(people, key=lambda f: (f.display_name.casefold(), f.id))


def for_person(conn: sqlite3.Connection, person_id: str) -> list[Mandate]:
    """Every mandate the person ever gave, live ones first, newest first."""
    rows = conn.execute(
        "SELECT * FROM mandates WHERE person_id = ? ORDER BY revoked_at IS NOT NULL, granted_at DESC, id",
        (person_id,),
    )
    return [Mandate.from_row(r) for r in rows]


def get(conn: sqlite3.Connection, mandate_id: str) -> Mandate | None:
    row = conn.execute("SELECT * FROM mandates WHERE id = ?", (mandate_id,)).fetchone()
    return Mandate.from_row(row) if row else None


def acting(
    conn: sqlite3.Connection, worker: Actor, person_id: str, file_id: str | None, now: datetime, *, act: bool
) -> Actor | None:
    """The actor a worker becomes to act (or look) for a person, or None
    without a live mandate for that scope."""
    if worker.role != "worker" or worker.account_id is None or worker.acting_for is not None:
        return None
    mandate = active_for(conn, worker.organisation, person_id, file_id, now, act=act)
    if mandate is None:
        return None
    return Actor(
        role="worker",
        account_id=worker.account_id,
        prefecture=None,
        session_id=worker.session_id,
        organisation=worker.organisation,
        acting_for=person_id,
        mandate_id=mandate.id,
        organisation_admin=worker.organisation_admin,
    )


# -- arguments ---------------------------------------------------------------


def clean_expiry(value: Any, now: datetime) -> str:
    """A date (YYYY-MM-DD, the mandate ends at its end) or a full timestamp;
    missing: one year from now. Past, or more than three years ahead: refused."""
    raw = value if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise Refused("mandate_expiry", "expires_at")
    if not raw:
        return clock.iso(now + timedelta(days=DEFAULT_DAYS))
    try:
        if len(raw) == 10:
            moment = datetime.combine(date.fromisoformat(raw), time(23, 59, 59), tzinfo=now.tzinfo)
        else:
            moment = clock.parse(raw)
    except ValueError:
        raise Refused("mandate_expiry", "expires_at") from None
    if moment <= now or moment > now + timedelta(days=MAX_DAYS):
        raise Refused("mandate_expiry", "expires_at")
    return clock.iso(moment)


def _can_act(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, bool):
        raise Refused("invalid", "can_act")
    return value


def _uuid(value: Any, field: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise Refused("invalid", field) from None


def _new_id(conn: sqlite3.Connection, value: Any) -> str:
    mandate_id = _uuid(value, "mandate_id") if value else str(uuid.uuid4())
    if get(conn, mandate_id) is not None:
        raise Refused("exists", "mandate_id")
    return mandate_id


def _insert(
    ctx: Context[Actor],
    *,
    mandate_id: str,
    person_id: str,
    organisation: organisations.Organisation,
    file_id: str | None,
    can_act: bool,
    expires_at: str,
    paper_blob: str | None,
) -> None:
    at = clock.iso(clock.now())
    ctx.conn.execute(
        "INSERT INTO mandates (id, person_id, organisation_id, file_id, can_act, granted_at, expires_at,"
        " granted_by, paper_blob, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            mandate_id,
            person_id,
            organisation.id,
            file_id,
            int(can_act),
            at,
            expires_at,
            ctx.actor.key,
            paper_blob,
            ctx.version,
        ),
    )
    timeline.record(
        ctx.conn,
        kind="mandate_granted",
        person_id=person_id,
        file_id=None,
        version=ctx.version,
        command_id=ctx.command.id,
        at=at,
        **timeline.by(ctx.actor),
        mandate=mandate_id,
        organisation=organisation.name,
        scope=file_id,
        can_act=can_act,
        expires_at=expires_at,
        paper=paper_blob is not None,
    )


# -- commands ----------------------------------------------------------------


def grant(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`mandate.grant` {mandate_id?, organisation_id, file_id?, can_act, expires_at?}:
    the person gives an approved organisation a mandate."""
    actor = ctx.actor
    if actor.role != "applicant" or actor.acting_for is not None or actor.account_id is None:
        raise Refused("forbidden")
    organisation = organisations.get(ctx.conn, text(args, "organisation_id"))
    if organisation is None or organisation.status != "approved":
        raise Refused("organisation_unknown", "organisation")
    file_id = args.get("file_id") or None
    if file_id is not None:
        file = files.get(ctx.conn, text(args, "file_id"))
        if file is None or file.owner_id != actor.account_id:
            raise Refused("mandate_scope", "file_id")
        file_id = file.id
    mandate_id = _new_id(ctx.conn, args.get("mandate_id"))
    now = clock.now()
    _insert(
        ctx,
        mandate_id=mandate_id,
        person_id=actor.account_id,
        organisation=organisation,
        file_id=file_id,
        can_act=_can_act(args.get("can_act")),
        expires_at=clean_expiry(args.get("expires_at"), now),
        paper_blob=None,
    )
    return {"mandate_id": mandate_id}


def revoke(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`mandate.revoke` {mandate_id}: by the person, or by a worker of the
    organisation (who ends following them). Takes effect at once."""
    actor = ctx.actor
    mandate = get(ctx.conn, text(args, "mandate_id"))
    by_person = actor.role == "applicant" and actor.acting_for is None
    mine = mandate is not None and (
        (by_person and mandate.person_id == actor.account_id)
        or (actor.role == "worker" and actor.organisation == mandate.organisation_id)
    )
    if mandate is None or not mine or not actor.signed_in:
        raise Refused("mandate_unknown", "mandate_id")
    if mandate.revoked_at is not None:
        return {"mandate_id": mandate.id, "revoked_at": mandate.revoked_at}
    at = clock.iso(clock.now())
    ctx.conn.execute(
        "UPDATE mandates SET revoked_at = ?, revoked_by = ?, version = ? WHERE id = ?",
        (at, actor.key, ctx.version, mandate.id),
    )
    organisation = organisations.get(ctx.conn, mandate.organisation_id)
    timeline.record(
        ctx.conn,
        kind="mandate_revoked",
        person_id=mandate.person_id,
        file_id=None,
        version=ctx.version,
        command_id=ctx.command.id,
        at=at,
        **timeline.by(actor),
        mandate=mandate.id,
        organisation=organisation.name if organisation else "?",
        granted_at=mandate.granted_at,
    )
    return {"mandate_id": mandate.id, "revoked_at": at}


def create_person(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`person.create` {person_id, display_name, language, mandate: {mandate_id?,
    file_id?, can_act, expires_at?, paper_blob}}: a worker records a person who
    has no account, with the paper mandate they signed (its scan uploaded
    first, like a piece). Makes a held account (claimed later with a one-time
    code) and the mandate, in one command."""
    actor = ctx.actor
    if actor.role != "worker" or actor.acting_for is not None or actor.account_id is None:
        raise Refused("forbidden")
    organisation = organisations.get(ctx.conn, actor.organisation or "")
    if organisation is None or organisation.status != "approved":
        raise Refused("forbidden")
    person_id = _uuid(args.get("person_id"), "person_id")
    if accounts.get(ctx.conn, person_id) is not None:
        raise Refused("exists", "person_id")
    profile = accounts.clean_profile(
        {"display_name": text(args, "display_name"), "language": text(args, "language")}
    )
    paper = args.get("mandate")
    if not isinstance(paper, dict):
        raise Refused("invalid", "mandate")
    scan = text(paper, "paper_blob")
    blob = uploads.granted(ctx.conn, scan, actor.account_id) if scan else None
    if blob is None:
        raise Refused("paper_scan_missing", "paper_blob")
    now = clock.now()
    expires_at = clean_expiry(paper.get("expires_at"), now)
    can_act = _can_act(paper.get("can_act"))
    # A held person has no file yet: a paper mandate for one file names the
    # file the worker is about to create for them (its id, chosen offline).
    file_id = _uuid(paper["file_id"], "file_id") if paper.get("file_id") else None
    mandate_id = _new_id(ctx.conn, paper.get("mandate_id"))
    claims.create_held(
        ctx.conn,
        display_name=profile["display_name"],
        language=profile["language"],
        version=ctx.version,
        now=now,
        account_id=person_id,
    )
    # The person sees their signed mandate once they claim their account.
    ctx.conn.execute(
        "INSERT OR IGNORE INTO blob_grants (sha256, account_id, created_at) VALUES (?, ?, ?)",
        (scan, person_id, clock.iso(now)),
    )
    _insert(
        ctx,
        mandate_id=mandate_id,
        person_id=person_id,
        organisation=organisation,
        file_id=file_id,
        can_act=can_act,
        expires_at=expires_at,
        paper_blob=scan,
    )
    return {"person_id": person_id, "mandate_id": mandate_id}


HANDLERS = {"mandate.grant": grant, "mandate.revoke": revoke, "person.create": create_person}
