""" "I'm blocked" reports at the prefecture: the list, earliest due first, and the
answer (a message, an appointment proposed in words, or "handled on paper").
Each answer is the command `blocked.answer` (audited like every staff act); the
person reads it on their acknowledgement (by its link) and, signed in, in their
timeline and change feed. Administrators set how many days the prefecture
gives itself to answer (`prefecture.configure_reports`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.auth import policy
from server.domain import audit, blockages, geography
from server.domain.blockages import Report

from ..blocked_letter import ANSWER_LABELS, KIND_LABELS
from ..common import actor, command_id, db, form, not_found, redirect, run_command
from ..messages import done, message
from .common import render

STATUSES = ("open", "answered", "all")


async def page(request: Request) -> Response:
    return await _list(request)


async def _list(
    request: Request, days_error: str = "", days_value: str | None = None, status_code: int = 200
) -> Response:
    who = actor(request)
    status = request.query_params.get("status", "open")
    status = status if status in STATUSES else "open"

    def load(conn: Any) -> dict[str, Any]:
        code = who.prefecture or ""
        return {
            "reports": blockages.for_prefecture(conn, code, status) if who.prefecture else [],
            "days": blockages.report_days(conn, code),
        }

    data = await db(request).read(load)
    return render(
        request,
        "prefecture/reports.html",
        {
            **data,
            "status": status,
            "today": clock.now().date(),
            "kind_labels": KIND_LABELS,
            "days_value": days_value if days_value is not None else str(data["days"]),
            "days_error": days_error,
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
    )


async def _report(request: Request) -> Report:
    found = await db(request).read(blockages.get, request.path_params["report_id"])
    if found is None or not policy.is_agent_of(actor(request), found.departement):
        raise not_found()  # another prefecture's report: it does not exist for this reader
    return found


async def _detail(
    request: Request,
    report: Report,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "prefecture/report.html",
        {
            "report": report,
            "departement": geography.get(report.departement),
            "kind_labels": KIND_LABELS,
            "answer_labels": ANSWER_LABELS,
            "answer_kinds": blockages.ANSWER_KINDS,
            "values": values or {"kind": "message", "body": ""},
            "errors": errors or {},
            "today": clock.now().date(),
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
    )


async def detail(request: Request) -> Response:
    report = await _report(request)
    who = actor(request)
    # The report carries a way to reach the person: reading it is audited, like a file.
    await db(request).write(
        lambda conn: audit.record(
            conn,
            actor=who,
            action="report.view",
            outcome="applied",
            departement=report.departement,
            detail={"report_id": report.id},
        )
    )
    return await _detail(request, report)


async def answer(request: Request) -> Response:
    report = await _report(request)
    values = await form(request)
    answer_id = command_id(values.get("answer_id"))  # the form's id: a double submit answers once
    args = {
        "report_id": report.id,
        "answer_id": answer_id,
        "kind": values.get("kind", ""),
        "body": values.get("body", ""),
    }
    result = await run_command(request, "blocked.answer", args, answer_id)
    if not result.applied:
        field = result.field if result.field in ("kind", "body") else "form"
        kept = {"kind": args["kind"], "body": args["body"]}
        return await _detail(request, report, kept, {field: message(result.code)}, 400)
    return redirect(f"/prefecture/reports/{report.id}?done=answer_sent")


async def save_days(request: Request) -> Response:
    values = await form(request)
    days = values.get("report_days", "")
    result = await run_command(
        request, "prefecture.configure_reports", {"report_days": days}, values.get("command_id")
    )
    if not result.applied:
        return await _list(request, message(result.code), days, 400)
    return redirect("/prefecture/reports?done=settings_saved")
