"""The sync API: push commands from a phone's outbox, pull what changed.

    POST /sync/push   {client, account, epoch?, commands: [...]}
                      → {protocol, epoch, commit, durable, results: [...]}
    GET  /sync/pull?cursor=N → {epoch, durable, cursor, records, more}

A pushed batch is applied in ONE write transaction, in the order sent, one
savepoint per command (sync/engine.py): a command already applied by this
person returns its first result, a malformed or refused one is refused alone
and never stops those after it. A refusal comes back with its code and a
sentence in the person's language, to show beside what they typed.

`epoch` names this database's life; `commit` numbers the commit that holds the
batch; `durable` is the highest commit known to be in the replica. The phone
keeps every command until `durable` reaches its commit, and after a new epoch
(a restore) pushes again what it kept and pulls from the start (docs/adr/0008).
A push naming an old epoch applies nothing: 409 `epoch_changed`, so what the
phone kept goes first, in order. Answers are JSON, small on purpose: an idle
pull is one request under 1 KB.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock, commands
from server.auth.policy import Actor
from server.domain import feed as feed_sources
from server.domain import mandates
from server.store import replica
from sync import feed, log
from sync.bounded_json import BadJSON, loads
from sync.durability import Durability
from sync.protocol import MAX_SEQ, PROTOCOL_VERSION, Command, ProtocolError, Result

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


def durability(request: Request) -> Durability:
    """The app's durable mark, made on first use: Litestream's control socket is
    there when `sesame serve` runs the app; without it there is no replica."""
    state = request.app.state
    found: Durability | None = getattr(state, "durability", None)
    if found is None:
        database = db(request)
        socket = replica.socket_path(state.settings.data_dir)
        replicate = (lambda: replica.replicated(database.path, socket)) if socket.exists() else None
        found = state.durability = Durability(lambda: database.read_sync(log.current_commit), replicate)
    return found


async def push(request: Request) -> Response:
    who = actor(request)
    if not who.signed_in:
        return _signed_out()
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return _json({"error": "too_large"}, 413)
    try:
        body = loads(await request.body())
    except BadJSON:
        return _json({"error": "bad_request"}, 400)
    if not isinstance(body, dict) or not isinstance(body.get("commands"), list):
        return _json({"error": "bad_request"}, 400)
    if body.get("account") not in (None, who.account_id):
        # Queued by someone else on this device: never applied as this person.
        return _json({"error": "account_mismatch", "message": message("account_mismatch")}, 403)
    if len(body["commands"]) > MAX_COMMANDS:
        return _json({"error": "too_many", "max": MAX_COMMANDS}, 413)
    epoch = body.get("epoch")
    if epoch is not None and not isinstance(epoch, str):
        return _json({"error": "bad_request"}, 400)
    parsed: list[Command | Result] = []
    targets: list[str | None] = []
    for raw in body["commands"]:
        try:
            command = Command.from_json(raw)
            target = _target(raw, who)
        except ProtocolError:
            # Refused alone: the commands after it still apply.
            command_id = raw.get("id") if isinstance(raw, dict) else None
            parsed.append(Result(id=_echo(command_id), status="refused", code="bad_command"))
        else:
            parsed.append(command)
            targets.append(target)
    batch = [c for c in parsed if isinstance(c, Command)]
    marks = durability(request)
    outcome = await db(request).write(commands.apply_pushed, batch, who, epoch, targets)
    if isinstance(outcome, str):
        return _json({"error": "epoch_changed", "epoch": outcome}, 409)
    applied, current, commit = outcome
    marks.noticed()
    answers = iter(applied)
    results = [_result_json(next(answers) if isinstance(item, Command) else item) for item in parsed]
    conflict = any(r.get("code") == "id_conflict" for r in results)
    return _json(
        {
            "protocol": PROTOCOL_VERSION,
            "epoch": current,
            "commit": commit,
            "durable": marks.mark(commit),
            "results": results,
        },
        409 if conflict else 200,
    )


def _target(raw: dict[str, Any], who: Actor) -> str | None:
    """The person a worker's command is for (`"for"`); only workers name one."""
    target = raw.get("for")
    if target is None:
        return None
    if who.role != "worker" or not isinstance(target, str) or not 0 < len(target) <= 64:
        raise ProtocolError("for names a person, and only a worker's command has it")
    return target


def _echo(command_id: Any) -> str:
    """The id of a malformed command, as the phone sent it when it is text."""
    return command_id[:100] if isinstance(command_id, str) else str(None)


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


def _page(
    conn: sqlite3.Connection, sources: list[feed.Source], params: dict[str, Any], cursor: int
) -> tuple[feed.Page, str, int]:
    return feed.read_page(conn, sources, params, cursor), log.epoch(conn), log.current_commit(conn)


async def pull(request: Request) -> Response:
    who = actor(request)
    if not who.signed_in:
        return _signed_out()
    raw = request.query_params.get("cursor", "0")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_SEQ:
        return _json({"error": "bad_request"}, 400)
    person = request.query_params.get("for")
    if person is not None:
        # A worker pulls one person's records, under a live mandate (view or act).
        found = await db(request).read(mandates.best_for, who.organisation, person, clock.now())
        if who.role != "worker" or found is None:
            return _json({"error": "mandate_ended", "message": message("mandate_ended")}, 403)
        sources, params = feed_sources.for_worker(person, found.file_id)
    else:
        sources, params = feed_sources.sources_for(who)
    page, epoch, commit = await db(request).read(_page, list(sources), dict(params), int(raw))
    return _json(
        {
            "epoch": epoch,
            "durable": durability(request).mark(commit),
            "cursor": page.cursor,
            "records": page.records,
            "more": page.more,
        }
    )


async def people(request: Request) -> Response:
    """`GET /sync/people`: everyone the worker's organisation follows under a
    live mandate. A person not listed leaves the worker's devices."""
    who = actor(request)
    followed = await db(request).read(mandates.people_followed, who.organisation, clock.now())
    return _json(
        {"people": [{"id": f.id, "display_name": f.display_name, "mandate": f.mandate.to_json()} for f in followed]}
    )
