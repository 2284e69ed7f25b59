"""Agents decide a file, with a reason from the list, their own words about the
case, the legal basis and (for a negative decision) the appeal routes; they
correct a decision with a new, linked one; they download the letter."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.domain import accounts, decision_reasons, decisions
from server.domain.files import File

from ..common import db, form, not_found, redirect, run_command
from ..decisions import letter_response
from ..messages import done, message
from .common import render
from .common import reviewed_file as agents_file
from .complements import catalogue


async def _page(
    request: Request,
    file: File,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    def load(conn: Any) -> dict[str, Any]:
        locked_by = conn.execute("SELECT locked_by FROM files WHERE id = ?", (file.id,)).fetchone()[0]
        return {"decisions": decisions.for_file(conn, file.id), "locked_by": locked_by}

    data = await db(request).read(load)
    reasons = decision_reasons.load()
    in_force = next((d for d in data["decisions"] if d.in_force), None)
    return render(
        request,
        "prefecture/decision.html",
        {
            **data,
            "file": file,
            "catalogue": catalogue(),
            "reasons": reasons,
            "outcomes": reasons.outcomes_for(file.procedure),
            "in_force": in_force,
            "values": values or {},
            "errors": errors or {},
            "new_decision_id": str(uuid.uuid4()),
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
    )


async def page(request: Request) -> Response:
    file = await agents_file(request)
    return await _page(request, file)


async def decide(request: Request) -> Response:
    file = await agents_file(request)
    values = await form(request)
    reason = decision_reasons.load().reasons.get(values.get("reason", ""))
    result = await run_command(
        request,
        "file.decide",
        {
            "file_id": file.id,
            "decision_id": values.get("decision_id", ""),
            "outcome": reason.outcome if reason else "",
            "reason": values.get("reason", ""),
            "details": values.get("details", ""),
            "corrects": values.get("corrects") or None,
        },
        values.get("command_id"),
    )
    if not result.applied:
        field = result.field if result.field in ("reason", "details") else "form"
        if result.field == "outcome":
            field = "reason"
        return await _page(
            request, file, values=values, errors={field: message(result.code)}, status_code=400
        )
    return redirect(f"/prefecture/files/{file.id}/decision?done=decided")


async def letter(request: Request) -> Response:
    """The letter, as the person gets it: French and the person's language."""
    file = await agents_file(request)

    def load(conn: Any) -> tuple[Any, Any, str]:
        decision = decisions.get(conn, request.path_params["decision_id"])
        corrected = decisions.get(conn, decision.corrects) if decision and decision.corrects else None
        owner = accounts.get(conn, file.owner_id)
        return decision, corrected, owner.language if owner else "fr"

    decision, corrected, language = await db(request).read(load)
    if decision is None or decision.file_id != file.id:
        raise not_found()
    # The letter names the person: its audit row is committed before it is sent.
    seen = await run_command(request, "decision.letter", {"file_id": file.id, "decision_id": decision.id})
    if not seen.applied:
        raise not_found()
    return await letter_response(request, decision, language, corrected)
