"""Dates a person may know only in part: the year, the month and year, or the
whole date; "approximately" where the field allows it.

Stored as one text, a subset of ISO 8601-2 (EDTF level 1), so a full date stays
the plain ISO date every other part of Sésame already reads:

    2019-03-14   the whole date          2019-03   March 2019
    2019         the year alone          2019~     about 2019 (any precision + "~")

The three boxes of the form (day, month, year) are put together by `compose`
and taken apart by `split`; what the person typed is kept as typed (digits or
not), and judged only by `problem` when the file is checked, so nothing typed
is ever lost on the way. ADR 0025.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

APPROXIMATE = "~"
_SHAPE = re.compile(r"\d*(?:-\d*){0,2}~?")
MIN_YEAR, MAX_YEAR = 1900, 2100


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int | None
    day: int | None
    approximate: bool

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def as_date(self) -> date | None:
        return date(self.year, self.month, self.day) if self.month and self.day else None


def _clean(part: str) -> str:
    # The separators of the stored form cannot be part of what is kept.
    return re.sub(r"[\s\-~]", "", part)


def _pad(part: str) -> str:
    return part.zfill(2) if part.isdigit() and len(part) == 1 else part


def _unpad(part: str) -> str:
    return str(int(part)) if part.isdigit() and len(part) <= 2 else part


def compose(day: str, month: str, year: str, approximate: bool = False) -> str:
    """One stored text from the three boxes; "" when all three are empty."""
    d, m, y = _clean(day), _clean(month), _clean(year)
    if not (d or m or y):
        return ""
    parts = [y, _pad(m), _pad(d)]
    while parts and not parts[-1]:
        parts.pop()
    return "-".join(parts) + (APPROXIMATE if approximate else "")


def split(value: str) -> tuple[str, str, str, bool]:
    """(day, month, year, approximate) for the three boxes, from a stored text."""
    value = (value or "").strip()
    approximate = value.endswith(APPROXIMATE)
    parts = value.rstrip(APPROXIMATE).split("-", 2)
    year = parts[0]
    month = parts[1] if len(parts) > 1 else ""
    day = parts[2] if len(parts) > 2 else ""
    return (_unpad(day), _unpad(month), year, approximate)


def parse(value: str) -> PartialDate | None:
    """The date a stored text names, or None when it is not one (a day without a
    month, a 31 February, letters, a year out of range)."""
    day, month, year, approximate = split(value)
    if not (year.isdigit() and len(year) == 4 and MIN_YEAR <= int(year) <= MAX_YEAR):
        return None
    if day and not month:
        return None
    if (month and not month.isdigit()) or (day and not day.isdigit()):
        return None
    m = int(month) if month else None
    d = int(day) if day else None
    if m is not None and not 1 <= m <= 12:
        return None
    if m is not None and d is not None:
        try:
            date(int(year), m, d)
        except ValueError:
            return None
    return PartialDate(int(year), m, d, approximate)


def problem(value: str, *, partial: bool, approximate: bool) -> str | None:
    """Why a stored date is not acceptable for a field, as a refusal code, or None.

    field_date: not a real date; field_date_year: the year is missing or not four
    digits; field_date_whole: this field needs the day, the month and the year."""
    if not value.strip():
        return None
    if not _SHAPE.fullmatch(value.strip()):
        return "field_date"  # letters, or another way of writing dates
    day, month, year, approx = split(value)
    if not (year.isdigit() and len(year) == 4):
        return "field_date_year"
    found = parse(value)
    if found is None or (approx and not approximate):
        return "field_date"
    if found.precision != "day" and not partial:
        return "field_date_whole"
    return None
