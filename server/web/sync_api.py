"""The sync API: push commands from a phone's outbox, pull what changed.

    POST /sync/push   {client, account, commands: [...]} → {results: [...]}
    GET  /sync/pull?cursor=N                             → {cursor, records, more}

Each pushed command is applied in its own transaction, in the order sent; a
command already applied returns its first result. A refused command comes back
with its code and a sentence in the person's language, to show beside what they
typed. Answers are JSON, small on purpose: an idle pull is one request under 1 KB.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import commands
from server.domain import feed as feed_sources
from sync import feed
from sync.protocol import PROTOCOL_VERSION, Command, ProtocolError, Result

from .appointments import refusal_detail
from .common import actor, db
from .messages import message
from .texts import problem_text

MAX_COMMANDS = 200
MAX_BODY = 2 * 1024 * 1024


def _json(data: Any, status_code: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(
        body, status_code=status_code, media_type="application/json", headers={"cache-control": "no-store"}
    )


def _signed_out() -> Response:
    return _json({"error": "signed_out", "message": message("signed_out_sync")}, 401)


async def push(request: Request) -> Response:
    who = actor(request)
    if not who.signed_in:
        return _signed_out()
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return _json({"error": "too_large"}, 413)
    try:
        body = json.loads(await request.body())
    except ValueError:
        return _json({"error": "bad_request"}, 400)
    if not isinstance(body, dict) or not isinstance(body.get("commands"), list):
        return _json({"error": "bad_request"}, 400)
    if body.get("account") not in (None, who.account_id):
        # Queued by someone else on this device: never applied as this person.
        return _json({"error": "account_mismatch", "message": message("account_mismatch")}, 403)
    if len(body["commands"]) > MAX_COMMANDS:
        return _json({"error": "too_many", "max": MAX_COMMANDS}, 413)
    results = []
    for raw in body["commands"]:
        try:
            command = Command.from_json(raw)
        except ProtocolError:
            command_id = raw.get("id") if isinstance(raw, dict) else None
            results.append(_result_json(Result(id=str(command_id), status="refused", code="bad_command")))
            continue
        result = await db(request).write(commands.apply, command, who)
        results.append(_result_json(result))
    conflict = any(r.get("code") == "id_conflict" for r in results)
    return _json({"protocol": PROTOCOL_VERSION, "results": results}, 409 if conflict else 200)


def _result_json(result: Result) -> dict[str, Any]:
    out = result.to_json()
    if not result.applied:
        out["message"] = message(result.code)
        # "Incomplete" says what is missing, so the phone can show it with the refusal.
        # A booking refused because the slot filled meanwhile says what is free instead.
        detail = refusal_detail(result.data)
        if detail:
            out["message"] += " " + detail
        problems = result.data.get("problems") or []
        if problems:
            out["message"] += " " + " ; ".join(
                problem_text(p["code"], p.get("field"), p.get("piece")) for p in problems
            )
    return out


async def pull(request: Request) -> Response:
    who = actor(request)
    if not who.signed_in:
        return _signed_out()
    try:
        cursor = max(0, int(request.query_params.get("cursor", "0")))
    except ValueError:
        return _json({"error": "bad_request"}, 400)
    sources, params = feed_sources.sources_for(who)
    page = await db(request).read(feed.read_page, sources, params, cursor)
    return _json({"cursor": page.cursor, "records": page.records, "more": page.more})
