"""The schema, as ordered, named migration steps.

Each step runs once, in a transaction with the record of it having run
(sqlite-utils keeps that record in `_sqlite_migrations`). Running them again is
a no-op; a database made by an older version gets only the steps it lacks.
Never edit a step that has shipped: add the next one.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils
from sqlite_utils.migrations import Migrations

from sync import log as sync_log

from .db import Database

migrations = Migrations("sesame")


@migrations()
def m001_accounts(db: sqlite_utils.Database) -> None:
    db["accounts"].create(
        {
            "id": str,
            "user_handle": bytes,  # the WebAuthn user.id: random, never personal data
            "display_name": str,
            "language": str,
            "role": str,  # applicant | agent | admin
            "prefecture": str,  # for agents and admins; None = national administrator
            "foreign_number": str,
            "email": str,
            "phone": str,
            "created_at": str,
            "version": int,
        },
        pk="id",
        not_null={"user_handle", "display_name", "language", "role", "created_at", "version"},
    )
    db["accounts"].create_index(["user_handle"], unique=True)
    db["accounts"].create_index(["version"])

    db["passkeys"].create(
        {
            "id": str,  # credential id, base64url
            "account_id": str,
            "public_key": bytes,
            "sign_count": int,
            "transports": str,  # JSON list
            "device_type": str,  # single_device | multi_device
            "backed_up": int,
            "aaguid": str,
            "label": str,
            "created_at": str,
            "last_used_at": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("account_id", "accounts", "id")],
        not_null={"account_id", "public_key", "sign_count", "label", "created_at", "version"},
    )
    db["passkeys"].create_index(["account_id"])

    db["recovery_codes"].create(
        {
            "id": int,
            "account_id": str,
            "code_hash": str,  # HMAC-SHA256(secret key, normalised code)
            "set_id": str,
            "created_at": str,
            "spent_at": str,
        },
        pk="id",
        foreign_keys=[("account_id", "accounts", "id")],
        not_null={"account_id", "code_hash", "set_id", "created_at"},
    )
    db["recovery_codes"].create_index(["code_hash"], unique=True)
    db["recovery_codes"].create_index(["account_id"])

    db["sessions"].create(
        {
            "id": str,  # SHA-256 of the cookie's token: a stolen database gives no session
            "account_id": str,
            "created_at": str,
            "last_seen_at": str,
            "expires_at": str,
            "sliding": int,
            "user_agent": str,
            "ip": str,
            "revoked_at": str,
        },
        pk="id",
        foreign_keys=[("account_id", "accounts", "id")],
        not_null={"account_id", "created_at", "last_seen_at", "expires_at", "sliding"},
    )
    db["sessions"].create_index(["account_id"])

    db["challenges"].create(
        {
            "id": str,
            "purpose": str,  # signup | signin | add_passkey | recover | enrol
            "challenge": bytes,
            "account_id": str,
            "data": str,  # JSON: what the ceremony needs at its end
            "created_at": str,
            "expires_at": str,
        },
        pk="id",
        not_null={"purpose", "challenge", "created_at", "expires_at"},
    )

    db["invitations"].create(
        {
            "id": str,  # SHA-256 of the link's token
            "role": str,  # agent | admin
            "prefecture": str,
            "name": str,
            "created_by": str,  # account id, or "cli"
            "created_at": str,
            "expires_at": str,
            "used_at": str,
            "used_by": str,
        },
        pk="id",
        not_null={"role", "created_by", "created_at", "expires_at"},
    )

    db["auth_events"].create(
        {
            "id": int,
            "at": str,
            "account_id": str,
            "kind": str,
            "ip": str,
            "detail": str,
        },
        pk="id",
        not_null={"at", "kind"},
    )
    db["auth_events"].create_index(["account_id", "at"])


@migrations()
def m002_sync(db: sqlite_utils.Database) -> None:
    sync_log.create_tables(db.conn)


def migrate(database: Database) -> list[str]:
    """Apply pending steps; return the names applied (empty when up to date)."""
    with database.exclusive() as conn:
        db = sqlite_utils.Database(conn)
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return pending


def applied(conn: sqlite3.Connection) -> list[str]:
    return [m.name for m in migrations.applied(sqlite_utils.Database(conn))]
