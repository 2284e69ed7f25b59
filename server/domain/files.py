"""Files (dossiers): a person's procedures, any number at once.

A file moves through these states:

    draft ──submit──▶ submitted ──lock (agent)──▶ locked ──decide (agent)──▶ decided
      │                 │  ▲                        │
      │                 │  └───────unlock (agent)───┘
      └──withdraw──▶ withdrawn ◀──withdraw──────────┘

A draft and a submitted file can be corrected and completed by the applicant
(after submission every change is marked as such in the timeline); once an
agent locks it for review, it cannot. Nothing is ever deleted: a withdrawn
file stays in the history.

Fields are stored one row each, last writer wins per field: the value with the
newest `at` (when the person typed it) is kept, whatever order commands arrive in.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from server import clock
from server.store import search_words

from . import geography, partial_dates
from .catalogue import Catalogue

STATUSES = ("draft", "submitted", "locked", "decided", "withdrawn")
EDITABLE = ("draft", "submitted")
OPEN = ("draft", "submitted", "locked")
TRANSITIONS = {
    ("draft", "submit"): "submitted",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "withdraw"): "withdrawn",
    ("locked", "withdraw"): "withdrawn",
    ("submitted", "lock"): "locked",
    ("locked", "unlock"): "submitted",
    ("locked", "decide"): "decided",
}


def next_status(status: str, action: str) -> str | None:
    """The state after `action`, or None when the action does not apply."""
    return TRANSITIONS.get((status, action))


# -- fields ----------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | textarea | date | postcode | foreign_number | email | phone | choice
    required: bool = True
    procedures: tuple[str, ...] = ()  # empty: every procedure
    choices: tuple[str, ...] = ()
    max_length: int = 200
    step: str = "identity"  # the page where it is asked
    optional_in: tuple[str, ...] = ()  # procedures where it is asked but not required
    # Dates (ADR 0025): `partial`, the person may give the month and year or the
    # year alone; `approximate`, they may say the date is approximate. Only where
    # the data allows it: a birth date is checked against the attestation's
    # verifier, a permit's end is printed on the card, so both are whole dates.
    partial: bool = False
    approximate: bool = False


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("family_name", "text"),
        Field("given_names", "text"),
        Field("birth_date", "date"),
        Field("birth_place", "text"),
        Field("nationality", "text"),
        Field("foreign_number", "foreign_number", required=False),
        Field("street", "text", step="address"),
        Field("postcode", "postcode", step="address"),
        Field("city", "text", step="address"),
        Field("prefecture", "choice", required=False, step="address"),
        Field("phone", "phone", required=False, step="address"),
        Field("email", "email", required=False, step="address"),
        # The date the person's right to stay lapses orders the prefecture's inbox
        # (rights first). Asked in every procedure of someone who holds a permit;
        # optional where a person may not know it (a lost card, a travel document).
        Field(
            "current_permit_expiry",
            "date",
            procedures=("renewal", "change_of_status", "change_of_situation", "duplicate", "travel_document"),
            optional_in=("change_of_situation", "duplicate", "travel_document"),
            step="situation",
        ),
        Field(
            "change_kind",
            "choice",
            procedures=("change_of_situation",),
            choices=("address", "civil_status", "family"),
            step="situation",
        ),
        Field(
            "change_details",
            "textarea",
            procedures=("change_of_situation",),
            max_length=4000,
            step="situation",
        ),
        Field("loss_kind", "choice", procedures=("duplicate",), choices=("lost", "stolen"), step="situation"),
        Field(
            "loss_date", "date", procedures=("duplicate",), step="situation", partial=True, approximate=True
        ),
        # Few people remember the day they arrived; the year is often all that is known.
        Field(
            "entry_date",
            "date",
            required=False,
            procedures=("first_application",),
            step="situation",
            partial=True,
            approximate=True,
        ),
        Field(
            "travel_reason",
            "textarea",
            procedures=("travel_document",),
            required=False,
            max_length=4000,
            step="situation",
        ),
        Field("notes", "textarea", required=False, max_length=4000, step="situation"),
    )
}
STEPS = ("situation", "identity", "address")


def fields_for(procedure: str) -> list[Field]:
    return [
        replace(f, required=False) if procedure in f.optional_in else f
        for f in FIELDS.values()
        if not f.procedures or procedure in f.procedures
    ]


# Fields copied onto `files` (and the search index) so the inbox is one indexed query.
RIGHT_FIELD = "current_permit_expiry"
SEARCH_FIELDS = ("family_name", "given_names", "foreign_number")


def right_until(values: dict[str, str]) -> str | None:
    """The day the person's current proof of right to stay lapses, if they gave
    a real date (a half-typed one is not a date yet)."""
    value = (values.get(RIGHT_FIELD) or "").strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day.isoformat() if 1900 <= day.year <= 2100 else None


def refresh_right_until(conn: sqlite3.Connection, file_id: str, values: dict[str, str] | None = None) -> None:
    """`files.right_until`: the later of the permit's end the person gave and the
    end of their provisional attestation in force (ADR 0015): while Sésame
    attests the right to stay, the file is not about to lose it."""
    permit = right_until(values if values is not None else field_values(conn, file_id))
    row = conn.execute(
        "SELECT max(valid_until) FROM attestations WHERE file_id = ? AND kind = 'provisional'"
        " AND status IN ('valid', 'replaced')",
        (file_id,),
    ).fetchone()
    attested = row[0] if row else None
    found = max((d for d in (permit, attested) if d), default=None)
    conn.execute(
        "UPDATE files SET right_until = ? WHERE id = ? AND right_until IS NOT ?", (found, file_id, found)
    )


def search_text(number: str, values: dict[str, str]) -> str:
    """What the inbox search finds a file by: its number, the person's names and
    foreign-national number (digits kept together whatever the person typed)."""
    foreign = re.sub(r"[\s.\-]", "", values.get("foreign_number", ""))
    parts = [number, values.get("family_name", ""), values.get("given_names", ""), foreign]
    return " ".join(p for p in parts if p)


def refresh_derived(conn: sqlite3.Connection, file_id: str, number: str) -> None:
    """Keep `files.right_until` and the search index in step with the fields.

    The full-text table is reached through `file_search_docs` (file id → its
    row there): FTS rowids are stable, a table's implicit rowid is not (VACUUM)."""
    values = field_values(conn, file_id)
    refresh_right_until(conn, file_id, values)
    departement = conn.execute("SELECT departement FROM files WHERE id = ?", (file_id,)).fetchone()[0]
    # Scoped to the prefecture (m027); a trigger follows a change of département.
    text = search_words.scoped(departement, search_text(number, values))
    row = conn.execute("SELECT doc FROM file_search_docs WHERE file_id = ?", (file_id,)).fetchone()
    if row:
        conn.execute("UPDATE file_search SET text = ? WHERE rowid = ?", (text, row[0]))
    else:
        doc = conn.execute("INSERT INTO file_search (text) VALUES (?)", (text,)).lastrowid
        conn.execute("INSERT INTO file_search_docs (file_id, doc) VALUES (?, ?)", (file_id, doc))


def field_problem(field: Field, value: str) -> str | None:
    """Why a value is not acceptable at submission, or None."""
    value = value.strip()
    if not value:
        return "field_required" if field.required else None
    if field.kind == "date":
        return partial_dates.problem(value, partial=field.partial, approximate=field.approximate)
    elif field.kind == "postcode":
        if geography.for_postcode(value) is None:
            return "field_postcode"
    elif field.kind == "foreign_number":
        if not re.fullmatch(r"\d{10}", re.sub(r"[\s.\-]", "", value)):
            return "field_foreign_number"
    elif field.kind == "email":
        if not re.fullmatch(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}", value):
            return "field_email"
    elif field.kind == "phone":
        if not 6 <= len(re.sub(r"\D", "", value)) <= 20:
            return "field_phone"
    elif field.kind == "choice":
        if field.name == "prefecture":
            if geography.get(value) is None:
                return "field_choice"
        elif value not in field.choices:
            return "field_choice"
    return None


# -- the file ----------------------------------------------------------------


@dataclass(frozen=True)
class File:
    id: str
    number: str
    owner_id: str
    procedure: str
    grounds: tuple[str, ...]
    title: str | None
    status: str
    departement: str | None
    catalogue_version: str | None
    created_by: str | None
    created_at: str
    updated_at: str
    submitted_at: str | None
    locked_at: str | None
    decided_at: str | None
    withdrawn_at: str | None
    version: int
    completed_at: str | None = None  # an agent marked it complete (attestations, ADR 0015)

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def submitted(self) -> bool:
        return self.status != "draft"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> File:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["grounds"] = tuple(json.loads(row["grounds"] or "[]"))
        return cls(**values)


def get(conn: sqlite3.Connection, file_id: str) -> File | None:
    row = conn.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
    return File.from_row(row) if row else None


def owned_by(conn: sqlite3.Connection, owner_id: str) -> list[File]:
    rows = conn.execute(
        "SELECT * FROM files WHERE owner_id = ? ORDER BY created_at DESC, number DESC", (owner_id,)
    )
    return [File.from_row(r) for r in rows]


def field_values(conn: sqlite3.Connection, file_id: str) -> dict[str, str]:
    rows = conn.execute("SELECT name, value FROM file_fields WHERE file_id = ?", (file_id,))
    return {r["name"]: r["value"] or "" for r in rows}


def next_number(conn: sqlite3.Connection, year: int) -> str:
    """Readable, never reused: 2026-000042."""
    row = conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (f"file-{year}",),
    ).fetchone()
    return f"{year}-{int(row[0]):06d}"


def create(
    conn: sqlite3.Connection,
    *,
    file_id: str,
    owner_id: str,
    procedure: str,
    grounds: list[str],
    title: str | None,
    catalogue: Catalogue,
    created_by: str,
    version: int,
    at: str,
) -> File:
    now = clock.now()
    conn.execute(
        "INSERT INTO files (id, number, owner_id, procedure, grounds, title, status, catalogue_version,"
        " created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?)",
        (
            file_id,
            next_number(conn, now.year),
            owner_id,
            procedure,
            json.dumps(grounds),
            title,
            catalogue.version,
            created_by,
            at,
            clock.iso(now),
            version,
        ),
    )
    created = get(conn, file_id)
    assert created is not None
    refresh_derived(conn, created.id, created.number)
    return created


def set_fields(
    conn: sqlite3.Connection,
    file: File,
    values: dict[str, str],
    *,
    at: str,
    command_id: str,
    version: int,
) -> list[str]:
    """Write fields, last writer wins per field. Returns the names actually changed."""
    current = {
        r["name"]: (r["value"], r["at"])
        for r in conn.execute("SELECT name, value, at FROM file_fields WHERE file_id = ?", (file.id,))
    }
    changed = []
    for name, value in values.items():
        old = current.get(name)
        if old is not None and (old[1] > at or old[0] == value):
            continue  # a newer value is already there, or nothing changes
        conn.execute(
            "INSERT INTO file_fields (file_id, name, value, at, command_id, version) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (file_id, name) DO UPDATE SET value = excluded.value, at = excluded.at,"
            " command_id = excluded.command_id, version = excluded.version",
            (file.id, name, value, at, command_id, version),
        )
        changed.append(name)
    if changed:
        # Only these two fields choose the prefecture: spare a query otherwise.
        departement = file.departement
        if "prefecture" in changed or "postcode" in changed:
            merged = {n: v or "" for n, (v, _) in current.items()}
            merged.update({n: values[n] for n in changed})
            departement = competent_departement(merged)
        conn.execute(
            "UPDATE files SET departement = ?, updated_at = ?, version = ? WHERE id = ?",
            (departement, clock.iso(clock.now()), version, file.id),
        )
        if {RIGHT_FIELD, *SEARCH_FIELDS} & set(changed):
            refresh_derived(conn, file.id, file.number)
    return changed


def competent_departement(values: dict[str, str]) -> str | None:
    """The prefecture chosen by the person, else the one of their postcode."""
    chosen = geography.get(values.get("prefecture"))
    if chosen:
        return chosen.code
    found = geography.for_postcode(values.get("postcode", ""))
    return found.code if found else None


def transition(conn: sqlite3.Connection, file: File, action: str, version: int, by: str | None = None) -> str:
    """Apply a state change; the caller checked `next_status` first. `by`: the
    agent who locks (the file shows who holds it until it leaves `locked`)."""
    status = next_status(file.status, action)
    assert status is not None
    stamp = {
        "submitted": "submitted_at",
        "locked": "locked_at",
        "decided": "decided_at",
        "withdrawn": "withdrawn_at",
    }
    now = clock.iso(clock.now())
    column = stamp.get(status)
    extra = f", {column} = coalesce({column}, ?)" if column and action != "unlock" else ""
    params: list[Any] = [status, now, version, by if status == "locked" else None]
    if extra:
        params.append(now)
    conn.execute(
        f"UPDATE files SET status = ?, updated_at = ?, version = ?, locked_by = ?{extra} WHERE id = ?",
        (*params, file.id),
    )
    return status


@dataclass(frozen=True)
class Problem:
    code: str  # field_required, field_date, …, piece_missing, ground_required
    field: str | None = None
    piece: str | None = None


def problems(conn: sqlite3.Connection, file: File, catalogue: Catalogue) -> list[Problem]:
    """What stands between this file and its submission (empty: it may go)."""
    found: list[Problem] = []
    procedure = catalogue.procedures[file.procedure]
    if procedure.needs_ground and not file.grounds:
        found.append(Problem("ground_required"))
    values = field_values(conn, file.id)
    for field in fields_for(file.procedure):
        problem = field_problem(field, values.get(field.name, ""))
        if problem:
            found.append(Problem(problem, field=field.name))
    present = {
        r["piece"]
        for r in conn.execute(
            "SELECT DISTINCT piece FROM attachments WHERE file_id = ? AND removed_at IS NULL", (file.id,)
        )
    }
    for item in catalogue.checklist(file.procedure, file.grounds):
        if not item.optional and item.piece.id not in present:
            found.append(Problem("piece_missing", piece=item.piece.id))
    return found


def stale_drafts(conn: sqlite3.Connection, owner_id: str, older_than: str) -> list[File]:
    """Drafts untouched since `older_than`: they earn a reminder, never a purge."""
    rows = conn.execute(
        "SELECT * FROM files WHERE owner_id = ? AND status = 'draft' AND updated_at < ? ORDER BY updated_at",
        (owner_id, older_than),
    )
    return [File.from_row(r) for r in rows]
