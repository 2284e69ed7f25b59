"""Départements and their prefectures, from `server/data/departements.json`.

The postcode gives the département, and so the competent prefecture.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent.parent / "data" / "departements.json"


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    prefecture: str  # the town where the prefecture sits


@functools.cache
def departements() -> dict[str, Departement]:
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    return {d["code"]: Departement(**d) for d in doc["departements"]}


def get(code: str | None) -> Departement | None:
    return departements().get(code or "")


def for_postcode(postcode: str) -> Departement | None:
    """The département of a French postcode, or None if it is not one."""
    digits = re.sub(r"\s", "", postcode or "")
    if not re.fullmatch(r"\d{5}", digits):
        return None
    if digits.startswith("97"):
        return get(digits[:3])
    if digits.startswith("20"):
        return get("2A" if int(digits[:3]) < 202 else "2B")
    return get(digits[:2])
