"""The schema, as ordered, named migration steps.

Each step runs once, in a transaction with the record of it having run
(sqlite-utils keeps that record in `_sqlite_migrations`). Running them again is
a no-op; a database made by an older version gets only the steps it lacks.
Never edit a step that has shipped: add the next one.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import sqlite_utils
from sqlite_utils.migrations import Migrations

from sync import log as sync_log
from sync import uploads as sync_uploads
from sync.protocol import CLOCK_SKEW

from . import search_words
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
def m006_sync_epoch(db: sqlite_utils.Database) -> None:
    """The database's epoch and the count of pushed commits (docs/adr/0008), and
    command ids scoped by actor (the log's key becomes (actor, id)). Fields a phone
    dated in the future had frozen (last writer wins by `at`) count from now on."""
    sync_log.add_epochs(db.conn)
    now = datetime.now(UTC)
    db.conn.execute(
        "UPDATE file_fields SET at = ? WHERE at > ?",
        (now.isoformat(timespec="seconds"), (now + CLOCK_SKEW).isoformat(timespec="seconds")),
    )


@migrations()
def m007_upload_state(db: sqlite_utils.Database) -> None:
    """When bytes were last added to a resumable upload: one untouched for 30 days
    is given up (tus expiration), freeing its bytes and the room it reserved
    against the person's storage cap (ADR 0009). Existing rows count from their
    creation."""
    db["uploads"].add_column(sync_uploads.TOUCHED_COLUMN, str)
    db["uploads"].create_index(["owner", "completed_at"])


@migrations()
def m008_session_passkey(db: sqlite_utils.Database) -> None:
    """Which passkey opened each session, so removing a passkey ends them.
    Sessions opened before this step have none: they end only one by one."""
    db["sessions"].add_column("passkey_id", str)
    db["sessions"].create_index(["account_id", "passkey_id"])


@migrations()
def m009_audit_and_review(db: sqlite_utils.Database) -> None:
    """The prefecture's side: audit trail, agents' visits, accepted pieces, inbox search.

    - audit: every access of staff to a file or a piece, and every staff command,
      one row each, never updated; each row's digest chains it to the previous
      one (tamper evidence: see docs/adr/0011).
    - file_visits: per agent and file, the version of the sync clock when the
      agent last opened it ("what changed since I last looked").
    - piece_reviews: a piece an agent accepted (with an optional note).
    - file_search (FTS5) with file_search_docs (file id → its row there): the
      inbox finds a file by number, names and foreign-national number.
    - inbox_counts: files per prefecture and state, kept by triggers on `files`
      (a later step that rebuilds `files` must create them again).
    - files_inbox: the inbox's order (right to stay lapsing first, unknown
      dates last, then the oldest submission) as an index, for keyset pages.
    """
    db["audit"].create(
        {
            "id": int,
            "at": str,
            "actor_id": str,
            "actor_role": str,
            "departement": str,  # the file's prefecture, else the actor's
            "file_id": str,
            "attachment_id": str,
            "action": str,  # the command's op (file.view for an access)
            "outcome": str,  # applied | refused:<code>
            "command_id": str,
            "detail": str,  # JSON: ids and names, never what a person wrote
            "digest": str,  # sha256(previous digest + this row), hex
        },
        pk="id",
        not_null={"at", "action", "outcome", "digest"},
    )
    db["audit"].create_index(["departement", "id"])
    db["audit"].create_index(["file_id", "id"])
    db["audit"].create_index(["actor_id", "id"])
    db["audit"].create_index(["at"])

    db["file_visits"].create(
        {"account_id": str, "file_id": str, "seen_version": int, "seen_at": str},
        pk=("account_id", "file_id"),
        not_null={"seen_version", "seen_at"},
    )

    db["piece_reviews"].create(
        {
            "file_id": str,
            "piece": str,
            "state": str,  # accepted
            "note": str,
            "by_id": str,
            "at": str,
            "command_id": str,
            "version": int,
        },
        pk=("file_id", "piece"),
        foreign_keys=[("file_id", "files", "id")],
        not_null={"state", "at", "version"},
    )
    db["piece_reviews"].create_index(["version"])

    conn = db.conn
    conn.execute(
        "CREATE VIRTUAL TABLE file_search USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute("CREATE TABLE file_search_docs (file_id TEXT PRIMARY KEY, doc INTEGER NOT NULL UNIQUE)")
    conn.execute(
        "CREATE INDEX files_inbox ON files"
        " (departement, coalesce(right_until, '9999-12-31'), submitted_at, id, status)"
    )
    # Counts per state, kept by triggers: the inbox shows them on every page,
    # and counting 200,000 index entries each time costs tens of milliseconds.
    conn.execute(
        "CREATE TABLE inbox_counts (departement TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (departement, status))"
    )
    conn.execute(
        "INSERT INTO inbox_counts (departement, status, n) SELECT departement, status, count(*) FROM files"
        " WHERE submitted_at IS NOT NULL AND departement IS NOT NULL GROUP BY departement, status"
    )
    add = (
        "INSERT INTO inbox_counts (departement, status, n) SELECT new.departement, new.status, 1"
        " WHERE new.submitted_at IS NOT NULL AND new.departement IS NOT NULL"
        " ON CONFLICT (departement, status) DO UPDATE SET n = n + 1;"
    )
    take = (
        "UPDATE inbox_counts SET n = n - 1 WHERE old.submitted_at IS NOT NULL"
        " AND departement = old.departement AND status = old.status;"
    )
    conn.execute(f"CREATE TRIGGER files_count_insert AFTER INSERT ON files BEGIN {add} END")
    conn.execute(
        f"CREATE TRIGGER files_count_update AFTER UPDATE OF status, departement, submitted_at ON files"
        f" BEGIN {take} {add} END"
    )
    conn.execute(f"CREATE TRIGGER files_count_delete AFTER DELETE ON files BEGIN {take} END")
    # Files made before this step: their right-to-stay date and search entry
    # (the same rules as `server/domain/files.py` `right_until` / `search_text`).
    conn.execute(
        "UPDATE files SET right_until = (SELECT value FROM file_fields WHERE file_id = files.id"
        " AND name = 'current_permit_expiry' AND date(value) = value"
        " AND value BETWEEN '1900-01-01' AND '2100-12-31')"
    )

    def field(name: str) -> str:
        return f"coalesce((SELECT value FROM file_fields WHERE file_id = f.id AND name = '{name}'), '')"

    foreign = f"replace(replace(replace(replace({field('foreign_number')}, ' ', ''), '.', ''), '-', ''), char(9), '')"
    conn.execute(
        "INSERT INTO file_search (rowid, text) SELECT f.rowid, trim(f.number || ' ' || "
        f"{field('family_name')} || ' ' || {field('given_names')} || ' ' || {foreign}) FROM files f"
    )
    conn.execute("INSERT INTO file_search_docs (file_id, doc) SELECT id, rowid FROM files")


@migrations()
def m010_complements_and_decisions(db: sqlite_utils.Database) -> None:
    """What an agent asks the person to provide again, item by item; the
    prefecture's decisions, each with its reason, legal basis and appeal routes;
    per-prefecture settings (how long a complement may take).

    - complement_items.status: asked → answered (the person added a piece or
      changed the field) → accepted (an agent saw it), or closed (withdrawn by
      an agent, asked again, or the file was decided);
    - decisions.motivation: what the letter says, frozen when the decision is
      made (reason texts in fr/en/ar, legal basis, appeal routes): a later
      change of the reasons list never rewrites a decision;
    - decisions.corrects: the decision this one corrects (both stay visible).
    """
    db["complement_items"].create(
        {
            "id": str,
            "request_id": str,  # items asked together share it
            "file_id": str,
            "kind": str,  # piece | field
            "target": str,  # catalogue piece id, or field name
            "reason": str,  # why, written by the agent
            "due": str,  # YYYY-MM-DD
            "status": str,  # asked | answered | accepted | closed
            "asked_at": str,
            "asked_by": str,
            "answered_at": str,
            "closed_at": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("file_id", "files", "id")],
        not_null={
            "request_id",
            "file_id",
            "kind",
            "target",
            "reason",
            "due",
            "status",
            "asked_at",
            "version",
        },
    )
    db["complement_items"].create_index(["file_id", "status"])
    db["complement_items"].create_index(["version"])

    db["decisions"].create(
        {
            "id": str,
            "file_id": str,
            "outcome": str,  # granted | refused | closed | inadmissible
            "reason": str,  # id in server/data/decisions.json
            "details": str,  # free text by the agent
            "motivation": str,  # JSON, frozen at decision time
            "decided_at": str,
            "decided_by": str,
            "departement": str,
            "corrects": str,  # id of the decision this one corrects
            "command_id": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("file_id", "files", "id")],
        not_null={"file_id", "outcome", "reason", "motivation", "decided_at", "version"},
    )
    db["decisions"].create_index(["file_id", "decided_at"])
    db["decisions"].create_index(["version"])

    db["prefecture_settings"].create(
        {"departement": str, "complement_days": int, "updated_at": str, "updated_by": str, "version": int},
        pk="departement",
        not_null={"complement_days", "updated_at", "version"},
    )


@migrations()
def m011_attestations(db: sqlite_utils.Database) -> None:
    """Attestations a person shows while the prefecture decides (ADR 0015).

    - attestations.kind: submission (proof of submission, at once) | provisional
      (attestation de prolongation d'instruction: the right to stay continues);
    - status: valid | replaced (a renewal superseded it; still good until its
      date) | ended (a decision, the card handed over) | revoked (file withdrawn);
    - claims: what the signed QR code says, frozen when issued (JSON, the
      integer claim keys as strings); qr: its signed text, made when issued
      with the prefecture's key of the day (old keys keep verifying);
    - until_card: the file was granted: renewed until the card is handed over;
    - files.completed_at / completed_by: an agent marked the file complete;
    - prefecture_settings.provisional_days: after how many days without a
      pending complement the provisional attestation comes by itself.
    """
    db["attestations"].create(
        {
            "id": str,  # the short code printed on it (Crockford base32)
            "file_id": str,
            "person_id": str,
            "departement": str,
            "kind": str,
            "basis": str,  # submitted | marked_complete | automatic | renewal
            "issued_at": str,
            "valid_until": str,  # YYYY-MM-DD, NULL for a proof of submission
            "status": str,
            "until_card": int,
            "ended_at": str,
            "end_reason": str,  # renewed | refused | closed | inadmissible | withdrawn | card_handed_over
            "replaces": str,
            "photo_id": str,  # the attachment of the identity photo, if one was given
            "claims": str,
            "qr": str,  # the signed text of the QR code (SES1:…, ADR 0014), signed when issued
            "command_id": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("file_id", "files", "id")],
        not_null={
            "file_id",
            "person_id",
            "kind",
            "basis",
            "issued_at",
            "status",
            "until_card",
            "claims",
            "version",
        },
    )
    db["attestations"].create_index(["file_id", "issued_at"])
    db["attestations"].create_index(["status", "kind", "valid_until"])
    db["attestations"].create_index(["version"])
    db["files"].add_column("completed_at", str)
    db["files"].add_column("completed_by", str)
    db["prefecture_settings"].add_column("provisional_days", int)


@migrations()
def m013_blockages_and_paper(db: sqlite_utils.Database) -> None:
    """ "I'm blocked" reports and their answers, users' voice, paper files and
    the claim codes of accounts held for people who have no passkey yet.

    - blockages: one report; `account_id` is None for an anonymous person (they
      reach it by its number and a keyed secret in the link, never stored);
      `due`: the prefecture's answer date (prefecture_settings.report_days);
    - blockage_answers: message | appointment | paper, by an agent;
    - voice: anonymised on purpose: no account, no report id, only the
      prefecture, the kind of context and the month;
    - claim_codes: HMAC of a one-time code (as recovery codes), single use,
      with an expiry; `purpose` names who issued it (paper, later outreach);
    - accounts.held_since: an account created for someone by an agent; it has
      no passkey, so nobody can sign in to it until it is claimed.
    """
    db["blockages"].create(
        {
            "id": str,  # the client-made UUID (the command id too)
            "number": str,  # readable: B-2026-000042
            "kind": str,  # account | signin | step | upload | no_answer | other
            "details": str,
            "weeks": int,  # for no_answer: how long without an answer
            "departement": str,
            "contact": str,  # a way to reach them (phone, e-mail, address), optional
            "language": str,
            "account_id": str,  # None: anonymous
            "created_at": str,
            "due": str,  # YYYY-MM-DD
            "status": str,  # open | answered
            "answered_at": str,
            "version": int,
        },
        pk="id",
        not_null={"number", "kind", "language", "created_at", "due", "status", "version"},
    )
    db["blockages"].create_index(["number"], unique=True)
    db["blockages"].create_index(["departement", "status", "due"])
    db["blockages"].create_index(["account_id"])
    db["blockages"].create_index(["version"])
    db["blockage_answers"].create(
        {
            "id": str,
            "blockage_id": str,
            "kind": str,  # message | appointment | paper
            "body": str,
            "at": str,
            "by": str,  # the agent (shown to the person as "the prefecture")
            "version": int,
        },
        pk="id",
        foreign_keys=[("blockage_id", "blockages", "id")],
        not_null={"blockage_id", "kind", "body", "at", "version"},
    )
    db["blockage_answers"].create_index(["blockage_id", "at"])
    db["voice"].create(
        {
            "id": int,
            "departement": str,
            "context": str,  # blockage | appointment | decision
            "month": str,  # YYYY-MM
            "clear": str,  # yes | partly | no | None
            "text": str,
            "version": int,
        },
        pk="id",
        not_null={"context", "month", "version"},
    )
    db["voice"].create_index(["departement", "month"])
    db["claim_codes"].create(
        {
            "id": int,
            "account_id": str,
            "code_hash": str,
            "purpose": str,  # paper | outreach
            "created_by": str,
            "created_at": str,
            "expires_at": str,
            "spent_at": str,
        },
        pk="id",
        foreign_keys=[("account_id", "accounts", "id")],
        not_null={"account_id", "code_hash", "purpose", "created_at", "expires_at"},
    )
    db["claim_codes"].create_index(["code_hash"], unique=True)
    db["claim_codes"].create_index(["account_id"])
    db["accounts"].add_column("held_since", str)
    db["accounts"].add_column("claimed_at", str)
    db["prefecture_settings"].add_column("report_days", int)


@migrations()
def m014_appointments_and_information(db: sqlite_utils.Database) -> None:
    """Counters and their appointments, cards, and each prefecture's information page.

    - desks: a prefecture's counters (a reception desk, not `counters`, which
      numbers files), with the kinds of appointment each serves, the length of
      a slot and how many people a slot takes; `desk_hours` per weekday and
      `desk_closures` per date. Slots are computed from these, never stored
      (docs/adr/0017).
    - appointments: one row per booking; `seat` is its place in the slot
      (0 ≤ seat < capacity) and a partial UNIQUE index on (desk, start, seat)
      among live bookings makes an overbooked slot impossible in the database.
    - cards: a granted file's residence card, ready at the prefecture, then
      handed over.
    - prefecture_info: the text of each block of a prefecture's information
      page, per language, dated.
    """
    db["desks"].create(
        {
            "id": str,
            "departement": str,
            "name": str,
            "address": str,
            "kinds": str,  # JSON list: card_pickup | help_desk | substitution
            "slot_minutes": int,
            "capacity": int,
            "horizon_days": int,  # how far ahead slots are open for booking
            "created_at": str,
            "updated_at": str,
            "updated_by": str,
            "closed_at": str,  # a counter no longer in use (kept: bookings name it)
            "version": int,
        },
        pk="id",
        not_null={
            "departement",
            "name",
            "address",
            "kinds",
            "slot_minutes",
            "capacity",
            "horizon_days",
            "created_at",
            "updated_at",
            "version",
        },
    )
    db["desks"].create_index(["departement"])
    db["desk_hours"].create(
        {"desk_id": str, "weekday": int, "opens": str, "closes": str},
        pk=("desk_id", "weekday", "opens"),
        foreign_keys=[("desk_id", "desks", "id")],
        not_null={"closes"},
    )
    db["desk_closures"].create(
        {"desk_id": str, "day": str, "reason": str},
        pk=("desk_id", "day"),
        foreign_keys=[("desk_id", "desks", "id")],
    )
    db["appointments"].create(
        {
            "id": str,
            "file_id": str,
            "person_id": str,
            "desk_id": str,
            "kind": str,
            "starts_at": str,  # local time at the prefecture (Europe/Paris), YYYY-MM-DDTHH:MM
            "ends_at": str,
            "seat": int,
            "status": str,  # booked | moved | cancelled
            "booked_at": str,
            "ended_at": str,  # when it was moved or cancelled
            "command_id": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("file_id", "files", "id"), ("desk_id", "desks", "id")],
        not_null={
            "file_id",
            "person_id",
            "desk_id",
            "kind",
            "starts_at",
            "ends_at",
            "seat",
            "status",
            "booked_at",
            "version",
        },
    )
    db["appointments"].create_index(["file_id", "status"])
    db["appointments"].create_index(["version"])
    db.conn.execute(
        "CREATE UNIQUE INDEX appointments_seat ON appointments (desk_id, starts_at, seat)"
        " WHERE status = 'booked'"
    )
    db["cards"].create(
        {
            "file_id": str,
            "departement": str,
            "status": str,  # ready | handed_over
            "ready_at": str,
            "ready_by": str,
            "handed_over_at": str,
            "handed_over_by": str,
            "submitted_at": str,  # the file's, copied: the figures read cards alone
            "version": int,
        },
        pk="file_id",
        foreign_keys=[("file_id", "files", "id")],
        not_null={"departement", "status", "ready_at", "version"},
    )
    db["cards"].create_index(["departement", "status"])
    db["cards"].create_index(["version"])
    # Service figures (server/domain/figures.py): durations read from covering
    # indexes over a time window; complements awaited found by state.
    for step in ("locked_at", "decided_at"):
        db.conn.execute(f"CREATE INDEX files_{step}_figures ON files ({step}, submitted_at, departement)")
        db.conn.execute(f"CREATE INDEX files_{step}_prefecture ON files (departement, {step}, submitted_at)")
    db.conn.execute(
        "CREATE INDEX files_complements_figures ON files (complement_state, departement, complement_due)"
    )
    db.conn.execute("CREATE INDEX cards_figures ON cards (handed_over_at, departement, submitted_at)")
    db["prefecture_info"].create(
        {
            "departement": str,
            "block": str,
            "lang": str,
            "body": str,
            "updated_at": str,
            "updated_by": str,
            "version": int,
        },
        pk=("departement", "block", "lang"),
        not_null={"body", "updated_at", "version"},
    )


@migrations()
def m016_blob_store(db: sqlite_utils.Database) -> None:
    """National scale (issue 13, docs/scale.md). The inbox search ran its
    full-text query over the whole country: a name and a given name (one file in
    400) matched thousands of files elsewhere, and the Paris inbox walked tens of
    thousands of its files to fill a page (1.1 s at 1.5 million files). The
    full-text index gets a second column, the file's prefecture as one token
    (`dep75`), kept by a trigger whatever changes the département, so a search
    only ever reads the hits of its own prefecture. And a partial index for the
    files whose complement was answered."""
    conn = db.conn
    conn.execute(
        "CREATE VIRTUAL TABLE file_search_scoped USING fts5(text, dep,"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute(
        "INSERT INTO file_search_scoped (rowid, text, dep) SELECT s.rowid, s.text, 'dep' || lower(f.departement)"
        " FROM file_search s JOIN file_search_docs d ON d.doc = s.rowid JOIN files f ON f.id = d.file_id"
    )
    conn.execute("DROP TABLE file_search")
    conn.execute("ALTER TABLE file_search_scoped RENAME TO file_search")
    conn.execute(
        "CREATE TRIGGER files_search_departement AFTER UPDATE OF departement ON files"
        " WHEN new.departement IS NOT old.departement BEGIN"
        " UPDATE file_search SET dep = 'dep' || lower(new.departement)"
        " WHERE rowid = (SELECT doc FROM file_search_docs WHERE file_id = new.id); END"
    )
    # "Complement answered" walked the whole inbox index reading each row's state
    # (2 % of open files match: 40 ms in Paris). Only those files, in inbox order.
    conn.execute(
        "CREATE INDEX files_answered ON files"
        " (departement, coalesce(right_until, '9999-12-31'), submitted_at, id, status)"
        " WHERE complement_state = 'answered'"
    )


@migrations()
def m017_organisations_and_mandates(db: sqlite_utils.Database) -> None:
    """Outreach workers (issue 12, docs/adr/0020). An organisation (association,
    shelter) is approved by an administrator; its workers are accounts with the
    role 'worker' and the organisation's id (one of them its administrator). A
    person grants a mandate to an organisation: for all their files or one,
    to act or only to view, until a date; from their phone, or on paper (the
    worker records it with the scan of the signed form). Revoking sets
    `revoked_at`: nothing is ever deleted. Timeline rows written by a worker
    name the organisation and the mandate the worker acted under."""
    db["organisations"].create(
        {
            "id": str,
            "name": str,
            "kind": str,  # association | shelter | other
            "departement": str,
            "status": str,  # pending | approved | suspended
            "contact_name": str,
            "contact_email": str,
            "contact_phone": str,
            "code": str,  # the short code a worker shows a person granting a mandate
            "created_at": str,
            "approved_by": str,
            "approved_at": str,
            "suspended_at": str,
            "version": int,
        },
        pk="id",
        not_null={"name", "kind", "departement", "status", "code", "created_at", "version"},
    )
    db["organisations"].create_index(["code"], unique=True)
    db["organisations"].create_index(["status", "departement"])
    db["accounts"].add_column("organisation", str)
    db["accounts"].add_column("organisation_admin", int, not_null_default=0)
    db["accounts"].create_index(["organisation"])
    # A worker is invited like an agent (one-time passkey enrolment link).
    db["invitations"].add_column("organisation", str)
    db["invitations"].add_column("organisation_admin", int, not_null_default=0)
    db["mandates"].create(
        {
            "id": str,
            "person_id": str,
            "organisation_id": str,
            "file_id": str,  # NULL: all the person's files
            "can_act": int,  # 1: act; 0: view only
            "granted_at": str,
            "expires_at": str,
            "granted_by": str,  # actor key: the person, or the worker who recorded a paper mandate
            "paper_blob": str,  # sha256 of the signed paper form's scan
            "revoked_at": str,
            "revoked_by": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("person_id", "accounts", "id"), ("organisation_id", "organisations", "id")],
        not_null={
            "person_id",
            "organisation_id",
            "can_act",
            "granted_at",
            "expires_at",
            "granted_by",
            "version",
        },
    )
    db["mandates"].create_index(["organisation_id", "person_id"])
    db["mandates"].create_index(["person_id"])
    db["mandates"].create_index(["version"])
    db["timeline"].add_column("organisation_id", str)
    db["timeline"].add_column("mandate_id", str)


@migrations()
def m019_notifications(db: sqlite_utils.Database) -> None:
    """Reaching people (issue 14, ADR 0023).

    - notify_preferences: one row per account that changed the defaults
      (channels push | email | sms | organisation, discreet, quiet hours);
    - notify_reminders: what is to be said, and when (`due_at`), derived from
      the timeline; `id` is derived from what caused it, so deriving again
      (a restart, a restored database) adds nothing; state pending → grouped
      (into a notice) | cancelled (moot: the complement was answered, the
      appointment moved);
    - notify_sends: one notice (a digest of the reminders due together) on one
      channel; `id` is the idempotency key handed to the service; state
      pending → sending (claimed, with `lease_until`) → sent | failed (gave up
      after the last attempt) | dropped (nothing to reach on that channel);
    - notify_log: every attempt, per address or device: channel, when,
      delivered or not, the error code. Never the content, never the address;
    - notify_cursor: how far the scheduler has read the timeline.
    """
    db["notify_preferences"].create(
        {
            "account_id": str,
            "push": int,
            "email": int,
            "sms": int,
            "organisation": int,
            "discreet": int,
            "quiet_start": str,  # HH:MM local time, NULL: no quiet hours
            "quiet_end": str,
            "timezone": str,
            "updated_at": str,
            "version": int,
        },
        pk="account_id",
        foreign_keys=[("account_id", "accounts", "id")],
        not_null={"push", "email", "sms", "organisation", "discreet", "timezone", "updated_at", "version"},
    )
    db["notify_reminders"].create(
        {
            "id": str,
            "account_id": str,
            "topic": str,  # complement_asked, complement_due, decision, … (server/notify/texts.py)
            "ref": str,  # what it is about: a complement request, an attestation, an appointment…
            "file_id": str,
            "event_id": int,  # the timeline row that caused it
            "due_at": str,
            "state": str,  # pending | grouped | cancelled
            "notice_id": str,
            "created_at": str,
            "settled_at": str,
        },
        pk="id",
        not_null={"account_id", "topic", "ref", "due_at", "state", "created_at"},
    )
    db["notify_reminders"].create_index(["state", "due_at"])
    db["notify_reminders"].create_index(["account_id", "state"])
    db["notify_reminders"].create_index(["ref", "state"])
    db["notify_sends"].create(
        {
            "id": str,
            "notice_id": str,
            "account_id": str,
            "channel": str,
            "topics": str,  # JSON list of the reminders' topics (what the text says)
            "path": str,
            "state": str,  # pending | sending | sent | failed | dropped
            "attempts": int,
            "next_at": str,
            "lease_until": str,
            "error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        not_null={
            "notice_id",
            "account_id",
            "channel",
            "topics",
            "path",
            "state",
            "attempts",
            "next_at",
            "created_at",
        },
    )
    db["notify_sends"].create_index(["state", "next_at"])
    db["notify_sends"].create_index(["account_id", "created_at"])
    db["notify_log"].create(
        {
            "id": int,
            "send_id": str,
            "account_id": str,
            "channel": str,
            "channel_id": str,
            "at": str,
            "attempt": int,
            "delivered": int,
            "error": str,
        },
        pk="id",
        not_null={"send_id", "account_id", "channel", "channel_id", "at", "attempt", "delivered"},
    )
    db["notify_log"].create_index(["account_id", "at"])
    db["notify_log"].create_index(["send_id"])
    db["notify_cursor"].create(
        {"name": str, "position": int, "updated_at": str}, pk="name", not_null={"position", "updated_at"}
    )
    # Reminders start with the events that come after this version: what
    # happened before was seen when the person last opened the app.
    db.conn.execute(
        "INSERT INTO notify_cursor (name, position, updated_at)"
        " SELECT 'timeline', coalesce(max(id), 0), ? FROM timeline",
        (datetime.now(UTC).isoformat(timespec="seconds"),),
    )


@migrations()
def m020_push_subscriptions(db: sqlite_utils.Database) -> None:
    """Web Push (issue 14, ADR 0024): one row per browser that agreed to be
    reached, kept after it is removed (removed_at, and why) so the account page
    can say that a phone stopped receiving, and why. An endpoint belongs to one
    account at a time: the partial unique index holds the live ones."""
    db["push_subscriptions"].create(
        {
            "id": str,
            "account_id": str,
            "endpoint": str,
            "p256dh": str,
            "auth": str,
            "label": str,
            "created_at": str,
            "last_success_at": str,
            "last_failure_at": str,
            "removed_at": str,
            "removed_reason": str,
            "version": int,
        },
        pk="id",
        not_null={"account_id", "endpoint", "p256dh", "auth", "label", "created_at", "version"},
        foreign_keys=[("account_id", "accounts", "id")],
    )
    conn = db.conn
    conn.execute(
        "CREATE UNIQUE INDEX push_subscriptions_live ON push_subscriptions (endpoint) WHERE removed_at IS NULL"
    )
    conn.execute("CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id, removed_at)")


@migrations()
def m026_blob_pages(db: sqlite_utils.Database) -> None:
    """How many pages a PDF blob has, counted when its upload completes
    (ADR 0026): the documents page says "2 fichiers, 3 pages". NULL for images
    (one page each), and for blobs kept before this step (not read again)."""
    db["blobs"].add_column("pages", int)


@migrations()
def m027_search_words_scoped(db: sqlite_utils.Database) -> None:
    """National scale (issue 13, docs/scale.md). m016 scoped the search with a
    second column, the prefecture as one token (`dep75`): a search for a common
    name in Paris still read the name's hits across the country and the list of
    every Paris file, to intersect them (15 ms of the 35 ms p95 at 3 million
    files; 80 ms p95 for the whole search page). Each word now carries its
    prefecture (`75xbenali`, server/store/search_words.py), so a search reads
    only its own prefecture's hits of that word. A change of département
    rewrites the prefixes (a trigger: the words are single-space separated)."""
    conn = db.conn
    conn.create_function("scoped_words", 2, search_words.scoped, deterministic=True)
    conn.execute(
        "CREATE VIRTUAL TABLE file_search_words USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')"
    )
    # The old text is the number, names and foreign number, space-separated.
    conn.execute(
        "INSERT INTO file_search_words (rowid, text) SELECT s.rowid, scoped_words(f.departement, s.text)"
        " FROM file_search s JOIN file_search_docs d ON d.doc = s.rowid JOIN files f ON f.id = d.file_id"
    )
    conn.execute("DROP TRIGGER files_search_departement")
    conn.execute("DROP TABLE file_search")
    conn.execute("ALTER TABLE file_search_words RENAME TO file_search")
    old, new = (
        f"' ' || coalesce(lower({row}.departement), '{search_words.UNPLACED}') || 'x'"
        for row in ("old", "new")
    )
    conn.execute(
        "CREATE TRIGGER files_search_departement AFTER UPDATE OF departement ON files"
        " WHEN new.departement IS NOT old.departement BEGIN"
        f" UPDATE file_search SET text = substr(replace(' ' || text, {old}, {new}), 2)"
        " WHERE rowid = (SELECT doc FROM file_search_docs WHERE file_id = new.id); END"
    )


@migrations()
def m028_contact_confirmation(db: sqlite_utils.Database) -> None:
    """Nothing goes to an e-mail address or a phone number before the person
    typed back a code sent there (ADR 0029): a typo must not send news to a
    stranger. `email_confirmed` / `phone_confirmed` hold the address that was
    confirmed, so a new address is unconfirmed by itself, whatever changed it.
    Addresses given before this step count as confirmed: they were already
    receiving messages, and stopping them silently would cost people news.
    `contact_codes`: the one live code per account and channel (its HMAC, never
    the code), for the address it was sent to, with the wrong attempts."""
    db["accounts"].add_column("email_confirmed", str)
    db["accounts"].add_column("phone_confirmed", str)
    db.conn.execute(
        "UPDATE accounts SET email_confirmed = nullif(email, ''), phone_confirmed = nullif(phone, '')"
    )
    db["contact_codes"].create(
        {
            "account_id": str,
            "channel": str,  # email | sms
            "address": str,
            "code_hash": str,
            "expires_at": str,
            "attempts": int,
            "created_at": str,
        },
        pk=("account_id", "channel"),
        not_null={"address", "code_hash", "expires_at", "attempts", "created_at"},
        foreign_keys=[("account_id", "accounts", "id")],
    )


def migrate(database: Database) -> list[str]:
    """Apply pending steps; return the names applied (empty when up to date)."""
    with database.exclusive() as conn:
        db = sqlite_utils.Database(conn)
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return pending


def applied(conn: sqlite3.Connection) -> list[str]:
    return [m.name for m in migrations.applied(sqlite_utils.Database(conn))]
