"""Users' voice: one optional question after an answer, an appointment or a
decision ("Was this clear? What went wrong?").

Anonymised by construction: a row holds the prefecture, the kind of context
and the month, never an account, a file or a report. The web layer applies
`voice.give` as nobody (the anonymous actor), so the command log does not tie
an opinion to a person either (ADR 0016).

`voice.give` {context, departement?, clear?: yes | partly | no, text?}

Refusal codes (field in brackets): context_unknown [context];
prefecture_unknown [departement]; clear_unknown [clear]; voice_empty [text];
voice_too_long [text].
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from server import clock
from server.auth.policy import Actor
from sync.engine import Context, Refused

from . import geography

CONTEXTS = ("blockage", "appointment", "decision")
CLEAR = ("yes", "partly", "no")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Opinion:
    context: str
    month: str
    clear: str | None
    text: str


def give(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    context = str(args.get("context") or "")
    if context not in CONTEXTS:
        raise Refused("context_unknown", "context")
    departement = str(args.get("departement") or "").strip() or None
    if departement is not None and geography.get(departement) is None:
        raise Refused("prefecture_unknown", "departement")
    clear = str(args.get("clear") or "") or None
    if clear is not None and clear not in CLEAR:
        raise Refused("clear_unknown", "clear")
    text = "".join(ch for ch in str(args.get("text") or "").strip() if ch.isprintable() or ch == "\n")
    if len(text) > MAX_TEXT:
        raise Refused("voice_too_long", "text")
    if clear is None and not text:
        raise Refused("voice_empty", "text")
    # The month only: a day and an hour would point at one person's report.
    month = clock.now().strftime("%Y-%m")
    ctx.conn.execute(
        "INSERT INTO voice (departement, context, month, clear, text, version) VALUES (?, ?, ?, ?, ?, ?)",
        (departement, context, month, clear, text, ctx.version),
    )
    return {}


def recent(conn: sqlite3.Connection, departement: str, limit: int = 200) -> list[Opinion]:
    rows = conn.execute(
        "SELECT context, month, clear, text FROM voice WHERE departement = ? ORDER BY id DESC LIMIT ?",
        (departement, limit),
    )
    return [Opinion(r["context"], r["month"], r["clear"], r["text"] or "") for r in rows]


def counts(conn: sqlite3.Connection, prefecture: str) -> dict[str, dict[str, int]]:
    """Per context: how many answered, and how many said clear / partly / not clear
    (the service figures show these)."""
    out: dict[str, dict[str, int]] = {
        c: {"total": 0, "yes": 0, "partly": 0, "no": 0, "text": 0} for c in CONTEXTS
    }
    rows = conn.execute(
        "SELECT context, clear, count(*) AS n, sum(text != '') AS written FROM voice"
        " WHERE departement = ? GROUP BY context, clear",
        (prefecture,),
    )
    for r in rows:
        slot = out.setdefault(r["context"], {"total": 0, "yes": 0, "partly": 0, "no": 0, "text": 0})
        slot["total"] += r["n"]
        slot["text"] += int(r["written"] or 0)
        if r["clear"] in CLEAR:
            slot[r["clear"]] += r["n"]
    return out


HANDLERS = {"voice.give": give}
