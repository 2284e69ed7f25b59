"""Accounts: who a person is to Sésame. Only a name and a language are required.

The foreign-national number (numéro étranger), e-mail and phone are optional:
ANEF refuses an account without the number, which locks out young adults who
came as minors and parents of French children who were asylum seekers.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import i18n
from server import clock
from server.auth import policy
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

ROLES = ("applicant", "agent", "admin", "worker")
STAFF_ROLES = ("agent", "admin")
NAME_MAX = 80

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 .\-()]+$")


@dataclass(frozen=True)
class Account:
    id: str
    user_handle: bytes
    display_name: str
    language: str
    role: str
    prefecture: str | None
    foreign_number: str | None
    email: str | None
    phone: str | None
    created_at: str
    version: int
    # Outreach workers (role 'worker'): their organisation, and whether they administer it.
    organisation: str | None = None
    organisation_admin: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Account:
        data = {name: row[name] for name in cls.__dataclass_fields__}
        data["organisation_admin"] = bool(data["organisation_admin"])
        return cls(**data)


def get(conn: sqlite3.Connection, account_id: str) -> Account | None:
    row = conn.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone()
    return Account.from_row(row) if row else None


def by_user_handle(conn: sqlite3.Connection, user_handle: bytes) -> Account | None:
    row = conn.execute("SELECT * FROM accounts WHERE user_handle = ?", (user_handle,)).fetchone()
    return Account.from_row(row) if row else None


def new_user_handle() -> bytes:
    # Random, never derived from personal data (WebAuthn §14.6.1).
    return secrets.token_bytes(32)


def create(
    conn: sqlite3.Connection,
    *,
    display_name: str,
    language: str,
    user_handle: bytes,
    version: int,
    role: str = "applicant",
    prefecture: str | None = None,
    now: datetime | None = None,
    account_id: str | None = None,
    organisation: str | None = None,
    organisation_admin: bool = False,
) -> Account:
    """A new account (`account_id`: chosen by a worker's device offline, for a
    person recorded on paper; else a new one)."""
    profile = clean_profile({"display_name": display_name, "language": language})
    if role not in ROLES:
        raise ValueError(role)
    if (role == "worker") != (organisation is not None):
        raise ValueError("a worker, and only a worker, belongs to an organisation")
    account_id = account_id or str(uuid.uuid4())
    conn.execute(
        "INSERT INTO accounts (id, user_handle, display_name, language, role, prefecture,"
        " created_at, version, organisation, organisation_admin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            account_id,
            user_handle,
            profile["display_name"],
            profile["language"],
            role,
            prefecture,
            clock.iso(now or clock.now()),
            version,
            organisation,
            int(organisation_admin),
        ),
    )
    account = get(conn, account_id)
    assert account is not None
    return account


def any_admin(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM accounts WHERE role = 'admin' LIMIT 1").fetchone() is not None


# -- validation ------------------------------------------------------------
# Codes raised here (field in brackets): name_required, name_too_long [display_name];
# language_unknown [language]; foreign_number_format [foreign_number];
# email_format [email]; phone_format [phone].

PROFILE_FIELDS = ("display_name", "language", "foreign_number", "email", "phone")


def clean_name(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise Refused("name_required", "display_name")
    if len(name) > NAME_MAX:
        raise Refused("name_too_long", "display_name")
    return name


def clean_language(value: Any) -> str:
    lang = str(value or "").strip()
    if lang not in i18n.LANGUAGES:
        raise Refused("language_unknown", "language")
    return lang


def clean_foreign_number(value: Any) -> str | None:
    """The AGDREF number printed on residence permits: 10 digits. Optional."""
    digits = re.sub(r"[\s.\-]", "", str(value or ""))
    if not digits:
        return None
    if not digits.isdigit() or len(digits) != 10:
        raise Refused("foreign_number_format", "foreign_number")
    return digits


def clean_email(value: Any) -> str | None:
    email = str(value or "").strip()
    if not email:
        return None
    if len(email) > 254 or not _EMAIL.match(email):
        raise Refused("email_format", "email")
    return email


def clean_phone(value: Any) -> str | None:
    phone = " ".join(str(value or "").split())
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if not _PHONE_CHARS.match(phone) or not 6 <= len(digits) <= 20:
        raise Refused("phone_format", "phone")
    return phone


_CLEANERS = {
    "display_name": clean_name,
    "language": clean_language,
    "foreign_number": clean_foreign_number,
    "email": clean_email,
    "phone": clean_phone,
}


def clean_profile(args: dict[str, Any]) -> dict[str, Any]:
    """Validate the profile fields present in `args`; unknown keys are refused."""
    unknown = set(args) - set(PROFILE_FIELDS)
    if unknown:
        raise Refused("invalid", sorted(unknown)[0])
    for name, value in args.items():
        if value is not None and not isinstance(value, str):
            raise Refused("invalid", name)  # text only: never a list's repr
    return {name: _CLEANERS[name](value) for name, value in args.items()}


def update_profile(
    conn: sqlite3.Connection, account_id: str, args: dict[str, Any], version: int
) -> dict[str, Any]:
    changes = clean_profile(args)
    if not changes:
        return {}
    assignments = ", ".join(f"{name} = ?" for name in changes)
    conn.execute(
        f"UPDATE accounts SET {assignments}, version = ? WHERE id = ?",
        (*changes.values(), version, account_id),
    )
    return changes


# -- commands --------------------------------------------------------------


def handle_update(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`account.update`: change one's own profile (any subset of PROFILE_FIELDS)."""
    actor = ctx.actor
    if not actor.signed_in or actor.account_id is None:
        raise Refused("forbidden")
    account_id = text(args, "account_id", actor.account_id)
    args.pop("account_id", None)
    if not policy.may_act_on_account(actor, account_id):
        raise Refused("forbidden")
    changes = update_profile(ctx.conn, account_id, args, ctx.version)
    return {"changed": sorted(changes)}


HANDLERS = {"account.update": handle_update}
