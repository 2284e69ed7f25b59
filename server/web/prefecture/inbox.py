"""The inbox: files sent to the agent's prefecture, rights first (see
`server/domain/inbox.py` for the order), with filters, counts and search."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.domain import catalogue, inbox
from server.web.common import actor, db

from .common import render


def query_from(
    request: Request, departement: str, reader: str
) -> tuple[inbox.Query, dict[str, str], list[str]]:
    """The inbox query a URL asks for, the filters to keep in links, and what
    was not understood (said on the page, never silently dropped)."""
    params = request.query_params
    cat = catalogue.load()
    problems: list[str] = []
    kept: dict[str, str] = {}
    status = params.get("status", "open")
    if status not in inbox.STATUS_FILTERS:
        problems.append("status")
        status = "open"
    procedure = params.get("procedure", "")
    if procedure and procedure not in cat.procedures:
        problems.append("procedure")
        procedure = ""
    ground = params.get("ground", "")
    if ground and ground not in cat.grounds:
        problems.append("ground")
        ground = ""
    older: int | None = None
    raw_older = params.get("older_than", "").strip()
    if raw_older:
        if raw_older.isdigit() and int(raw_older) <= inbox.MAX_AGE_DAYS:
            older = int(raw_older)
        else:
            problems.append("older_than")
    search = " ".join(params.get("q", "").split())[:100]
    changed = params.get("changed") == "1"
    answered = params.get("answered") == "1"
    for name, value in (
        ("status", "" if status == "open" else status),
        ("procedure", procedure),
        ("ground", ground),
        ("older_than", "" if older is None else str(older)),
        ("q", search),
        ("changed", "1" if changed else ""),
        ("answered", "1" if answered else ""),
    ):
        if value:
            kept[name] = value
    query = inbox.Query(
        departement=departement,
        reader=reader,
        status=status,
        procedure=procedure,
        ground=ground,
        older_than_days=older,
        changed=changed,
        answered=answered,
        search=search,
        after=inbox.parse_cursor(params.get("after")),
        today=clock.now().date().isoformat(),
    )
    return query, kept, problems


async def page(request: Request) -> Response:
    who = actor(request)
    if who.prefecture is None:
        # A national administrator reads no prefecture's files.
        return render(request, "prefecture/inbox.html", {"national": True})
    assert who.account_id is not None
    query, kept, problems = query_from(request, who.prefecture, who.account_id)

    def load(conn: Any) -> tuple[inbox.Page, dict[str, int]]:
        return inbox.page(conn, query), inbox.counts(conn, query.departement)

    found, counts = await db(request).read(load)
    cat = catalogue.load()
    return render(
        request,
        "prefecture/inbox.html",
        {
            "national": False,
            "catalogue": cat,
            "grounds": sorted(cat.grounds.values(), key=lambda g: g.label("fr")),
            "query": query,
            "kept": kept,
            "problems": problems,
            "page": found,
            "counts": counts,
            "first_page": query.after is None,
            "next_url": f"/prefecture?{urlencode({**kept, 'after': found.after})}" if found.after else "",
            "filtered": bool(kept),
        },
        status_code=400 if problems else 200,
    )
