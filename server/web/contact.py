"""Confirming one's e-mail address or phone number (ADR 0029): the page that
sends a code there, and takes it back.

Online only, and on purpose: the code comes by e-mail or SMS, now. Sending is
limited (an SMS costs money; a number someone else typed must not be
flooded): three codes an hour per account and channel, ten a day per
address; trying codes, ten an address per quarter of an hour besides the
five wrong tries a code allows. Each code sent is logged like every message
(channel, when, delivered — never the code nor the address).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.auth import tokens
from server.notify import channels, contacts

from .common import actor, db, form, limit, not_found, redirect, settings, templates
from .messages import done, message


def _channel(request: Request) -> str:
    channel = str(request.path_params["channel"])
    if channel not in contacts.CHANNELS:
        raise not_found()
    return channel


def _language(conn: Any, account_id: str) -> str:
    row = conn.execute("SELECT language FROM accounts WHERE id = ?", (account_id,)).fetchone()
    return str(row["language"]) if row and row["language"] else "fr"


async def _page(
    request: Request, channel: str, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    who = actor(request)
    found = await db(request).read(contacts.contact, who.account_id, channel, clock.now())
    if not found.address:
        return redirect("/account#notify")
    return templates(request).render(
        request,
        "account/contact.html",
        {
            "contact": found,
            "available": channel in channels.senders(),
            "errors": errors or {},
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
    )


async def page(request: Request) -> Response:
    return await _page(request, _channel(request))


async def send_code(request: Request) -> Response:
    channel = _channel(request)
    who = actor(request)
    assert who.account_id is not None
    sender = channels.senders().get(channel)
    if sender is None or not hasattr(sender, "deliver"):
        return await _page(request, channel, {"form": message("contact_unavailable")}, 400)
    found = await db(request).read(contacts.contact, who.account_id, channel, clock.now())
    if not found.address or found.confirmed:
        return await _page(request, channel)
    secret = str(settings(request).secret_key)
    # Per account and channel, and per address (its HMAC: the limiter keeps no number).
    limit(
        request,
        "contact_code",
        account=f"{who.account_id}:{channel}",
        address=tokens.keyed_digest(secret, found.address),
    )

    def make(conn: Any) -> tuple[tuple[str, str] | None, str]:
        made = contacts.new_code(conn, secret, who.account_id, channel, clock.now())
        return made, _language(conn, who.account_id)

    made, lang = await db(request).write(make)
    if made is None:
        return await _page(request, channel)
    address, code = made
    key = str(uuid.uuid4())
    outcomes = await run_in_threadpool(sender.deliver, address, contacts.code_message(key, code, lang))

    def log(conn: Any) -> None:
        at = clock.iso(clock.now())
        conn.executemany(
            "INSERT INTO notify_log (send_id, account_id, channel, channel_id, at, attempt, delivered, error)"
            " VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            [
                (f"code:{key}", who.account_id, channel, o.channel_id, at, int(o.delivered), o.error)
                for o in outcomes
            ],
        )

    await db(request).write(log)
    if not any(o.delivered for o in outcomes):
        # Busy or unreachable: try again soon; refused: the address itself is wrong.
        why = "contact_not_sent" if any(o.retryable for o in outcomes) else f"contact_refused_{channel}"
        return await _page(request, channel, {"form": message(why)}, 400)
    return redirect(f"/account/contact/{channel}?done=code_sent#f-code")


async def confirm(request: Request) -> Response:
    channel = _channel(request)
    who = actor(request)
    values = await form(request)
    limit(request, "contact_confirm", account=who.account_id)
    secret = str(settings(request).secret_key)
    outcome = await db(request).write(
        contacts.check, secret, who.account_id, channel, values.get("code", "")[:40], clock.now()
    )
    if outcome == "confirmed":
        return redirect(f"/account?done={channel}_confirmed#notify")
    return await _page(request, channel, {"code": message(outcome)}, 400)
