"""Attestations: what a person shows, while the prefecture decides, to prove
that their file is under review and that their rights continue (ADR 0015).

Two kinds, both issued by Sésame with no agent action:

- a *proof of submission* (`submission`) the moment a file is sent: the date,
  the file number, the procedure and the grounds (renewed like the other
  while no provisional attestation is in force);
- a *provisional attestation* (`provisional`, attestation de prolongation
  d'instruction) for the procedures of someone who already holds a permit
  (`PROVISIONAL`), once the file is complete: an agent marks it complete, or
  `after_days(departement)` days after submission with no complement awaited.
  It names the holder, carries the right to work or not (the catalogue's
  grounds) and is valid `VALID_MONTHS` months; the server renews it
  `RENEW_WITHIN_DAYS` days before it ends while the file is under review.

Life of one attestation:

    valid ──renewed──▶ replaced (still good until its own date)
      ├──refusal, closure, inadmissible, card handed over──▶ ended
      └──file withdrawn──▶ revoked

A grant does not end it: it stays valid, and is renewed, until the card is
handed over (`end_for_file(…, "card_handed_over", …)`). Rows are never
deleted: the history of every attestation stays visible.

What the QR code says is frozen in `claims` when the attestation is issued
(integer keys, short values, ADR 0014) and signed then (`seal.sign`, the
prefecture's key of the day, kept in `qr`): a rotated key keeps verifying it,
and `/verify` finds the same text from the typed code (`signed_text`). The
key ring is the process's (`use_keys`, set by the app and the command line);
without one, or when signing fails, `qr` stays empty and the pages sign when
they show it.

Pure model: the commands are in `attestation_commands.py`.
"""

from __future__ import annotations

import calendar
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

from server import clock

from . import files, keys, seal, timeline
from .catalogue import Catalogue
from .files import File

KINDS = ("submission", "provisional")
KIND_CODES = {"submission": 1, "provisional": 2}
STATUSES = ("valid", "replaced", "ended", "revoked")
IN_FORCE = ("valid", "replaced")
# The procedures of someone who already holds a permit: their right to stay
# continues while the prefecture decides. A first application has no permit to
# continue (proof of submission only); a duplicate or a travel document leaves
# the card in force; a change of situation names no grounds, so the catalogue
# cannot say which rights the attestation would carry (ADR 0015).
PROVISIONAL = ("renewal", "change_of_status")
VALID_MONTHS = 6
RENEW_WITHIN_DAYS = 30
DEFAULT_AFTER_DAYS = 21
MIN_AFTER_DAYS, MAX_AFTER_DAYS = 7, 120
UNDER_REVIEW = ("submitted", "locked")
END_REASONS = ("renewed", "refused", "closed", "inadmissible", "withdrawn", "card_handed_over")
PHOTO_PIECE = "identity_photo"

# Claim keys of the signed payload (agreed with `seal.py`, ADR 0014).
C_ID, C_KIND, C_PREFECTURE, C_NUMBER, C_FAMILY, C_GIVEN, C_BIRTH = 1, 2, 3, 4, 5, 6, 7
C_PROCEDURE, C_GROUNDS, C_WORK, C_ISSUED, C_UNTIL = 8, 9, 10, 11, 12

# Crockford's base32: no I, L, O, U (read aloud and typed without confusion).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Attestation:
    id: str
    file_id: str
    person_id: str
    departement: str | None
    kind: str
    basis: str
    issued_at: str
    valid_until: str | None
    status: str
    until_card: bool
    ended_at: str | None
    end_reason: str | None
    replaces: str | None
    photo_id: str | None
    claims: dict[int, Any]
    version: int
    qr: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Attestation:
        return cls(
            id=row["id"],
            file_id=row["file_id"],
            person_id=row["person_id"],
            departement=row["departement"],
            kind=row["kind"],
            basis=row["basis"],
            issued_at=row["issued_at"],
            valid_until=row["valid_until"],
            status=row["status"],
            until_card=bool(row["until_card"]),
            ended_at=row["ended_at"],
            end_reason=row["end_reason"],
            replaces=row["replaces"],
            photo_id=row["photo_id"],
            claims={int(k): v for k, v in json.loads(row["claims"]).items()},
            version=row["version"],
            qr=row["qr"],
        )

    @property
    def code(self) -> str:
        """The short code as printed: two groups of five, easy to read out."""
        return f"{self.id[:5]}-{self.id[5:]}"

    @property
    def provisional(self) -> bool:
        return self.kind == "provisional"

    @property
    def in_force(self) -> bool:
        return self.status in IN_FORCE

    @property
    def work_allowed(self) -> bool:
        return bool(self.claims.get(C_WORK))

    def state_on(self, today: date) -> str:
        """valid | expired | replaced | ended | revoked, on a given day."""
        if self.status in ("ended", "revoked"):
            return self.status
        if self.valid_until and self.valid_until < today.isoformat():
            return "expired"
        return self.status


def today() -> date:
    return clock.now().astimezone(UTC).date()


def days(day: date) -> int:
    """Days since 1970-01-01: the date as the QR code carries it."""
    return (day - EPOCH).days


def from_days(value: int) -> date:
    return EPOCH + timedelta(days=value)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the last day of a shorter month)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def normalize_code(text: str) -> str:
    """What a person typed, as stored: upper case, no spaces or dashes, and the
    letters Crockford reads as digits (O → 0, I and L → 1)."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def _new_code(conn: sqlite3.Connection) -> str:
    # 50 random bits: the code and a birth date are what /verify asks for, so
    # the code must not be guessable (never derived from a command id).
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if conn.execute("SELECT 1 FROM attestations WHERE id = ?", (code,)).fetchone() is None:
            return code


# -- signing -------------------------------------------------------------------------

_KEYS: list[keys.KeyRing] = []


def use_keys(ring: keys.KeyRing | None) -> None:
    """The key ring attestations are signed with when issued (the process's)."""
    _KEYS[:] = [ring] if ring is not None else []


def sign(claims: dict[int, Any], departement: str | None) -> str | None:
    """The QR text, or None when there is no key ring or it cannot sign (the
    pages then sign when they show it, and say so if they cannot either)."""
    if not _KEYS:
        return None
    try:
        return seal.sign(claims, departement or "", _KEYS[0])
    except (keys.NoKey, keys.KeyFileError, seal.TooLong, ValueError, OSError):
        return None


# -- reading ----------------------------------------------------------------------


def get(conn: sqlite3.Connection, attestation_id: str) -> Attestation | None:
    row = conn.execute(
        "SELECT * FROM attestations WHERE id = ?", (normalize_code(attestation_id),)
    ).fetchone()
    return Attestation.from_row(row) if row else None


def signed_text(conn: sqlite3.Connection, code: str) -> str | None:
    """The QR text of an attestation, from its typed code (`/verify`)."""
    row = conn.execute("SELECT qr FROM attestations WHERE id = ?", (normalize_code(code),)).fetchone()
    return str(row[0]) if row and row[0] else None


# What `/verify` may say of a code, and nothing personal (ADR 0014): an ended
# attestation (a decision, the card handed over) no longer holds, like a revoked one.
PUBLIC = {
    "valid": "valid",
    "expired": "expired",
    "replaced": "superseded",
    "ended": "revoked",
    "revoked": "revoked",
}


def public_status(conn: sqlite3.Connection, code: str) -> str | None:
    """valid | expired | superseded | revoked, or None for an unknown code."""
    found = get(conn, code)
    return PUBLIC[found.state_on(today())] if found else None


def for_file(conn: sqlite3.Connection, file_id: str) -> list[Attestation]:
    """Every attestation of a file, newest first: the history is kept whole."""
    rows = conn.execute(
        "SELECT * FROM attestations WHERE file_id = ? ORDER BY issued_at DESC, version DESC", (file_id,)
    )
    return [Attestation.from_row(r) for r in rows]


def current(conn: sqlite3.Connection, file_id: str) -> Attestation | None:
    """What the person shows for this file: the provisional attestation in force
    if there is one, else the proof of submission in force."""
    found = [a for a in for_file(conn, file_id) if a.status == "valid"]
    found.sort(key=lambda a: (a.provisional, a.issued_at, a.version), reverse=True)
    return found[0] if found else None


def current_for_person(conn: sqlite3.Connection, person_id: str) -> list[Attestation]:
    """The current attestation of each of a person's files, the most useful first
    (a provisional attestation before a proof of submission, newest first)."""
    rows = conn.execute(
        "SELECT * FROM attestations WHERE person_id = ? AND status = 'valid'"
        " ORDER BY kind = 'provisional' DESC, issued_at DESC, version DESC",
        (person_id,),
    )
    seen: set[str] = set()
    found = []
    for row in rows:
        if row["file_id"] not in seen:
            seen.add(row["file_id"])
            found.append(Attestation.from_row(row))
    return found


def after_days(conn: sqlite3.Connection, departement: str | None) -> int:
    """After how many days without a complement awaited a prefecture's files get
    their provisional attestation by themselves."""
    row = conn.execute(
        "SELECT provisional_days FROM prefecture_settings WHERE departement = ?", (departement or "",)
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else DEFAULT_AFTER_DAYS


# -- issuing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Act:
    """Who does it, when, under which command and version (for the rows and the timeline)."""

    version: int
    at: str
    command_id: str | None = None
    actor_id: str | None = None
    actor_role: str | None = None


def _photo(conn: sqlite3.Connection, file_id: str) -> str | None:
    row = conn.execute(
        "SELECT id FROM attachments WHERE file_id = ? AND piece = ? AND removed_at IS NULL"
        " AND media_type LIKE 'image/%' ORDER BY added_at DESC LIMIT 1",
        (file_id, PHOTO_PIECE),
    ).fetchone()
    return str(row[0]) if row else None


def claims_for(
    conn: sqlite3.Connection,
    file: File,
    catalogue: Catalogue,
    *,
    code: str,
    kind: str,
    issued: date,
    valid_until: date,
) -> dict[int, Any]:
    """What the QR code will say. A proof of submission carries no right of its
    own (claim 10 is false: the person's rights are those of their current
    papers); it says that the file was sent, and is renewed like the other."""
    values = files.field_values(conn, file.id)
    claims: dict[int, Any] = {
        C_ID: code,
        C_KIND: KIND_CODES[kind],
        C_PREFECTURE: file.departement or "",
        C_NUMBER: file.number,
        C_FAMILY: values.get("family_name", "").strip(),
        C_GIVEN: values.get("given_names", "").strip(),
        C_BIRTH: values.get("birth_date", "").strip(),
        C_PROCEDURE: file.procedure,
        C_GROUNDS: list(file.grounds),
        C_WORK: kind == "provisional"
        and catalogue.work_allowed([g for g in file.grounds if g in catalogue.grounds]),
        C_ISSUED: days(issued),
        C_UNTIL: days(valid_until),
    }
    return claims


def issue(
    conn: sqlite3.Connection,
    file: File,
    catalogue: Catalogue,
    kind: str,
    basis: str,
    act: Act,
    *,
    replaces: Attestation | None = None,
) -> Attestation:
    """A new attestation for a file, told to the person in their timeline."""
    assert kind in KINDS
    issued = clock.parse(act.at).astimezone(UTC).date()
    valid_until = add_months(issued, VALID_MONTHS)
    code = _new_code(conn)
    claims = claims_for(conn, file, catalogue, code=code, kind=kind, issued=issued, valid_until=valid_until)
    conn.execute(
        "INSERT INTO attestations (id, file_id, person_id, departement, kind, basis, issued_at, valid_until,"
        " status, until_card, replaces, photo_id, claims, qr, command_id, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'valid', ?, ?, ?, ?, ?, ?, ?)",
        (
            code,
            file.id,
            file.owner_id,
            file.departement,
            kind,
            basis,
            act.at,
            valid_until.isoformat(),
            int(bool(replaces and replaces.until_card)),
            replaces.id if replaces else None,
            _photo(conn, file.id) if kind == "provisional" else None,
            json.dumps({str(k): v for k, v in claims.items()}, ensure_ascii=False),
            sign(claims, file.departement),
            act.command_id,
            act.version,
        ),
    )
    if replaces is not None:
        conn.execute(
            "UPDATE attestations SET status = 'replaced', ended_at = ?, end_reason = 'renewed', version = ?"
            " WHERE id = ?",
            (act.at, act.version, replaces.id),
        )
    if kind == "provisional":
        files.refresh_right_until(conn, file.id)
    # Sésame issues it, whoever's act led to it (a submission, an agent's "complete").
    by_sesame = Act(version=act.version, at=act.at, command_id=act.command_id, actor_role="system")
    _tell(
        conn,
        file,
        by_sesame,
        "attestation_renewed" if replaces else "attestation_issued",
        attestation=code,
        type=kind,
        basis=basis,
        valid_until=valid_until.isoformat(),
        replaces=replaces.id if replaces else None,
    )
    created = get(conn, code)
    assert created is not None
    return created


def _tell(conn: sqlite3.Connection, file: File, act: Act, kind: str, **data: Any) -> None:
    timeline.record(
        conn,
        kind=kind,
        person_id=file.owner_id,
        file_id=file.id,
        actor_id=act.actor_id,
        actor_role=act.actor_role,
        version=act.version,
        # Not a change to what was sent (that mark is for the person's own changes).
        after_submission=False,
        command_id=act.command_id,
        at=act.at,
        **data,
    )


def eligible(file: File) -> bool:
    """Whether this file's procedure gives a provisional attestation."""
    return file.procedure in PROVISIONAL


def has_provisional(conn: sqlite3.Connection, file_id: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM attestations WHERE file_id = ? AND kind = 'provisional' LIMIT 1", (file_id,)
    ).fetchone()
    return row is not None


def current_provisional(conn: sqlite3.Connection, file_id: str) -> Attestation | None:
    row = conn.execute(
        "SELECT * FROM attestations WHERE file_id = ? AND kind = 'provisional' AND status = 'valid'"
        " ORDER BY issued_at DESC, version DESC LIMIT 1",
        (file_id,),
    ).fetchone()
    return Attestation.from_row(row) if row else None


# -- ending -------------------------------------------------------------------------------


def end_for_file(
    conn: sqlite3.Connection,
    file_id: str,
    reason: str,
    version: int,
    at: str,
    *,
    actor_id: str | None = None,
    actor_role: str | None = None,
    command_id: str | None = None,
) -> list[Attestation]:
    """End every attestation of a file still in force: a refusal, a closure, the
    card handed over (`ended`); a withdrawal revokes them (`revoked`). Returns
    those ended now (none when nothing was in force)."""
    assert reason in END_REASONS and reason != "renewed"
    status = "revoked" if reason == "withdrawn" else "ended"
    rows = conn.execute(
        "SELECT * FROM attestations WHERE file_id = ? AND status IN ('valid', 'replaced')", (file_id,)
    ).fetchall()
    ended = [Attestation.from_row(r) for r in rows]
    if not ended:
        return []
    conn.execute(
        "UPDATE attestations SET status = ?, ended_at = ?, end_reason = ?, version = ?"
        " WHERE file_id = ? AND status IN ('valid', 'replaced')",
        (status, at, reason, version, file_id),
    )
    file = files.get(conn, file_id)
    assert file is not None
    files.refresh_right_until(conn, file_id)
    act = Act(version=version, at=at, command_id=command_id, actor_id=actor_id, actor_role=actor_role)
    _tell(
        conn,
        file,
        act,
        "attestation_ended",
        attestations=[a.id for a in ended],
        reason=reason,
        status=status,
    )
    return ended


def on_decision(conn: sqlite3.Connection, file: File, outcome: str, negative: bool, act: Act) -> None:
    """A decision ends the attestations of a file; a grant keeps them valid (and
    renewed) until the card is handed over."""
    if negative:
        end_for_file(
            conn,
            file.id,
            outcome if outcome in END_REASONS else "refused",
            act.version,
            act.at,
            actor_id=act.actor_id,
            actor_role=act.actor_role,
            command_id=act.command_id,
        )
        return
    conn.execute(
        "UPDATE attestations SET until_card = 1, version = ? WHERE file_id = ? AND status = 'valid'",
        (act.version, file.id),
    )


# -- what the scheduled job does -----------------------------------------------------------


def due(conn: sqlite3.Connection, day: date, limit: int = 1000) -> list[str]:
    """Files the job must act on today, oldest first: a first provisional
    attestation N days after submission with no complement awaited, or a
    renewal of one ending within `RENEW_WITHIN_DAYS` days (file under review,
    or granted and the card not yet handed over)."""
    procedures = ",".join(f"'{p}'" for p in PROVISIONAL)
    first = conn.execute(
        "SELECT f.id FROM files f LEFT JOIN prefecture_settings s ON s.departement = f.departement"
        f" WHERE f.status IN ('submitted', 'locked') AND f.procedure IN ({procedures})"
        " AND f.complement_state IS NOT 'asked'"
        " AND date(f.submitted_at, '+' || coalesce(s.provisional_days, ?) || ' days') <= ?"
        " AND NOT EXISTS (SELECT 1 FROM attestations a WHERE a.file_id = f.id AND a.kind = 'provisional')"
        " ORDER BY f.submitted_at LIMIT ?",
        (DEFAULT_AFTER_DAYS, day.isoformat(), limit),
    ).fetchall()
    # A proof of submission is renewed too while no provisional attestation is in force.
    renew = conn.execute(
        "SELECT a.file_id FROM attestations a JOIN files f ON f.id = a.file_id"
        " WHERE a.status = 'valid' AND a.valid_until <= ?"
        " AND (a.kind = 'provisional' OR NOT EXISTS (SELECT 1 FROM attestations p"
        " WHERE p.file_id = a.file_id AND p.kind = 'provisional' AND p.status = 'valid'))"
        " AND (f.status IN ('submitted', 'locked') OR (f.status = 'decided' AND a.until_card = 1))"
        " ORDER BY a.valid_until LIMIT ?",
        ((day + timedelta(days=RENEW_WITHIN_DAYS)).isoformat(), limit),
    ).fetchall()
    return list(dict.fromkeys([r[0] for r in first] + [r[0] for r in renew]))


def renew_file(conn: sqlite3.Connection, file: File, catalogue: Catalogue, day: date, act: Act) -> str | None:
    """Do for one file what `due` found: "issued", "renewed", or None when
    nothing is due any more (checked again: the file may have moved since)."""
    in_review = file.status in UNDER_REVIEW
    if eligible(file) and not has_provisional(conn, file.id):
        started = clock.parse(file.submitted_at).date() if file.submitted_at else None
        waited = started is not None and started + timedelta(days=after_days(conn, file.departement)) <= day
        state = conn.execute("SELECT complement_state FROM files WHERE id = ?", (file.id,)).fetchone()[0]
        if in_review and waited and state != "asked":
            issue(conn, file, catalogue, "provisional", "automatic", act)
            return "issued"
    present = current(conn, file.id)
    if present is None or present.valid_until is None:
        return None
    if not (in_review or (file.status == "decided" and present.until_card)):
        return None
    if present.valid_until > (day + timedelta(days=RENEW_WITHIN_DAYS)).isoformat():
        return None
    issue(conn, file, catalogue, present.kind, "renewal", act, replaces=present)
    return "renewed"
