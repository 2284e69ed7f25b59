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
from sync import uploads as sync_uploads

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


@migrations()
def m003_files(db: sqlite_utils.Database) -> None:
    """Applicant files: several at once per person, fields, pieces, timeline, messages."""
    db["counters"].create({"name": str, "value": int}, pk="name", not_null={"value"})
    db["files"].create(
        {
            "id": str,  # a UUID, made by the phone or the server
            "number": str,  # readable: 2026-000042
            "owner_id": str,  # the applicant
            "procedure": str,  # catalogue procedure id
            "grounds": str,  # JSON list of catalogue ground ids
            "title": str,  # requested title id, or None
            "status": str,  # draft | submitted | locked | decided | withdrawn
            "departement": str,  # competent prefecture (département code)
            "catalogue_version": str,
            "created_by": str,
            "created_at": str,
            "updated_at": str,
            "submitted_at": str,
            "locked_at": str,
            "decided_at": str,
            "withdrawn_at": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("owner_id", "accounts", "id")],
        not_null={
            "number",
            "owner_id",
            "procedure",
            "grounds",
            "status",
            "created_at",
            "updated_at",
            "version",
        },
    )
    db["files"].create_index(["number"], unique=True)
    db["files"].create_index(["owner_id"])
    db["files"].create_index(["departement", "status"])
    db["files"].create_index(["version"])

    # One row per field: last writer wins per field (the newest `at` wins).
    db["file_fields"].create(
        {"file_id": str, "name": str, "value": str, "at": str, "command_id": str, "version": int},
        pk=("file_id", "name"),
        foreign_keys=[("file_id", "files", "id")],
        not_null={"at", "version"},
    )

    db["blobs"].create(
        {"sha256": str, "size": int, "media_type": str, "created_at": str},
        pk="sha256",
        not_null={"size", "media_type", "created_at"},
    )

    # Who may attach a blob: whoever uploaded its bytes. Blobs are shared by
    # content, so knowing a hash must never be enough to use someone's document.
    db["blob_grants"].create(
        {"sha256": str, "account_id": str, "created_at": str},
        pk=("sha256", "account_id"),
        foreign_keys=[("sha256", "blobs", "sha256")],
        not_null={"created_at"},
    )

    db["attachments"].create(
        {
            "id": str,
            "file_id": str,
            "piece": str,  # catalogue piece id
            "blob": str,
            "filename": str,
            "media_type": str,
            "size": int,
            "added_at": str,
            "added_by": str,
            "removed_at": str,  # kept, not deleted: the timeline refers to it
            "replaces": str,
            "after_submission": int,
            "version": int,
        },
        pk="id",
        foreign_keys=[("file_id", "files", "id"), ("blob", "blobs", "sha256")],
        not_null={"file_id", "piece", "blob", "filename", "media_type", "size", "added_at", "version"},
    )
    db["attachments"].create_index(["file_id", "piece"])

    db["messages"].create(
        {
            "id": str,
            "file_id": str,
            "author_id": str,
            "author_role": str,  # applicant | agent
            "body": str,
            "attachments": str,  # JSON list of {blob, filename, media_type, size}
            "sent_at": str,
            "read_at": str,  # when the other side read it
            "version": int,
        },
        pk="id",
        foreign_keys=[("file_id", "files", "id")],
        not_null={"file_id", "author_id", "author_role", "body", "sent_at", "version"},
    )
    db["messages"].create_index(["file_id", "sent_at"])

    db["timeline"].create(
        {
            "id": int,
            "file_id": str,
            "person_id": str,  # whose history this is (the applicant)
            "at": str,
            "actor_id": str,
            "actor_role": str,
            "kind": str,
            "data": str,
            "after_submission": int,
            "command_id": str,
            "version": int,
        },
        pk="id",
        not_null={"person_id", "at", "kind", "version"},
    )
    db["timeline"].create_index(["file_id", "at"])
    db["timeline"].create_index(["person_id", "at"])


@migrations()
def m004_uploads(db: sqlite_utils.Database) -> None:
    """Resumable (tus) uploads: their state survives a restart."""
    sync_uploads.create_tables(db.conn)


@migrations()
def m005_back_office_columns(db: sqlite_utils.Database) -> None:
    """Columns the prefecture's inbox sorts and filters on, kept on `files` so the
    inbox is one indexed query (no join per row):

    - right_until: the date the person's current proof of right to stay lapses
      (the permit's end, then the current provisional attestation's end);
    - locked_by: the agent holding the file for review;
    - complement_state: None, 'asked' (a complement is awaited) or 'answered'
      (the person answered; the agent has not looked since);
    - complement_due: the earliest due date of what is asked.
    """
    files = db["files"]
    files.add_column("right_until", str)
    files.add_column("locked_by", str)
    files.add_column("complement_state", str)
    files.add_column("complement_due", str)
    files.create_index(["departement", "status", "right_until", "submitted_at"])


@migrations()
def m007_upload_state(db: sqlite_utils.Database) -> None:
    """When bytes were last added to a resumable upload: one untouched for 30 days
    is given up (tus expiration), freeing its bytes and the room it reserved
    against the person's storage cap (ADR 0009). Existing rows count from their
    creation."""
    db["uploads"].add_column(sync_uploads.TOUCHED_COLUMN, str)
    db["uploads"].create_index(["owner", "completed_at"])


def migrate(database: Database) -> list[str]:
    """Apply pending steps; return the names applied (empty when up to date)."""
    with database.exclusive() as conn:
        db = sqlite_utils.Database(conn)
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return pending


def applied(conn: sqlite3.Connection) -> list[str]:
    return [m.name for m in migrations.applied(sqlite_utils.Database(conn))]
