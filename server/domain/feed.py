"""What each person may pull from the change feed (`sync/feed.py`), per kind of record.

An applicant gets their account and their files with everything in them; an
agent gets the submitted files of their prefecture. Nothing else, ever: the
visibility rule is in each query.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from server.auth.policy import Actor
from server.domain import blockages
from sync.feed import Source

Row = Mapping[str, Any]

MINE = "SELECT id FROM files WHERE owner_id = :me"


def _pick(*names: str) -> Any:
    return lambda row: {name: row[name] for name in names}


def _file(row: Row) -> dict[str, Any]:
    data = _pick(
        "number",
        "procedure",
        "title",
        "status",
        "departement",
        "created_at",
        "updated_at",
        "submitted_at",
        "locked_at",
        "decided_at",
        "withdrawn_at",
        "complement_state",
        "complement_due",
    )(row)
    return {**data, "grounds": json.loads(row["grounds"] or "[]")}


def _message(row: Row) -> dict[str, Any]:
    data = _pick("file_id", "author_role", "body", "sent_at", "read_at")(row)
    data["attachments"] = [a["filename"] for a in json.loads(row["attachments"] or "[]")]
    return data


def _event(row: Row) -> dict[str, Any]:
    data = _pick("file_id", "at", "kind", "actor_role")(row)
    return {
        **data,
        "data": json.loads(row["data"] or "{}"),
        "after_submission": bool(row["after_submission"]),
    }


def _decision(row: Row) -> dict[str, Any]:
    data = _pick("file_id", "outcome", "reason", "details", "decided_at", "corrects")(row)
    return {**data, "motivation": json.loads(row["motivation"])}


def _attestation(row: Row) -> dict[str, Any]:
    data = _pick(
        "file_id", "kind", "basis", "status", "issued_at", "valid_until", "ended_at", "end_reason", "replaces"
    )(row)
    return {**data, "until_card": bool(row["until_card"])}


def _sources(files_visible: str, with_account: bool) -> list[Source]:
    page = "AND version > :cursor ORDER BY version LIMIT :limit"
    sources = [
        Source("file", f"SELECT * FROM files WHERE id IN ({files_visible}) {page}", lambda r: r["id"], _file),
        Source(
            "field",
            f"SELECT * FROM file_fields WHERE file_id IN ({files_visible}) {page}",
            lambda r: f"{r['file_id']}/{r['name']}",
            _pick("file_id", "name", "value", "at"),
        ),
        Source(
            "attachment",
            f"SELECT * FROM attachments WHERE file_id IN ({files_visible}) {page}",
            lambda r: r["id"],
            _pick(
                "file_id",
                "piece",
                "filename",
                "media_type",
                "size",
                "added_at",
                "removed_at",
                "after_submission",
            ),
        ),
        Source(
            "message",
            f"SELECT * FROM messages WHERE file_id IN ({files_visible}) {page}",
            lambda r: r["id"],
            _message,
        ),
        Source(
            "piece_review",
            f"SELECT * FROM piece_reviews WHERE file_id IN ({files_visible}) {page}",
            lambda r: f"{r['file_id']}/{r['piece']}",
            _pick("file_id", "piece", "state", "note", "at"),
        ),
        Source(
            "event",
            f"SELECT * FROM timeline WHERE file_id IN ({files_visible}) {page}",
            lambda r: str(r["id"]),
            _event,
        ),
        # What the prefecture asks for and what it decided, for the phone to show offline.
        Source(
            "complement",
            f"SELECT * FROM complement_items WHERE file_id IN ({files_visible}) {page}",
            lambda r: r["id"],
            _pick(
                "file_id", "kind", "target", "reason", "due", "status", "asked_at", "answered_at", "closed_at"
            ),
        ),
        Source(
            "decision",
            f"SELECT * FROM decisions WHERE file_id IN ({files_visible}) {page}",
            lambda r: r["id"],
            _decision,
        ),
        # The person's attestations, their state and dates (the card itself is a page).
        Source(
            "attestation",
            f"SELECT * FROM attestations WHERE file_id IN ({files_visible}) {page}",
            lambda r: r["id"],
            _attestation,
        ),
        # The card and the slot booked to fetch it, for the phone to show offline.
        Source(
            "card",
            f"SELECT * FROM cards WHERE file_id IN ({files_visible}) {page}",
            lambda r: r["file_id"],
            _pick("file_id", "status", "ready_at", "handed_over_at"),
        ),
        Source(
            "appointment",
            f"SELECT * FROM appointments WHERE file_id IN ({files_visible}) {page}",
            lambda r: r["id"],
            _pick("file_id", "desk_id", "kind", "starts_at", "ends_at", "status", "booked_at", "ended_at"),
        ),
    ]
    if with_account:
        sources.insert(
            0,
            Source(
                "account",
                f"SELECT * FROM accounts WHERE id = :me {page}",
                lambda r: r["id"],
                _pick("display_name", "language", "foreign_number", "email", "phone"),
            ),
        )
    return sources


APPLICANT = [
    *_sources(MINE, with_account=True),
    # "I'm blocked" reports and the prefecture's answers to them.
    Source("blockage", blockages.FEED_QUERY, lambda r: r["id"], blockages.feed_record),
]
# Staff pull only their own account for now: files reach agents through the
# back office, where every access to a person's file is audited.
STAFF = APPLICANT[:1]


def sources_for(actor: Actor) -> tuple[list[Source], dict[str, Any]]:
    params = {"me": actor.account_id}
    if actor.role in ("agent", "admin"):
        return STAFF, params
    return APPLICANT, params


# A worker pulling one person's records (`/sync/pull?for=`), under a mandate
# checked by the caller: that person's account and files — only the one file
# of a one-file mandate. Not their "I'm blocked" reports (not a file's).
FOLLOWED = "SELECT id FROM files WHERE owner_id = :me AND (:file IS NULL OR id = :file)"
WORKER = _sources(FOLLOWED, with_account=True)


def for_worker(person_id: str, file_id: str | None) -> tuple[list[Source], dict[str, Any]]:
    return WORKER, {"me": person_id, "file": file_id}
