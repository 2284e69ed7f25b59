"""Organisations: associations and shelters whose workers follow people.

Anyone may ask to register one (a public form); a national administrator, or
the administrator of the organisation's département, approves it — or
suspends it, which stops at once every mandate given to it (`mandates.active_for`
only counts approved organisations). Approval invites the organisation's
administrator (`server/auth/invitations.py`), who then invites its workers.

Each organisation has a short code (6 characters of Crockford's base32) that a
worker shows a person who grants a mandate from their phone: typing it finds
the right organisation without searching by name.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from server import clock

KINDS = ("association", "shelter", "other")
STATUSES = ("pending", "approved", "suspended")
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6
NAME_MAX = 120


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    kind: str
    departement: str
    status: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    code: str
    created_at: str
    approved_by: str | None
    approved_at: str | None
    suspended_at: str | None
    version: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Organisation:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    @property
    def approved(self) -> bool:
        return self.status == "approved"


def get(conn: sqlite3.Connection, organisation_id: str) -> Organisation | None:
    row = conn.execute("SELECT * FROM organisations WHERE id = ?", (organisation_id,)).fetchone()
    return Organisation.from_row(row) if row else None


def create(
    conn: sqlite3.Connection,
    *,
    organisation_id: str,
    name: str,
    kind: str,
    departement: str,
    contact_name: str | None,
    contact_email: str | None,
    contact_phone: str | None,
    version: int,
    now: datetime,
) -> Organisation:
    """A request to register an organisation: pending until an administrator approves it."""
    conn.execute(
        "INSERT INTO organisations (id, name, kind, departement, status, contact_name, contact_email,"
        " contact_phone, code, created_at, version) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)",
        (
            organisation_id,
            name,
            kind,
            departement,
            contact_name,
            contact_email,
            contact_phone,
            new_code(conn),
            clock.iso(now),
            version,
        ),
    )
    found = get(conn, organisation_id)
    assert found is not None
    return found


def set_status(
    conn: sqlite3.Connection, organisation_id: str, status: str, by: str, version: int, now: datetime
) -> None:
    if status not in STATUSES:
        raise ValueError(status)
    at = clock.iso(now)
    if status == "approved":
        conn.execute(
            "UPDATE organisations SET status = 'approved', approved_by = ?, approved_at = ?, suspended_at = NULL,"
            " version = ? WHERE id = ?",
            (by, at, version, organisation_id),
        )
    else:
        conn.execute(
            "UPDATE organisations SET status = ?, suspended_at = ?, version = ? WHERE id = ?",
            (status, at if status == "suspended" else None, version, organisation_id),
        )


def normalise_code(value: str) -> str:
    """As typed: case, spaces and dashes do not count; O is 0, I and L are 1."""
    raw = "".join(value.split()).replace("-", "").upper()
    return raw.translate(str.maketrans("OIL", "011"))


def by_code(conn: sqlite3.Connection, code: str) -> Organisation | None:
    row = conn.execute("SELECT * FROM organisations WHERE code = ?", (normalise_code(code),)).fetchone()
    return Organisation.from_row(row) if row else None


def new_code(conn: sqlite3.Connection) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if conn.execute("SELECT 1 FROM organisations WHERE code = ?", (code,)).fetchone() is None:
            return code


def search(conn: sqlite3.Connection, query: str, limit: int = 20) -> list[Organisation]:
    """Approved organisations whose name contains the words typed."""
    words = [w for w in query.casefold().split() if w][:5]
    if not words:
        return []
    sql = "SELECT * FROM organisations WHERE status = 'approved'"
    params: list[str | int] = []
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        sql += " AND lower(name) LIKE ? ESCAPE '\\'"
        params.append(f"%{escaped}%")
    rows = conn.execute(sql + " ORDER BY name, id LIMIT ?", [*params, limit])
    return [Organisation.from_row(r) for r in rows]


def listed(conn: sqlite3.Connection, departement: str | None) -> list[Organisation]:
    """For an administrator: pending first; a prefecture's administrator sees
    their own département only (None: every one)."""
    sql = "SELECT * FROM organisations"
    params: list[str] = []
    if departement is not None:
        sql += " WHERE departement = ?"
        params.append(departement)
    order = (
        " ORDER BY CASE status WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 ELSE 2 END, created_at DESC, id"
    )
    return [Organisation.from_row(r) for r in conn.execute(sql + order, params)]


def workers(conn: sqlite3.Connection, organisation_id: str) -> list[sqlite3.Row]:
    return list(
        conn.execute(
            "SELECT id, display_name, organisation_admin, created_at FROM accounts"
            " WHERE role = 'worker' AND organisation = ? ORDER BY organisation_admin DESC, display_name, id",
            (organisation_id,),
        )
    )
