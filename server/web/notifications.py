"""The account page's "Be told" section: channels, the e-mail address and
phone number, discreet messages, quiet hours; the messages that could not
reach the person, and the last ones sent (when, how, delivered — never what)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.notify import preferences
from server.translation import N_

from .common import form, redirect, run_command
from .messages import message

FAILURE_DAYS = 30
SHOWN = 10
CHANNEL_NAMES = {
    "push": N_("notification"),
    "email": N_("courriel"),
    "sms": N_("SMS"),
    "organisation": N_("votre organisation d’accompagnement"),
}


@dataclass(frozen=True)
class Sent:
    at: str
    channel: str
    delivered: bool


def account_data(conn: sqlite3.Connection, account_id: str) -> dict[str, Any]:
    """What the section shows: the choices, failures of the last 30 days, the last messages."""
    since = clock.iso(clock.now() - timedelta(days=FAILURE_DAYS))
    failures = conn.execute(
        "SELECT channel, max(created_at) AS at FROM notify_sends WHERE account_id = ? AND state = 'failed'"
        " AND created_at >= ? GROUP BY notice_id, channel ORDER BY at DESC LIMIT ?",
        (account_id, since, SHOWN),
    ).fetchall()
    log = conn.execute(
        "SELECT at, channel, max(delivered) AS delivered FROM notify_log WHERE account_id = ?"
        " GROUP BY send_id, attempt ORDER BY at DESC, id DESC LIMIT ?",
        (account_id, SHOWN),
    ).fetchall()
    return {
        "notify": preferences.get(conn, account_id),
        "notify_failures": [Sent(r["at"], r["channel"], False) for r in failures],
        "notify_log": [Sent(r["at"], r["channel"], bool(r["delivered"])) for r in log],
        "channel_names": CHANNEL_NAMES,
    }


async def save(request: Request) -> Response:
    from .account import _page  # the page this form belongs to

    values = await form(request)
    args: dict[str, Any] = {
        "email": values.get("email", ""),
        "phone": values.get("phone", ""),
        "quiet_start": values.get("quiet_start", ""),
        "quiet_end": values.get("quiet_end", ""),
        # An unticked box is not sent: absent means off.
        **{f"by_{name}": f"by_{name}" in values for name in ("push", "email", "sms")},
        "discreet": "discreet" in values,
    }
    result = await run_command(request, "notify.preferences", args, values.get("command_id"))
    if not result.applied:
        errors = {result.field or "form": message(result.code)}
        return await _page(request, values=values, errors=errors, status_code=400, notify_values=True)
    return redirect("/account?done=notify_saved#notify")
