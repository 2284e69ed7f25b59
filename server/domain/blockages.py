""" "I'm blocked": a report of what stops a person, its written acknowledgement
(number, date, due date), and the prefecture's answers.

Anyone may report, signed in or not. The report's id is made by the client
(the offline queue replays it; it is also the command id), so sending it twice
records it once. An anonymous person reaches their report later by its number
and a keyed secret (`link_key`): nothing of the secret is stored, it is
recomputed from the server's key.

`blocked.report` {report_id, kind, details?, weeks?, departement?, contact?, language?}
    anyone; the prefecture of `departement` answers by the due date
    (prefecture_settings.report_days, else DEFAULT_DAYS).
`blocked.answer` {report_id, answer_id, kind: message | appointment | paper, body}
    an agent or administrator of the report's prefecture.
`prefecture.configure_reports` {report_days}
    an administrator of a prefecture.

Refusal codes (field in brackets): invalid [report_id, answer_id];
kind_unknown [kind]; details_too_long [details]; contact_too_long [contact];
weeks_invalid [weeks]; prefecture_unknown [departement]; exists [report_id];
not_found [report_id]; forbidden; answer_kind_unknown [kind];
answer_required, answer_too_long [body]; report_days_invalid [report_days].
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import i18n
from server import clock
from server.auth import policy, tokens
from server.auth.policy import Actor
from sync.engine import Context, Refused

from . import geography, timeline

KINDS = ("account", "signin", "step", "upload", "no_answer", "other")
ANSWER_KINDS = ("message", "appointment", "paper")
DEFAULT_DAYS = 15
MIN_DAYS, MAX_DAYS = 1, 60
MAX_DETAILS = 4000
MAX_CONTACT = 300
MAX_ANSWER = 4000


@dataclass(frozen=True)
class Answer:
    id: str
    kind: str
    body: str
    at: str


@dataclass(frozen=True)
class Report:
    id: str
    number: str
    kind: str
    details: str
    weeks: int | None
    departement: str | None
    contact: str
    language: str
    account_id: str | None
    created_at: str
    due: str
    status: str
    answered_at: str | None
    answers: tuple[Answer, ...] = ()

    @classmethod
    def from_row(cls, row: sqlite3.Row, answers: tuple[Answer, ...] = ()) -> Report:
        values = {k: row[k] for k in cls.__dataclass_fields__ if k != "answers"}
        values["details"] = values["details"] or ""
        values["contact"] = values["contact"] or ""
        return cls(**values, answers=answers)

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due < today.isoformat()


def link_key(secret_key: str, report_id: str) -> str:
    """The secret in an anonymous person's link: 128 bits, recomputed, never stored."""
    return tokens.keyed_digest(secret_key, f"blockage:{report_id}")[:32]


def _answers(conn: sqlite3.Connection, report_id: str) -> tuple[Answer, ...]:
    rows = conn.execute(
        "SELECT id, kind, body, at FROM blockage_answers WHERE blockage_id = ? ORDER BY at, id", (report_id,)
    )
    return tuple(Answer(r["id"], r["kind"], r["body"], r["at"]) for r in rows)


def get(conn: sqlite3.Connection, report_id: str) -> Report | None:
    row = conn.execute("SELECT * FROM blockages WHERE id = ?", (report_id,)).fetchone()
    return Report.from_row(row, _answers(conn, row["id"])) if row else None


def by_number(conn: sqlite3.Connection, number: str) -> Report | None:
    row = conn.execute("SELECT * FROM blockages WHERE number = ?", (number.strip().upper(),)).fetchone()
    return Report.from_row(row, _answers(conn, row["id"])) if row else None


def for_account(conn: sqlite3.Connection, account_id: str) -> list[Report]:
    rows = conn.execute(
        "SELECT * FROM blockages WHERE account_id = ? ORDER BY created_at DESC, id", (account_id,)
    ).fetchall()
    return [Report.from_row(r, _answers(conn, r["id"])) for r in rows]


def for_prefecture(conn: sqlite3.Connection, departement: str, status: str = "open") -> list[Report]:
    """A prefecture's reports, the earliest due first (then the oldest)."""
    where = "departement = ?" + (" AND status = ?" if status != "all" else "")
    params: tuple[str, ...] = (departement, status) if status != "all" else (departement,)
    rows = conn.execute(
        f"SELECT * FROM blockages WHERE {where} ORDER BY due, created_at, id LIMIT 500", params
    ).fetchall()
    return [Report.from_row(r, _answers(conn, r["id"])) for r in rows]


def overdue_count(conn: sqlite3.Connection, departement: str, today: date) -> int:
    """Open reports past their due date (for the service figures)."""
    row = conn.execute(
        "SELECT count(*) FROM blockages WHERE departement = ? AND status = 'open' AND due < ?",
        (departement, today.isoformat()),
    ).fetchone()
    return int(row[0])


def report_days(conn: sqlite3.Connection, departement: str | None) -> int:
    row = conn.execute(
        "SELECT report_days FROM prefecture_settings WHERE departement = ?", (departement or "",)
    ).fetchone()
    return int(row["report_days"]) if row and row["report_days"] else DEFAULT_DAYS


def _number(conn: sqlite3.Connection, year: int) -> str:
    row = conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (f"blockage-{year}",),
    ).fetchone()
    return f"B-{year}-{int(row[0]):06d}"


def _uuid(value: Any, field: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise Refused("invalid", field) from None


def _text(value: Any, limit: int, code: str, field: str) -> str:
    text = str(value or "").strip()
    text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
    if len(text) > limit:
        raise Refused(code, field)
    return text


def clean(args: dict[str, Any]) -> dict[str, Any]:
    """The report's values, checked (the edge shows refusals on the form)."""
    kind = str(args.get("kind") or "")
    if kind not in KINDS:
        raise Refused("kind_unknown", "kind")
    weeks_raw = str(args.get("weeks") or "").strip()
    weeks: int | None = None
    if weeks_raw:
        if not weeks_raw.isdigit() or not 1 <= int(weeks_raw) <= 520:
            raise Refused("weeks_invalid", "weeks")
        weeks = int(weeks_raw)
    departement = str(args.get("departement") or "").strip() or None
    if departement is not None and geography.get(departement) is None:
        raise Refused("prefecture_unknown", "departement")
    language = str(args.get("language") or "")
    return {
        "kind": kind,
        "details": _text(args.get("details"), MAX_DETAILS, "details_too_long", "details"),
        "weeks": weeks if kind == "no_answer" else None,
        "departement": departement,
        "contact": _text(args.get("contact"), MAX_CONTACT, "contact_too_long", "contact"),
        "language": language if language in i18n.LANGUAGES else i18n.DEFAULT,
    }


def _when(ctx: Context[Actor]) -> str:
    at = ctx.command.at
    try:
        return clock.iso(clock.parse(at)) if at else clock.iso(clock.now())
    except ValueError:
        return clock.iso(clock.now())


def report(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    report_id = _uuid(args.get("report_id"), "report_id")
    values = clean(args)
    if get(ctx.conn, report_id) is not None:
        raise Refused("exists", "report_id")
    # The acknowledgement is dated when the server has it: a queued report
    # is not yet acknowledged, whatever the phone's clock said.
    now = clock.now()
    days = report_days(ctx.conn, values["departement"])
    due = (now.date() + timedelta(days=days)).isoformat()
    number = _number(ctx.conn, now.year)
    account_id = ctx.actor.account_id if ctx.actor.signed_in else None
    ctx.conn.execute(
        "INSERT INTO blockages (id, number, kind, details, weeks, departement, contact, language, account_id,"
        " created_at, due, status, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
        (
            report_id,
            number,
            values["kind"],
            values["details"],
            values["weeks"],
            values["departement"],
            values["contact"],
            values["language"],
            account_id,
            clock.iso(now),
            due,
            ctx.version,
        ),
    )
    if account_id is not None:
        timeline.record(
            ctx.conn,
            kind="blockage_reported",
            person_id=account_id,
            file_id=None,
            actor_id=account_id,
            actor_role=ctx.actor.role,
            version=ctx.version,
            command_id=ctx.command.id,
            at=clock.iso(now),
            report_id=report_id,
            number=number,
            blockage=values["kind"],
        )
    return {"report_id": report_id, "number": number, "created_at": clock.iso(now), "due": due}


def answer(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    found = get(ctx.conn, str(args.get("report_id", "")))
    if found is None or not policy.is_agent_of(ctx.actor, found.departement):
        raise Refused("not_found", "report_id")
    answer_id = _uuid(args.get("answer_id"), "answer_id")
    kind = str(args.get("kind") or "")
    if kind not in ANSWER_KINDS:
        raise Refused("answer_kind_unknown", "kind")
    body = _text(args.get("body"), MAX_ANSWER, "answer_too_long", "body")
    if not body:
        raise Refused("answer_required", "body")
    if ctx.conn.execute("SELECT 1 FROM blockage_answers WHERE id = ?", (answer_id,)).fetchone():
        raise Refused("exists", "answer_id")
    at = _when(ctx)
    ctx.conn.execute(
        "INSERT INTO blockage_answers (id, blockage_id, kind, body, at, by, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (answer_id, found.id, kind, body, at, ctx.actor.account_id, ctx.version),
    )
    # The report changes version too: the person's phone pulls it with its answers.
    ctx.conn.execute(
        "UPDATE blockages SET status = 'answered', answered_at = coalesce(answered_at, ?), version = ?"
        " WHERE id = ?",
        (at, ctx.version, found.id),
    )
    if found.account_id:
        timeline.record(
            ctx.conn,
            kind="blockage_answered",
            person_id=found.account_id,
            file_id=None,
            actor_id=ctx.actor.account_id,
            actor_role=ctx.actor.role,
            version=ctx.version,
            command_id=ctx.command.id,
            at=at,
            report_id=found.id,
            number=found.number,
            answer=kind,
        )
    return {"answer_id": answer_id}


def configure(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    actor = ctx.actor
    if actor.role != "admin" or actor.prefecture is None:
        raise Refused("forbidden")
    raw = str(args.get("report_days", "")).strip()
    if not raw.isdigit() or not MIN_DAYS <= int(raw) <= MAX_DAYS:
        raise Refused("report_days_invalid", "report_days")
    days = int(raw)
    from .complements import DEFAULT_DAYS as COMPLEMENT_DAYS

    ctx.conn.execute(
        "INSERT INTO prefecture_settings (departement, complement_days, report_days, updated_at, updated_by,"
        " version) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (departement) DO UPDATE SET"
        " report_days = excluded.report_days, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by, version = excluded.version",
        (actor.prefecture, COMPLEMENT_DAYS, days, _when(ctx), actor.account_id, ctx.version),
    )
    return {"report_days": days}


# The person's reports with their answers, for the change feed (one row each).
FEED_QUERY = (
    "SELECT b.*, (SELECT json_group_array(json_object('kind', a.kind, 'body', a.body, 'at', a.at))"
    " FROM blockage_answers a WHERE a.blockage_id = b.id) AS answers"
    " FROM blockages b WHERE b.account_id = :me AND b.version > :cursor ORDER BY b.version LIMIT :limit"
)


def feed_record(row: Any) -> dict[str, Any]:
    """What the person's phone keeps of their report (change feed)."""
    data = {
        k: row[k] for k in ("number", "kind", "departement", "created_at", "due", "status", "answered_at")
    }
    data["answers"] = json.loads(row["answers"] or "[]")
    return data


HANDLERS = {
    "blocked.report": report,
    "blocked.answer": answer,
    "prefecture.configure_reports": configure,
}
