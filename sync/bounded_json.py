"""JSON from strangers: parsed only when its nesting is bounded.

Python's `json.loads` recurses once per nesting level: a body of 10,000 `[`
raises RecursionError (a 500), not ValueError. `loads` counts the depth first
with one regular expression that skips over strings (C speed, no recursion),
and refuses `NaN`/`Infinity` and numbers too large for a float (`1e999`), which
JSON does not have and which no field of the protocol can hold.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32

# A string (with its escapes) or a bracket; strings are matched whole so the
# brackets inside them are not counted.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


class BadJSON(ValueError):
    """Not JSON, or JSON nested deeper than allowed."""


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text` (0 for a scalar)."""
    level = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            level += 1
            deepest = max(deepest, level)
        elif token in "]}":
            level -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise BadJSON(f"{name} is not JSON")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BadJSON("number out of range")
    return value


def loads(data: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `data`; BadJSON when it is not JSON or nested deeper than `max_depth`."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError as e:
        raise BadJSON("not UTF-8") from e
    if depth(text) > max_depth:
        raise BadJSON("nested too deep")
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_float)
    except (ValueError, RecursionError) as e:
        raise BadJSON(str(e)) from e
