"""Dates typed in three boxes (day, month, year, and "approximate" where allowed)
put together into the one text a file keeps (server/domain/partial_dates.py).
The phone does the same in `pwa/enhance.js` (`Sesame.dates`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from server.domain import partial_dates
from server.domain.files import Field


def compose(values: Mapping[str, str], fields: Iterable[Field]) -> dict[str, str]:
    """`values` with each date field that came as boxes given its one text."""
    out = dict(values)
    for field in fields:
        if field.kind != "date":
            continue
        boxes = [f"{field.name}-{part}" for part in ("day", "month", "year")]
        if not any(box in values for box in boxes):
            continue  # sent whole (autosave from the phone, an older page)
        out[field.name] = partial_dates.compose(
            *(values.get(box, "") for box in boxes),
            approximate=field.approximate and values.get(f"{field.name}-approx") == "yes",
        )
        for box in [*boxes, f"{field.name}-approx"]:
            out.pop(box, None)
    return out
