"""The prefecture's audit trail, with agents' names: for its administrators."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from server.auth import policy
from server.domain import audit
from server.web.common import actor, db

from . import words
from .common import render


def _day(value: str) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


async def page(request: Request) -> Response:
    who = actor(request)
    if not policy.may_audit(who) or who.prefecture is None:
        return render(request, "prefecture/audit.html", {"national": True})
    departement = who.prefecture
    params = request.query_params
    errors: dict[str, str] = {}
    number = params.get("file", "").strip()
    agent = params.get("agent", "")
    day_from, day_to = params.get("from", ""), params.get("to", "")
    before = params.get("before", "")
    if day_from and _day(day_from) is None:
        errors["from"] = "date"
    if day_to and _day(day_to) is None:
        errors["to"] = "date"

    def load(conn: Any) -> dict[str, Any]:
        file_id = None
        if number:
            row = conn.execute(
                "SELECT id FROM files WHERE (number = ? OR id = ?) AND departement = ?",
                (number, number, departement),
            ).fetchone()
            if row is None:
                errors["file"] = "file"
            file_id = row[0] if row else None
        staff = audit.staff_of(conn, departement)
        agent_id = agent if agent in {s[0] for s in staff} else None
        if agent and agent_id is None:
            errors["agent"] = "agent"
        found = (
            audit.Page([], None)
            if errors
            else audit.for_prefecture(
                conn,
                departement,
                file_id=file_id,
                actor_id=agent_id,
                day_from=_day(day_from),
                day_to=_day(day_to),
                before=int(before) if re.fullmatch(r"\d{1,18}", before) else None,
            )
        )
        return {"page": found, "staff": staff}

    data = await db(request).read(load)
    kept = {k: v for k, v in (("file", number), ("agent", agent), ("from", day_from), ("to", day_to)) if v}
    next_before = data["page"].next_before
    return render(
        request,
        "prefecture/audit.html",
        {
            **data,
            "national": False,
            "audit_action": words.audit_action,
            "errors": errors,
            "kept": kept,
            "first_page": not before,
            "next_url": f"/prefecture/audit?{urlencode({**kept, 'before': next_before})}" if next_before else "",
        },
        status_code=400 if errors else 200,
    )
