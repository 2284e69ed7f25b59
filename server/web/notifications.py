"""The account page's "Be told" section: channels, the e-mail address and
phone number, discreet messages, quiet hours; the messages that could not
reach the person, and the last ones sent (when, how, delivered — never what)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.notify import channels, contacts, preferences
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
    names = _organisation_names(conn, account_id)
    return {
        "notify": preferences.get(conn, account_id),
        "notify_organisations": names,
        "notify_failures": [Sent(r["at"], r["channel"], False) for r in failures],
        "notify_log": [Sent(r["at"], r["channel"], bool(r["delivered"])) for r in log],
        "channel_names": CHANNEL_NAMES,
        # Confirmed or not (ADR 0029), and whether this server sends by that means at all.
        "contacts": contacts.contacts(conn, account_id, clock.now()),
        "confirmable": set(channels.senders()) & set(contacts.CHANNELS),
    }


def _organisation_names(conn: sqlite3.Connection, account_id: str) -> list[str]:
    """The organisations holding a live mandate of this person (the channel's addressees)."""
    from server.notify.organisation import live_organisations

    ids = [o["id"] for o in live_organisations(conn, account_id)]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return [
        r["name"]
        for r in conn.execute(f"SELECT name FROM organisations WHERE id IN ({marks}) ORDER BY name", ids)
    ]


async def save(request: Request) -> Response:
    from .account import _page  # the page this form belongs to

    values = await form(request)
    keys = ("email", "phone", "quiet_start", "quiet_end", "shown", *preferences.BOXES)
    args: dict[str, Any] = {k: values[k] for k in keys if k in values}
    result = await run_command(request, "notify.preferences", args, values.get("command_id"))
    if not result.applied:
        errors = {result.field or "form": message(result.code)}
        return await _page(request, values=values, errors=errors, status_code=400, notify_values=True)
    return redirect("/account?done=notify_saved#notify")


# -- the worker's side: people followed who could not be reached ------------------


@dataclass(frozen=True)
class Reach:
    person_id: str
    display_name: str
    news: list[str]  # when the organisation was told this person has news (newest first)
    failures: list[Sent]  # messages to the person that could not reach them
    unconfirmed: list[str] = field(default_factory=list)  # email | sms given, never confirmed (ADR 0029)


def worker_data(conn: sqlite3.Connection, organisation_id: str | None) -> list[Reach]:
    """For each person the organisation holds a live mandate for: when the
    organisation was told of news (the person chose it), and what could not
    reach them in the last 30 days."""
    from server.domain import mandates

    now = clock.now()
    since = clock.iso(now - timedelta(days=FAILURE_DAYS))
    sending = set(channels.senders())  # an address this server never writes to needs no code
    found = []
    for person in mandates.people_followed(conn, organisation_id, now):
        failures = conn.execute(
            "SELECT channel, max(created_at) AS at FROM notify_sends WHERE account_id = ? AND state = 'failed'"
            " AND channel != 'organisation' AND created_at >= ? GROUP BY notice_id, channel ORDER BY at DESC LIMIT ?",
            (person.id, since, SHOWN),
        ).fetchall()
        news = conn.execute(
            "SELECT DISTINCT s.created_at FROM notify_sends s JOIN notify_log l ON l.send_id = s.id"
            " WHERE s.account_id = ? AND s.channel = 'organisation' AND l.channel_id = ? AND l.delivered = 1"
            " AND s.created_at >= ? ORDER BY s.created_at DESC LIMIT ?",
            (person.id, organisation_id, since, SHOWN),
        ).fetchall()
        found.append(
            Reach(
                person.id,
                person.display_name,
                [r["created_at"] for r in news],
                [Sent(r["at"], r["channel"], False) for r in failures],
                [
                    c.channel
                    for c in contacts.contacts(conn, person.id, now).values()
                    if c.address and not c.confirmed and c.channel in sending
                ],
            )
        )
    # Those who could not be reached first: they are the ones to call.
    return sorted(found, key=lambda r: (not (r.failures or r.unconfirmed), r.display_name.casefold()))


async def worker_reach(request: Request) -> Response:
    from .common import actor, db, templates

    who = actor(request)
    people = await db(request).read(worker_data, who.organisation)
    return templates(request).render(
        request, "worker/reach.html", {"people": people, "channel_names": CHANNEL_NAMES}
    )
