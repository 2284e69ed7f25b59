"""A prefecture's counters, their slots, and who booked which (reading side).

Slots are computed from each counter's weekly hours, slot length, capacity,
closures and booking horizon; they are never stored (docs/adr/0017): an
administrator who changes the hours changes the slots at once, and the only
rows are the bookings. Times are local to the prefecture (Europe/Paris, as
the counter's clock says), written `YYYY-MM-DDTHH:MM`.

The commands are in `appointment_commands.py`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from server import clock

PARIS = ZoneInfo("Europe/Paris")
KINDS = ("card_pickup", "help_desk", "substitution")
WEEKDAYS = range(7)  # Monday = 0, as datetime.weekday()
MAX_HORIZON = 180
MAX_CAPACITY = 50
SLOT_MINUTES = (10, 15, 20, 30, 45, 60, 90, 120)


@dataclass(frozen=True)
class Hours:
    weekday: int
    opens: str  # HH:MM
    closes: str


@dataclass(frozen=True)
class Desk:
    id: str
    departement: str
    name: str
    address: str
    kinds: tuple[str, ...]
    slot_minutes: int
    capacity: int
    horizon_days: int
    updated_at: str
    closed: bool
    hours: tuple[Hours, ...] = ()
    closures: tuple[tuple[str, str], ...] = ()  # (YYYY-MM-DD, reason)

    @classmethod
    def from_row(cls, row: sqlite3.Row, hours: list[Hours], closures: list[tuple[str, str]]) -> Desk:
        return cls(
            id=row["id"],
            departement=row["departement"],
            name=row["name"],
            address=row["address"],
            kinds=tuple(json.loads(row["kinds"])),
            slot_minutes=row["slot_minutes"],
            capacity=row["capacity"],
            horizon_days=row["horizon_days"],
            updated_at=row["updated_at"],
            closed=row["closed_at"] is not None,
            hours=tuple(hours),
            closures=tuple(closures),
        )


@dataclass(frozen=True)
class Slot:
    desk_id: str
    starts_at: str  # local, YYYY-MM-DDTHH:MM
    ends_at: str
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)


@dataclass(frozen=True)
class Appointment:
    id: str
    file_id: str
    person_id: str
    desk_id: str
    kind: str
    starts_at: str
    ends_at: str
    status: str
    booked_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Appointment:
        return cls(
            id=row["id"],
            file_id=row["file_id"],
            person_id=row["person_id"],
            desk_id=row["desk_id"],
            kind=row["kind"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            status=row["status"],
            booked_at=row["booked_at"],
        )


def now_local() -> datetime:
    """The prefecture's wall clock, without a zone (slots are written so)."""
    return clock.now().astimezone(PARIS).replace(tzinfo=None, second=0, microsecond=0)


def local(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def to_utc(value: str) -> datetime:
    """A local slot time as a moment in UTC (the .ics file speaks UTC)."""
    return local(value).replace(tzinfo=PARIS).astimezone(ZoneInfo("UTC"))


# -- counters ------------------------------------------------------------------------------


def desks(conn: sqlite3.Connection, departement: str, include_closed: bool = False) -> list[Desk]:
    rows = conn.execute(
        "SELECT * FROM desks WHERE departement = ?"
        + ("" if include_closed else " AND closed_at IS NULL")
        + " ORDER BY name, id",
        (departement,),
    ).fetchall()
    return [_with_details(conn, row) for row in rows]


def get_desk(conn: sqlite3.Connection, desk_id: str) -> Desk | None:
    row = conn.execute("SELECT * FROM desks WHERE id = ?", (desk_id,)).fetchone()
    return _with_details(conn, row) if row else None


def _with_details(conn: sqlite3.Connection, row: sqlite3.Row) -> Desk:
    hours = [
        Hours(r["weekday"], r["opens"], r["closes"])
        for r in conn.execute(
            "SELECT * FROM desk_hours WHERE desk_id = ? ORDER BY weekday, opens", (row["id"],)
        )
    ]
    closures = [
        (r["day"], r["reason"] or "")
        for r in conn.execute("SELECT * FROM desk_closures WHERE desk_id = ? ORDER BY day", (row["id"],))
    ]
    return Desk.from_row(row, hours, closures)


# -- slots --------------------------------------------------------------------------------


def _day_slots(desk: Desk, day: date) -> list[tuple[str, str]]:
    """(start, end) of each slot of a counter on one day, from its hours."""
    if day.isoformat() in {d for d, _ in desk.closures}:
        return []
    found = []
    step = timedelta(minutes=desk.slot_minutes)
    for hours in desk.hours:
        if hours.weekday != day.weekday():
            continue
        start = datetime.combine(day, datetime.strptime(hours.opens, "%H:%M").time())
        end = datetime.combine(day, datetime.strptime(hours.closes, "%H:%M").time())
        while start + step <= end:
            found.append((stamp(start), stamp(start + step)))
            start += step
    return found


def _taken(conn: sqlite3.Connection, desk_ids: list[str], since: str) -> dict[tuple[str, str], int]:
    if not desk_ids:
        return {}
    marks = ",".join("?" * len(desk_ids))
    rows = conn.execute(
        f"SELECT desk_id, starts_at, count(*) AS n FROM appointments WHERE status = 'booked'"
        f" AND desk_id IN ({marks}) AND starts_at >= ? GROUP BY desk_id, starts_at",
        (*desk_ids, since),
    )
    return {(r["desk_id"], r["starts_at"]): r["n"] for r in rows}


def slots(
    conn: sqlite3.Connection, departement: str, kind: str, limit: int = 200, desk_id: str | None = None
) -> list[Slot]:
    """Bookable slots (with a free seat), soonest first, within each counter's horizon."""
    now = now_local()
    chosen = [d for d in desks(conn, departement) if kind in d.kinds and (desk_id is None or d.id == desk_id)]
    taken = _taken(conn, [d.id for d in chosen], stamp(now))
    found: list[Slot] = []
    for desk in chosen:
        for offset in range(desk.horizon_days + 1):
            day = now.date() + timedelta(days=offset)
            for start, end in _day_slots(desk, day):
                if start <= stamp(now):
                    continue
                n = taken.get((desk.id, start), 0)
                if n < desk.capacity:
                    found.append(Slot(desk.id, start, end, desk.capacity, n))
    found.sort(key=lambda s: (s.starts_at, s.desk_id))
    return found[:limit]


def slot_at(conn: sqlite3.Connection, desk: Desk, starts_at: str) -> Slot | None:
    """The slot of this counter starting then, if it is bookable now (open, in
    the future, within the horizon), full or not."""
    try:
        start = local(starts_at)
    except ValueError:
        return None
    now = now_local()
    if start <= now or start.date() > now.date() + timedelta(days=desk.horizon_days):
        return None
    for begin, end in _day_slots(desk, start.date()):
        if begin == starts_at:
            taken = _taken(conn, [desk.id], starts_at).get((desk.id, starts_at), 0)
            return Slot(desk.id, begin, end, desk.capacity, taken)
    return None


@dataclass(frozen=True)
class NextOpening:
    """When slots are full: the first day that will have slots, and when it opens for booking."""

    desk_id: str
    day: str  # YYYY-MM-DD: the first day past the horizon with opening hours
    opens_on: str  # YYYY-MM-DD: the day it becomes bookable (the horizon rolls daily)


def next_openings(conn: sqlite3.Connection, departement: str, kind: str) -> list[NextOpening]:
    """For each counter serving `kind`: the first day beyond its horizon it is
    open, and when that day becomes bookable. Empty when no counter has hours:
    then only the administrators publishing hours will open slots."""
    today = now_local().date()
    found = []
    for desk in desks(conn, departement):
        if kind not in desk.kinds or not desk.hours:
            continue
        for offset in range(desk.horizon_days + 1, desk.horizon_days + 370):
            day = today + timedelta(days=offset)
            if _day_slots(desk, day):
                opens_on = day - timedelta(days=desk.horizon_days)
                found.append(NextOpening(desk.id, day.isoformat(), opens_on.isoformat()))
                break
    found.sort(key=lambda n: n.opens_on)
    return found


# -- bookings -----------------------------------------------------------------------------


def get(conn: sqlite3.Connection, appointment_id: str) -> Appointment | None:
    row = conn.execute("SELECT * FROM appointments WHERE id = ?", (appointment_id,)).fetchone()
    return Appointment.from_row(row) if row else None


def current(conn: sqlite3.Connection, file_id: str, kind: str = "card_pickup") -> Appointment | None:
    """The file's live booking of that kind (at most one), past or future."""
    row = conn.execute(
        "SELECT * FROM appointments WHERE file_id = ? AND kind = ? AND status = 'booked'"
        " ORDER BY booked_at DESC LIMIT 1",
        (file_id, kind),
    ).fetchone()
    return Appointment.from_row(row) if row else None


def upcoming_for_person(conn: sqlite3.Connection, person_id: str) -> list[Appointment]:
    rows = conn.execute(
        "SELECT * FROM appointments WHERE person_id = ? AND status = 'booked' AND starts_at >= ?"
        " ORDER BY starts_at",
        (person_id, stamp(now_local())),
    )
    return [Appointment.from_row(r) for r in rows]


def booked_count(conn: sqlite3.Connection, desk_id: str, starts_at: str) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM appointments WHERE desk_id = ? AND starts_at = ? AND status = 'booked'",
        (desk_id, starts_at),
    ).fetchone()
    return int(row["n"])


def day_list(conn: sqlite3.Connection, departement: str, day: str) -> list[sqlite3.Row]:
    """The day's bookings at a prefecture's counters (for the staff's planning)."""
    return conn.execute(
        "SELECT a.*, d.name AS desk_name, f.number FROM appointments a JOIN desks d ON d.id = a.desk_id"
        " JOIN files f ON f.id = a.file_id WHERE d.departement = ? AND a.status = 'booked'"
        " AND substr(a.starts_at, 1, 10) = ? ORDER BY a.starts_at, d.name",
        (departement, day),
    ).fetchall()
