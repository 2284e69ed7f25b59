"""Decisions on files: granted, refused, closed without examination, inadmissible.

A decision always carries a reason from the list (`decision_reasons.py`), the
agent's own words about this person's case, its legal basis and, when it is
negative, the appeal routes with their time limits. What the letter says is
frozen in `motivation` when the decision is made, in French, English and
Arabic: a later change of the reasons list never rewrites a decision.

A file is decided once (`locked → decided`, by the agent who holds it). A
correction is a new decision that names the one it corrects; both stay
visible, the newest is the one in force.

`file.decide` {file_id, decision_id, outcome, reason, details, corrects?}
`decision.letter` {file_id, decision_id}: staff download the letter (audited, changes nothing)

Refusal codes (field in brackets): not_found [file_id]; invalid, exists
[decision_id]; already_decided; not_locked (an agent must hold the file for
review first); held_by_other (another agent holds it); outcome_unknown
[outcome]; reason_unknown [reason]; details_required, details_too_long
[details]; basis_unknown [reason] (no checked article for the grounds);
complement_not_overdue [reason]; not_found, already_corrected [corrects].
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from server import clock
from server.auth.policy import Actor
from sync.engine import Context, Refused, text

from . import attestations, complements, decision_reasons, files, geography
from .catalogue import TO_BE_CHECKED
from .complement_commands import agents_file
from .file_commands import catalogue, note, when
from .files import File

MAX_DETAILS = 4000


@dataclass(frozen=True)
class Decision:
    id: str
    file_id: str
    outcome: str
    reason: str
    details: str
    motivation: dict[str, Any]
    decided_at: str
    decided_by: str | None
    departement: str | None
    corrects: str | None
    corrected_by: str | None = None

    @property
    def negative(self) -> bool:
        return bool(self.motivation["outcome"]["negative"])

    @property
    def in_force(self) -> bool:
        return self.corrected_by is None

    @classmethod
    def from_row(cls, row: sqlite3.Row, corrected_by: str | None = None) -> Decision:
        return cls(
            id=row["id"],
            file_id=row["file_id"],
            outcome=row["outcome"],
            reason=row["reason"],
            details=row["details"] or "",
            motivation=json.loads(row["motivation"]),
            decided_at=row["decided_at"],
            decided_by=row["decided_by"],
            departement=row["departement"],
            corrects=row["corrects"],
            corrected_by=corrected_by,
        )


def for_file(conn: sqlite3.Connection, file_id: str) -> list[Decision]:
    """Every decision on a file, newest first, each knowing what corrected it."""
    rows = conn.execute(
        "SELECT * FROM decisions WHERE file_id = ? ORDER BY decided_at DESC, version DESC", (file_id,)
    ).fetchall()
    corrected = {r["corrects"]: r["id"] for r in rows if r["corrects"]}
    return [Decision.from_row(r, corrected.get(r["id"])) for r in rows]


def get(conn: sqlite3.Connection, decision_id: str) -> Decision | None:
    row = conn.execute("SELECT * FROM decisions WHERE id = ?", (decision_id,)).fetchone()
    if row is None:
        return None
    fix = conn.execute("SELECT id FROM decisions WHERE corrects = ?", (decision_id,)).fetchone()
    return Decision.from_row(row, fix["id"] if fix else None)


def current(conn: sqlite3.Connection, file_id: str) -> Decision | None:
    """The decision in force on a file (the newest, never corrected), or None."""
    found = [d for d in for_file(conn, file_id) if d.in_force]
    return found[0] if found else None


def in_force_by_file(conn: sqlite3.Connection, file_ids: list[str]) -> dict[str, Decision]:
    found: dict[str, Decision] = {}
    for file_id in file_ids:
        decision = current(conn, file_id)
        if decision:
            found[file_id] = decision
    return found


# -- the motivation, frozen ------------------------------------------------------------


def _text(value: decision_reasons.Text) -> dict[str, str]:
    return {"fr": value.fr, "en": value.en, "ar": value.ar}


def legal_bases(reason: decision_reasons.Reason, file: File) -> list[dict[str, str]]:
    """The articles a decision rests on: the reason's own, or the articles of the
    grounds the person invoked (only those the catalogue has checked)."""
    if reason.basis is None:
        return []
    if reason.basis.article != decision_reasons.GROUND:
        return [{"code": reason.basis.code, "article": reason.basis.article}]
    cat = catalogue()
    articles = [cat.grounds[g].ceseda for g in file.grounds if g in cat.grounds]
    return [{"code": reason.basis.code, "article": a} for a in dict.fromkeys(articles) if a != TO_BE_CHECKED]


def motivation(
    conn: sqlite3.Connection, file: File, reason: decision_reasons.Reason, details: str
) -> dict[str, Any]:
    data = decision_reasons.load()
    outcome = data.outcomes[reason.outcome]
    bases = legal_bases(reason, file)
    values = files.field_values(conn, file.id)
    place = geography.get(file.departement)
    codes = {b["code"] for b in bases} | ({a.basis.code for a in data.appeals} if outcome.negative else set())
    return {
        "reasons_version": data.version,
        "number": file.number,
        "procedure": file.procedure,
        "addressee": " ".join(v for v in (values.get("given_names", ""), values.get("family_name", "")) if v),
        "prefecture": {"code": file.departement, "name": place.name if place else file.departement},
        "outcome": {
            "id": outcome.id,
            "negative": outcome.negative,
            "label": _text(outcome.label),
            "summary": _text(outcome.summary),
        },
        "reason": {"id": reason.id, "label": _text(reason.label), "explanation": _text(reason.explanation)},
        "details": details,
        "bases": bases,
        "codes": {c: _text(data.codes[c]) for c in sorted(codes)},
        "appeals": [
            {
                "id": a.id,
                "months": a.months,
                "basis": {"code": a.basis.code, "article": a.basis.article},
                "label": _text(a.label),
                "how": _text(a.how),
            }
            for a in data.appeals
        ]
        if outcome.negative
        else [],
        "removal_order_note": _text(data.removal_order_note) if outcome.id == "refused" else None,
    }


# -- the command -------------------------------------------------------------------------


def _decision_id(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise Refused("invalid", "decision_id") from None


def _check_state(ctx: Context[Actor], file: File, corrects: str | None) -> None:
    if corrects:
        if file.status != "decided":
            raise Refused("not_allowed")
        target = get(ctx.conn, corrects)
        if target is None or target.file_id != file.id:
            raise Refused("not_found", "corrects")
        if not target.in_force:
            raise Refused("already_corrected", "corrects")
        return
    if file.status == "decided":
        raise Refused("already_decided")
    if file.status != "locked":
        raise Refused("not_locked")
    row = ctx.conn.execute("SELECT locked_by FROM files WHERE id = ?", (file.id,)).fetchone()
    if row["locked_by"] and row["locked_by"] != ctx.actor.account_id:
        raise Refused("held_by_other")


def _overdue(conn: sqlite3.Connection, file_id: str) -> bool:
    today = clock.now().date().isoformat()
    return any(i.status == "asked" and i.due < today for i in complements.open_items(conn, file_id))


def decide(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`file.decide`: a decision with its reason, legal basis and appeal routes."""
    file = agents_file(ctx, args)
    decision_id = _decision_id(args.get("decision_id"))
    if get(ctx.conn, decision_id) is not None:
        raise Refused("exists", "decision_id")
    corrects = str(args["corrects"]) if args.get("corrects") else None
    _check_state(ctx, file, corrects)
    data = decision_reasons.load()
    outcome = text(args, "outcome")
    if outcome not in data.outcomes:
        raise Refused("outcome_unknown", "outcome")
    reason = data.reasons.get(text(args, "reason"))
    if reason is None or reason.outcome != outcome or file.procedure not in reason.procedures:
        raise Refused("reason_unknown", "reason")
    details = text(args, "details").strip().replace("\r\n", "\n")
    if len(details) > MAX_DETAILS:
        raise Refused("details_too_long", "details")
    if data.outcomes[outcome].negative and not details:
        # A negative decision says what, in this person's case, leads to it.
        raise Refused("details_required", "details")
    if reason.requires_overdue_complement and not _overdue(ctx.conn, file.id):
        raise Refused("complement_not_overdue", "reason")
    frozen = motivation(ctx.conn, file, reason, details)
    if data.outcomes[outcome].negative and not frozen["bases"]:
        raise Refused("basis_unknown", "reason")
    at = when(ctx)
    ctx.conn.execute(
        "INSERT INTO decisions (id, file_id, outcome, reason, details, motivation, decided_at, decided_by,"
        " departement, corrects, command_id, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            decision_id,
            file.id,
            outcome,
            reason.id,
            details,
            json.dumps(frozen, ensure_ascii=False),
            at,
            ctx.actor.account_id,
            file.departement,
            corrects,
            ctx.command.id,
            ctx.version,
        ),
    )
    if corrects:
        ctx.conn.execute(
            "UPDATE files SET updated_at = ?, version = ? WHERE id = ?",
            (clock.iso(clock.now()), ctx.version, file.id),
        )
        note(
            ctx,
            file,
            "decision_corrected",
            decision=decision_id,
            corrects=corrects,
            outcome=outcome,
            reason=reason.id,
        )
    else:
        files.transition(ctx.conn, file, "decide", ctx.version)
        # Nothing more is awaited from the person once the file is decided.
        complements.settle(ctx.conn, file.id, "closed", at, ctx.version)
        note(ctx, file, "decided", decision=decision_id, outcome=outcome, reason=reason.id)
    # Refused, closed, inadmissible: the attestations end; granted: they stay
    # valid until the card is handed over (ADR 0015). A correction applies its own outcome.
    attestations.on_decision(
        ctx.conn,
        file,
        outcome,
        data.outcomes[outcome].negative,
        attestations.Act(
            version=ctx.version,
            at=at,
            command_id=ctx.command.id,
            actor_id=ctx.actor.account_id,
            actor_role=ctx.actor.role,
        ),
    )
    return {"decision_id": decision_id, "status": "decided"}


def letter(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`decision.letter` {file_id, decision_id}: staff open a decision letter. It
    changes nothing: it exists so that the access is audited (every staff command
    is, in `server/commands.py`) before the letter, which names the person, is sent."""
    file = agents_file(ctx, args)
    found = get(ctx.conn, text(args, "decision_id"))
    if found is None or found.file_id != file.id:
        raise Refused("not_found", "decision_id")
    return {}


HANDLERS = {"file.decide": decide, "decision.letter": letter}
