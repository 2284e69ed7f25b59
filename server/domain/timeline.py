"""One history per person and per file: every event, with who did it and when.

Rows are only ever added. `kind` names the event; `data` holds what the page
needs to say it (ids, names of fields, file names), never translated text.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from server import clock
from server.auth.policy import Actor

KINDS = (
    "created",
    "grounds_changed",
    "fields_changed",
    "piece_added",
    "piece_removed",
    "piece_replaced",
    "submitted",
    "withdrawn",
    "locked",
    "unlocked",
    "message",
    "decided",
    "viewed",  # an agent opened the file (once per agent and day; the service is named, not the agent)
    "piece_accepted",
    "complement_requested",
    "complement_answered",
    "complement_settled",
    "decision_corrected",
    "marked_complete",
    "attestation_issued",
    "attestation_renewed",
    "attestation_ended",
    # appointments: the card, and the slot booked to fetch it
    "card_ready",
    "card_handed_over",
    "appointment_booked",
    "appointment_moved",
    "appointment_cancelled",
    "blockage_reported",  # file_id None: an "I'm blocked" report (data: report_id, number, blockage)
    "blockage_answered",
    "paper_recorded",  # an agent recorded a file handed in on paper
    "claimed",  # the person claimed the account an agent kept for them
    # outreach workers (issue 12): data names the organisation and the mandate
    "mandate_granted",
    "mandate_revoked",
)


@dataclass(frozen=True)
class Event:
    id: int
    file_id: str | None
    person_id: str
    at: str
    actor_id: str | None
    actor_role: str | None
    kind: str
    data: dict[str, Any]
    after_submission: bool
    # A worker's act: their organisation and the mandate they acted under.
    organisation_id: str | None = None
    mandate_id: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Event:
        return cls(
            id=row["id"],
            file_id=row["file_id"],
            person_id=row["person_id"],
            at=row["at"],
            actor_id=row["actor_id"],
            actor_role=row["actor_role"],
            kind=row["kind"],
            data=json.loads(row["data"] or "{}"),
            after_submission=bool(row["after_submission"]),
            organisation_id=row["organisation_id"],
            mandate_id=row["mandate_id"],
        )


def record(
    conn: sqlite3.Connection,
    *,
    kind: str,
    person_id: str,
    file_id: str | None,
    actor_id: str | None,
    actor_role: str | None,
    version: int,
    after_submission: bool = False,
    command_id: str | None = None,
    at: str | None = None,
    organisation_id: str | None = None,
    mandate_id: str | None = None,
    **data: Any,
) -> None:
    if kind not in KINDS:
        raise ValueError(kind)
    conn.execute(
        "INSERT INTO timeline (file_id, person_id, at, actor_id, actor_role, kind, data,"
        " after_submission, command_id, version, organisation_id, mandate_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            file_id,
            person_id,
            at or clock.iso(clock.now()),
            actor_id,
            actor_role,
            kind,
            json.dumps(data, ensure_ascii=False),
            int(after_submission),
            command_id,
            version,
            organisation_id,
            mandate_id,
        ),
    )


def by(actor: Actor) -> dict[str, Any]:
    """Who did it, for `record`: a worker's act also names their organisation
    and the mandate they acted under ("par <worker> (<organisation>), mandat du …")."""
    return {
        "actor_id": actor.account_id,
        "actor_role": actor.role,
        "organisation_id": actor.organisation if actor.role == "worker" else None,
        "mandate_id": actor.mandate_id if actor.role == "worker" else None,
    }


def for_file(conn: sqlite3.Connection, file_id: str) -> list[Event]:
    rows = conn.execute("SELECT * FROM timeline WHERE file_id = ? ORDER BY at, id", (file_id,))
    return [Event.from_row(r) for r in rows]


def for_person(conn: sqlite3.Connection, person_id: str) -> list[Event]:
    rows = conn.execute("SELECT * FROM timeline WHERE person_id = ? ORDER BY at, id", (person_id,))
    return [Event.from_row(r) for r in rows]
