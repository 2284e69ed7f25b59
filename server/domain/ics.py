"""An appointment as an iCalendar file (RFC 5545) for the phone's calendar.

Times are written in UTC (`DTSTART:…Z`), which every calendar converts to the
phone's zone, so no VTIMEZONE is needed; the UID is the booking's id, so a
moved appointment (a new booking) is a new event and a re-download of the
same one replaces it rather than adding a copy.
"""

from __future__ import annotations

from datetime import datetime

from server import clock

from .appointments import to_utc


def _escape(text: str) -> str:
    """TEXT values (RFC 5545 §3.3.11): backslash, semicolon, comma, newline."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (§3.1), never inside a UTF-8 character."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    while raw:
        cut = min(len(raw), 75 if not parts else 74)
        while cut < len(raw) and (raw[cut] & 0xC0) == 0x80:
            cut -= 1
        parts.append(raw[:cut].decode("utf-8"))
        raw = raw[cut:]
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def event(
    *, uid: str, starts_at: str, ends_at: str, summary: str, location: str, description: str, host: str
) -> bytes:
    """One VEVENT in a VCALENDAR; `starts_at`/`ends_at` are the prefecture's local times."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Sesame//Appointments//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}@{host}",
        f"DTSTAMP:{_utc(clock.now())}",
        f"DTSTART:{_utc(to_utc(starts_at))}",
        f"DTEND:{_utc(to_utc(ends_at))}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(description)}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
