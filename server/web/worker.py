"""An outreach worker's pages (docs/adr/0020): the people their organisation
follows and what needs action, choosing whom to act for (then the person's own
pages, under a banner), recording a person and their signed paper mandate,
the paper mandate form to print, and the organisation's figures as CSV
(counts only)."""

from __future__ import annotations

import csv
import io
import sqlite3
import uuid
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.domain import followed, mandates, organisations, uploads
from server.domain.catalogue import load as load_catalogue

from .common import actor, db, not_found, redirect, run_command, settings, templates
from .messages import done, message
from .middleware import acting_cookie
from .pieces import apply_with_blobs, receive, upload_refusal, uploaded_files

NO_STORE = {"cache-control": "no-store"}
SCAN_PIECE = "passport"  # the scan is accepted in the same forms as a passport's


def _worker(request: Request) -> Any:
    who = actor(request)
    if who.role != "worker" or who.organisation is None:
        raise not_found()
    return who


async def home(request: Request) -> Response:
    who = _worker(request)
    now = clock.now()

    def load(conn: sqlite3.Connection) -> dict[str, Any]:
        people = followed.people(conn, who.organisation, now)
        return {
            "organisation": organisations.get(conn, who.organisation),
            "people": people,
            "actions": followed.actions(people, conn, now),
        }

    data = await db(request).read(load)
    return templates(request).render(
        request,
        "worker/home.html",
        {**data, "done": done(request.query_params.get("done")), "catalogue": load_catalogue()},
        headers=NO_STORE,
    )


async def act(request: Request) -> Response:
    """Act for a person: the choice is remembered on this browser; every page
    and every command is still checked against a live mandate."""
    who = _worker(request)
    person_id = request.path_params["person_id"]
    found = await db(request).read(mandates.best_for, who.organisation, person_id, clock.now())
    if found is None:
        raise not_found()
    target = "/dashboard" if found.file_id is None else f"/files/{found.file_id}"
    response = redirect(target)
    response.headers.append("set-cookie", acting_cookie(settings(request), person_id))
    return response


async def release(request: Request) -> Response:
    """"Ne plus suivre": the worker ends every live mandate of their
    organisation for this person (`mandate.revoke` each, in the timeline)."""
    who = _worker(request)
    person_id = request.path_params["person_id"]
    now = clock.now()

    def live(conn: sqlite3.Connection) -> list[str]:
        return [
            m.id
            for m in mandates.for_person(conn, person_id)
            if m.organisation_id == who.organisation and m.active(now)
        ]

    found = await db(request).read(live)
    if not found:
        raise not_found()
    for mandate_id in found:
        result = await run_command(request, "mandate.revoke", {"mandate_id": mandate_id})
        if not result.applied:
            raise not_found()
    response = redirect("/worker?done=person_released")
    response.headers.append("set-cookie", acting_cookie(settings(request), ""))
    return response


async def stop(request: Request) -> Response:
    _worker(request)
    response = redirect("/worker")
    response.headers.append("set-cookie", acting_cookie(settings(request), ""))
    return response


# -- a person recorded with a paper mandate -------------------------------------------------


def _paper_form(
    request: Request, values: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    default_end = (clock.now() + timedelta(days=mandates.DEFAULT_DAYS)).date().isoformat()
    return templates(request).render(
        request,
        "worker/person_new.html",
        {
            "values": {"expires_at": default_end, "can_act": "1", "language": "fr", **values},
            "errors": errors or {},
        },
        status_code=status_code,
        headers=NO_STORE,
    )


async def person_page(request: Request) -> Response:
    _worker(request)
    return _paper_form(request, {"person_id": str(uuid.uuid4())})


async def person_create(request: Request) -> Response:
    _worker(request)
    values_form = await request.form(max_files=1)
    values = {k: v for k, v in values_form.items() if isinstance(v, str)}
    kept = {k: values.get(k, "") for k in ("person_id", "display_name", "language", "can_act", "expires_at")}
    try:
        person_id = str(uuid.UUID(kept["person_id"]))
    except ValueError:
        person_id = kept["person_id"] = str(uuid.uuid4())
    sent = uploaded_files(values_form, "scan")
    if not sent:
        return _paper_form(request, kept, {"scan": message("paper_scan_missing")}, 400)
    accepted = load_catalogue().media_types(SCAN_PIECE)
    try:
        received = await receive(request, sent[0], accepted)
    except uploads.UploadRefused as refused:  # say why, keep what was typed
        return _paper_form(request, kept, {"scan": upload_refusal(request, refused)}, 400)
    finally:
        await sent[0].close()
    args = {
        "person_id": person_id,
        "display_name": kept["display_name"],
        "language": kept["language"],
        "mandate": {
            "paper_blob": received.sha256,
            "can_act": kept["can_act"] == "1",
            "expires_at": kept["expires_at"],
        },
    }
    try:
        result = await apply_with_blobs(request, [received], "person.create", args)
    except uploads.UploadRefused as refused:
        return _paper_form(request, kept, {"scan": upload_refusal(request, refused)}, 400)
    if not result.applied:
        field = {"paper_blob": "scan", "mandate": "scan"}.get(result.field or "", result.field)
        return _paper_form(request, kept, {field or "form": message(result.code)}, 400)
    return redirect("/worker?done=person_recorded")


async def mandate_form(request: Request) -> Response:
    """The paper mandate to print and have signed (print CSS: one A4 page)."""
    who = _worker(request)
    found = await db(request).read(organisations.get, who.organisation)
    if found is None:
        raise not_found()
    return templates(request).render(request, "worker/mandate_form.html", {"organisation": found})


async def export(request: Request) -> Response:
    """`Exporter les chiffres`: counts only, for the organisation's own reports."""
    who = _worker(request)
    now = clock.now()
    rows = await db(request).read(followed.counts, who.organisation, now)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["indicator", "count", "as_of"])
    day = now.date().isoformat()
    for name, count in rows:
        writer.writerow([name, count, day])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="sesame-chiffres-{day}.csv"', **NO_STORE},
    )
