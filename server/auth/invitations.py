"""One-time enrolment links for prefecture agents and administrators, and for
the workers of an organisation (its administrator first, invited when an
administrator approves it; then the workers it invites)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from server import clock

from . import tokens

STAFF_ROLES = ("agent", "admin")
ROLES = (*STAFF_ROLES, "worker")


@dataclass(frozen=True)
class Invitation:
    id: str
    role: str
    prefecture: str | None
    name: str | None
    created_by: str
    created_at: str
    expires_at: str
    used_at: str | None
    organisation: str | None = None
    organisation_admin: bool = False

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Invitation:
        data = {k: row[k] for k in cls.__dataclass_fields__}
        data["organisation_admin"] = bool(data["organisation_admin"])
        return cls(**data)


def create(
    conn: sqlite3.Connection,
    *,
    role: str,
    prefecture: str | None,
    name: str | None,
    created_by: str,
    lifetime: int,
    now: datetime,
    organisation: str | None = None,
    organisation_admin: bool = False,
) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if (role == "worker") != (organisation is not None):
        raise ValueError("a worker, and only a worker, is invited into an organisation")
    token = tokens.new_token()
    conn.execute(
        "INSERT INTO invitations (id, role, prefecture, name, created_by, created_at, expires_at,"
        " organisation, organisation_admin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tokens.digest(token),
            role,
            prefecture,
            name,
            created_by,
            clock.iso(now),
            clock.iso(clock.later(now, lifetime)),
            organisation,
            int(organisation_admin),
        ),
    )
    return token


def find(conn: sqlite3.Connection, token: str, now: datetime) -> Invitation | None:
    """A live (unused, unexpired) invitation for this token."""
    row = conn.execute(
        "SELECT * FROM invitations WHERE id = ? AND used_at IS NULL AND expires_at > ?",
        (tokens.digest(token), clock.iso(now)),
    ).fetchone()
    return Invitation.from_row(row) if row else None


def use(conn: sqlite3.Connection, invitation_id: str, account_id: str, now: datetime) -> bool:
    cursor = conn.execute(
        "UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?",
        (clock.iso(now), account_id, invitation_id, clock.iso(now)),
    )
    return cursor.rowcount == 1


def pending(conn: sqlite3.Connection, now: datetime, prefecture: str | None = None) -> list[Invitation]:
    sql = "SELECT * FROM invitations WHERE used_at IS NULL AND expires_at > ?"
    params: list[str] = [clock.iso(now)]
    if prefecture is not None:
        sql += " AND prefecture = ?"
        params.append(prefecture)
    # Staff invitations only: an organisation's are listed by `for_organisation`.
    sql += " AND organisation IS NULL"
    return [Invitation.from_row(r) for r in conn.execute(sql + " ORDER BY created_at DESC", params)]


def retire_bootstrap(conn: sqlite3.Connection, now: datetime) -> None:
    """A new start-up link replaces the previous unused one."""
    conn.execute(
        "UPDATE invitations SET expires_at = ? WHERE created_by = 'bootstrap' AND used_at IS NULL",
        (clock.iso(now),),
    )


def for_organisation(conn: sqlite3.Connection, organisation_id: str, now: datetime) -> list[Invitation]:
    rows = conn.execute(
        "SELECT * FROM invitations WHERE organisation = ? AND used_at IS NULL AND expires_at > ?"
        " ORDER BY created_at DESC",
        (organisation_id, clock.iso(now)),
    )
    return [Invitation.from_row(r) for r in rows]
