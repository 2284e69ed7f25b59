"""What each person chose: which channels may reach them, discreet messages,
quiet hours. All optional: an account without a row here has the defaults
(every channel it has an address for, text shown, quiet 21:00–08:00 Paris time).

The e-mail address and the phone number are the account's own (`accounts.email`,
`accounts.phone`, optional since the start); `notify.preferences` changes them
together with the choices, as one command.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server import clock
from server.auth import policy
from server.domain import accounts
from sync.engine import Context, Refused, text

CHANNELS = ("push", "email", "sms", "organisation")
TIMEZONE = "Europe/Paris"
QUIET_START = "21:00"
QUIET_END = "08:00"
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class Preferences:
    push: bool = True
    email: bool = True
    sms: bool = True
    organisation: bool = False  # the organisation relays only when the person says so
    discreet: bool = False
    quiet_start: str | None = QUIET_START  # None: no quiet hours
    quiet_end: str | None = QUIET_END
    timezone: str = TIMEZONE

    def enabled(self, channel: str) -> bool:
        return bool(getattr(self, channel, False)) if channel in CHANNELS else True

    def quiet_at(self, moment: datetime) -> bool:
        """Is `moment` inside the quiet hours (in the person's time zone)?"""
        if not self.quiet_start or not self.quiet_end or self.quiet_start == self.quiet_end:
            return False
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        start, end = _time(self.quiet_start), _time(self.quiet_end)
        if start < end:
            return start <= local < end
        return local >= start or local < end  # across midnight

    def quiet_ends_after(self, moment: datetime) -> datetime:
        """The first moment at or after `moment` outside the quiet hours."""
        if not self.quiet_at(moment):
            return moment
        assert self.quiet_end is not None
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        end = _time(self.quiet_end)
        day = local.date() if local.time() < end else local.date() + timedelta(days=1)
        # Built from the wall-clock time in the zone: right across a DST change.
        return datetime.combine(day, end, tzinfo=zone).astimezone(moment.tzinfo)


def _time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def get(conn: sqlite3.Connection, account_id: str) -> Preferences:
    row = conn.execute("SELECT * FROM notify_preferences WHERE account_id = ?", (account_id,)).fetchone()
    if row is None:
        return Preferences()
    return Preferences(
        push=bool(row["push"]),
        email=bool(row["email"]),
        sms=bool(row["sms"]),
        organisation=bool(row["organisation"]),
        discreet=bool(row["discreet"]),
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        timezone=row["timezone"] or TIMEZONE,
    )


def save(conn: sqlite3.Connection, account_id: str, prefs: Preferences, version: int) -> None:
    conn.execute(
        "INSERT INTO notify_preferences (account_id, push, email, sms, organisation, discreet,"
        " quiet_start, quiet_end, timezone, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (account_id) DO UPDATE SET push = excluded.push, email = excluded.email,"
        " sms = excluded.sms, organisation = excluded.organisation, discreet = excluded.discreet,"
        " quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,"
        " timezone = excluded.timezone, updated_at = excluded.updated_at, version = excluded.version",
        (
            account_id,
            int(prefs.push),
            int(prefs.email),
            int(prefs.sms),
            int(prefs.organisation),
            int(prefs.discreet),
            prefs.quiet_start,
            prefs.quiet_end,
            prefs.timezone,
            clock.iso(clock.now()),
            version,
        ),
    )


# -- validation and the command ---------------------------------------------
# Codes raised here (field in brackets): quiet_format [quiet_start | quiet_end];
# email_format [email]; phone_format [phone] (from accounts).


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, list):  # a ticked box, as the phone's outbox sends it: ["1"]
        return any(_flag(v) for v in value)
    return str(value or "").strip().lower() in ("1", "on", "true", "yes")


BOXES = (*(f"by_{c}" for c in CHANNELS), "discreet")


def unticked(args: dict[str, Any]) -> dict[str, Any]:
    """A form sends no value for an unticked box: `shown` names the boxes the
    page showed, and those absent are off (other keys absent keep their value)."""
    shown = args.pop("shown", None)
    names = shown if isinstance(shown, list) else str(shown or "").split()
    for name in names:
        if name in BOXES:
            args.setdefault(name, False)
    return args


def clean_quiet(value: Any, name: str) -> str | None:
    hhmm = str(value or "").strip()
    if not hhmm:
        return None
    if len(hhmm) == 4 and hhmm[1] == ":":
        hhmm = "0" + hhmm  # 8:00 as typed
    if not _HHMM.match(hhmm):
        raise Refused("quiet_format", name)
    return hhmm


def clean(args: dict[str, Any], current: Preferences) -> Preferences:
    """The preferences `args` asks for; absent keys keep their current value.
    Quiet hours come as a pair: one of the two empty means none."""
    values: dict[str, Any] = {}
    for name in CHANNELS:
        if f"by_{name}" in args:
            values[name] = _flag(args[f"by_{name}"])
    if "discreet" in args:
        values["discreet"] = _flag(args["discreet"])
    if "quiet_start" in args or "quiet_end" in args:
        start = clean_quiet(args.get("quiet_start", current.quiet_start), "quiet_start")
        end = clean_quiet(args.get("quiet_end", current.quiet_end), "quiet_end")
        if (start is None) != (end is None):
            raise Refused("quiet_format", "quiet_end" if start else "quiet_start")
        values["quiet_start"], values["quiet_end"] = start, end
    return Preferences(**{**current.__dict__, **values})


def handle_preferences(ctx: Context[policy.Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`notify.preferences`: one's own channels (`by_push`, `by_email`, `by_sms`,
    `by_organisation`), `discreet` (`shown`: the boxes a form showed, those
    absent being unticked), quiet hours (`quiet_start`, `quiet_end`,
    HH:MM, both empty: none) and the `email` address and `phone` number they
    go to. Any subset; absent keys keep their value."""
    actor = ctx.actor
    if not actor.signed_in or actor.account_id is None:
        raise Refused("forbidden")
    account_id = text(args, "account_id", actor.account_id)
    if not policy.may_act_on_account(actor, account_id) or accounts.get(ctx.conn, account_id) is None:
        raise Refused("forbidden")
    args = unticked(dict(args))
    args.pop("account_id", None)
    known = {"email", "phone", "quiet_start", "quiet_end", *BOXES}
    unknown = set(args) - known
    if unknown:
        raise Refused("invalid", sorted(unknown)[0])
    prefs = clean(args, get(ctx.conn, account_id))
    contact: dict[str, Any] = {name: args[name] for name in ("email", "phone") if name in args}
    changed = sorted(accounts.update_profile(ctx.conn, account_id, contact, ctx.version))
    save(ctx.conn, account_id, prefs, ctx.version)
    return {"changed": changed}


HANDLERS = {"notify.preferences": handle_preferences}
