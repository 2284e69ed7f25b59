""" "I'm blocked": the report form (anyone, signed in or not), its written
acknowledgement (page and PDF), the person's list of reports, and the one
question of users' voice.

The form works as plain HTML. With JavaScript, `pwa/blocked.js` sends it in the
background and, with no network, keeps it on the device until it can be sent
(anonymous: its own small queue, replayed to `/blocked/send`; signed in: the
outbox, command `blocked.report`). The report's id is made on the device, and
is also the command's id: a report sent twice is recorded once.

An anonymous person reaches their acknowledgement by its number and the key in
its link (`blockages.link_key`); a signed-in person, from their account.
"""

from __future__ import annotations

import hmac
import json
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import clock, translation
from server.auth.policy import NOBODY
from server.domain import blockages, geography, letters, prefecture_info
from server.domain.blockages import Report
from server.translation import N_
from sync.protocol import Command, Result

from . import blocked_letter
from .blocked_letter import Channel
from .common import actor, db, form, limit, not_found, redirect, run_command, safe_next, settings, templates
from .errors import render_error
from .messages import done, message

LETTER_UNAVAILABLE = N_(
    "Le PDF ne peut pas être créé pour l’instant sur ce serveur. L’accusé de réception reste valable"
    " sur cette page : imprimez-la ou gardez-en une capture."
)
FORM_FIELDS = ("kind", "weeks", "details", "departement", "contact", "language")


def _args(values: dict[str, Any], lang: str) -> dict[str, Any]:
    args = {k: str(values.get(k) or "") for k in FORM_FIELDS}
    args["language"] = args["language"] or lang
    return args


def _report_id(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value or "")))
    except ValueError:
        return str(uuid.uuid4())


def link(request: Request, result: dict[str, Any], signed_in: bool) -> str:
    """Where the acknowledgement is: by its number, with the key for an anonymous person."""
    number = result["number"]
    if signed_in:
        return f"/blocked/{number}"
    key = blockages.link_key(str(settings(request).secret_key), result["report_id"])
    return f"/blocked/{number}?key={key}"


async def _form(
    request: Request, values: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    who = actor(request)

    def load(conn: Any) -> dict[str, Any]:
        if not who.signed_in or who.account_id is None:
            return {"mine": [], "usual": ""}
        row = conn.execute(
            "SELECT departement FROM files WHERE owner_id = ? AND departement IS NOT NULL"
            " ORDER BY updated_at DESC LIMIT 1",
            (who.account_id,),
        ).fetchone()
        return {
            "mine": blockages.for_account(conn, who.account_id)[:5],
            "usual": row["departement"] if row else "",
        }

    data = await db(request).read(load)
    if not values.get("departement") and data["usual"]:
        values = {**values, "departement": data["usual"]}
    return templates(request).render(
        request,
        "blocked/form.html",
        {
            "values": values,
            "errors": errors or {},
            "kinds": blockages.KINDS,
            "kind_labels": blocked_letter.KIND_LABELS,
            "departements": sorted(geography.departements().values(), key=lambda d: d.code),
            "report_id": str(uuid.uuid4()),
            "mine": data["mine"],
            "page_data": {"signedIn": who.signed_in and who.role == "applicant"},
        },
        status_code=status_code,
    )


async def page(request: Request) -> Response:
    kind = request.query_params.get("kind", "")
    return await _form(request, {"kind": kind if kind in blockages.KINDS else ""})


def _errors(result: Result) -> dict[str, str]:
    return {result.field if result.field in FORM_FIELDS else "form": message(result.code)}


async def _apply(request: Request, report_id: str, args: dict[str, Any]) -> Result:
    return await run_command(request, "blocked.report", {**args, "report_id": report_id}, report_id)


async def send(request: Request) -> Response:
    limit(request, "blocked")
    values = await form(request)
    args = _args(values, request.state.lang)
    result = await _apply(request, _report_id(values.get("report_id")), args)
    if not result.applied:
        return await _form(request, args, _errors(result), 400)
    url = link(request, result.data, actor(request).signed_in)
    return redirect(url + ("&" if "?" in url else "?") + "done=report_sent")


async def send_json(request: Request) -> Response:
    """The device's queue replays a report here (JSON), by its own id."""
    limit(request, "blocked")
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return JSONResponse({"error": "bad_request", "message": message("bad_command")}, status_code=400)
    report_id = str(body.get("report_id") or "")
    try:
        report_id = str(uuid.UUID(report_id))
    except ValueError:
        return JSONResponse({"error": "invalid", "field": "report_id", "message": message("invalid")}, 400)
    result = await _apply(request, report_id, _args(body, request.state.lang))
    if not result.applied:
        return JSONResponse(
            {"error": result.code, "field": result.field, "message": message(result.code or "invalid")},
            status_code=400,
        )
    data = result.data
    return JSONResponse(
        {
            "number": data["number"],
            "created_at": data["created_at"],
            "due": data["due"],
            "url": link(request, data, actor(request).signed_in),
        },
        headers={"cache-control": "no-store"},
    )


async def by_id(request: Request) -> Response:
    """A signed-in person's report by the id their device made (the outbox knows only that)."""
    who = actor(request)
    found = await db(request).read(blockages.get, request.path_params["report_id"])
    if found is None or found.account_id != who.account_id:
        raise not_found()
    return redirect(f"/blocked/{found.number}")


async def _load(request: Request) -> tuple[Report, str]:
    """The report in the URL, for its owner or for whoever holds its key; else 404."""
    number = request.path_params["number"].removesuffix(".pdf")
    found = await db(request).read(blockages.by_number, number)
    if found is None:
        raise not_found()
    who = actor(request)
    if found.account_id is not None and found.account_id == who.account_id:
        return found, ""
    key = request.query_params.get("key", "")
    expected = blockages.link_key(str(settings(request).secret_key), found.id)
    if not hmac.compare_digest(key.encode(), expected.encode()):
        raise not_found()
    return found, key


async def channels(request: Request, report: Report, reader: str) -> dict[str, Channel]:
    code = report.departement
    url = f"{settings(request).origin}/prefectures/{code}" if code else None

    def load(conn: Any) -> dict[str, Channel]:
        return {
            lang: Channel(prefecture_info.substitution_channel(conn, code, lang), url)
            for lang in blocked_letter.languages(reader)
        }

    return await db(request).read(load)


async def acknowledgement(request: Request) -> Response:
    report, key = await _load(request)
    lang = request.state.lang
    found = await channels(request, report, lang)
    return templates(request).render(
        request,
        "blocked/acknowledgement.html",
        {
            "report": report,
            "key": key,
            "sections": blocked_letter.sections(report, lang, found),
            "answer_label": blocked_letter.answer_label,
            "kind_label": blocked_letter.kind_label,
            "departement": geography.get(report.departement),
            "done": done(request.query_params.get("done")),
            "here": request.url.path + (f"?key={key}" if key else ""),
        },
        headers={"cache-control": "private, no-cache"},
    )


async def letter(request: Request) -> Response:
    report, _ = await _load(request)
    lang = request.state.lang
    words = blocked_letter.letter(report, lang, await channels(request, report, lang))
    try:
        body = await run_in_threadpool(letters.render, words)
    except letters.FontsMissing:
        return render_error(request, 503, translation.gettext(LETTER_UNAVAILABLE))
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="{blocked_letter.filename(report)}"',
            "cache-control": "private, no-store",
        },
    )


async def mine(request: Request) -> Response:
    who = actor(request)
    reports = await db(request).read(blockages.for_account, who.account_id or "")
    return templates(request).render(
        request,
        "blocked/mine.html",
        {"reports": reports, "kind_label": blocked_letter.kind_label},
    )


# -- users' voice ---------------------------------------------------------------------


async def give_voice(request: Request) -> Response:
    """One optional question after an answer. Applied as nobody: the opinion is
    not tied to the person, not even in the command log."""
    limit(request, "voice")
    values = await form(request)
    back = safe_next(values.get("next"), "/")
    from server import commands  # the registry imports every domain module

    command = Command(
        id=str(uuid.uuid4()),
        client="web:voice",
        seq=0,
        op="voice.give",
        args={k: values.get(k, "") for k in ("context", "departement", "clear", "text")},
        at=clock.iso(clock.now()),
    )
    result = await db(request).write(commands.apply, command, NOBODY)
    separator = "&" if "?" in back else "?"
    if not result.applied:
        code = "voice_empty" if result.code == "voice_empty" else "voice_refused"
        return redirect(f"{back}{separator}voice={code}#voice")
    return redirect(f"{back}{separator}done=voice_thanks")
