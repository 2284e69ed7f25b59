"""Each prefecture's information page: the same blocks everywhere, dated, in fr/en/ar.

The seeds' complaint is that every prefecture's site says something different,
partial and outdated. Here the structure is fixed in code (`BLOCKS`); a
prefecture's administrators write the text of each block, French at least
(the source language), English and Arabic when they can. A reader in a
language a block lacks gets the French text, and the page says so.

`prefecture.info_update` {block, lang, body}
    an administrator of one prefecture writes one block in one language; an
    empty body removes that language's text (French only when no other
    language is left, so a block never has a translation without its source).

Refusal codes (field in brackets): forbidden; block_unknown [block];
lang_unknown [lang]; info_too_long [body]; french_first [lang] (write the
French text first); french_needed [body] (French cannot be removed while a
translation exists).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from server.auth.policy import Actor
from sync.engine import Context, Refused

from .file_commands import when

# The blocks of every information page, in order. Counters' addresses and
# hours also come from the appointments set-up (`appointments.py`); these
# blocks say in words what a table cannot.
BLOCKS = ("addresses", "hours", "help_desk", "booking", "substitution")
LANGS = ("fr", "en", "ar")
SOURCE = "fr"
MAX_BODY = 4000


@dataclass(frozen=True)
class Block:
    name: str
    body: str  # empty when nobody wrote it
    lang: str  # the language of `body` (French when the reader's was missing)
    fallback: bool  # the reader's language was missing: the French text is shown
    updated_at: str | None


def _rows(conn: sqlite3.Connection, code: str) -> dict[tuple[str, str], sqlite3.Row]:
    rows = conn.execute("SELECT * FROM prefecture_info WHERE departement = ?", (code,)).fetchall()
    return {(r["block"], r["lang"]): r for r in rows}


def blocks(conn: sqlite3.Connection, code: str, lang: str) -> list[Block]:
    """Every block of a prefecture's page in the reader's language, French when
    the block was not written in it."""
    rows = _rows(conn, code)
    found: list[Block] = []
    for name in BLOCKS:
        row = rows.get((name, lang)) or rows.get((name, SOURCE))
        if row is None:
            found.append(Block(name, "", lang, False, None))
            continue
        found.append(Block(name, row["body"], row["lang"], row["lang"] != lang, row["updated_at"]))
    return found


def texts(conn: sqlite3.Connection, code: str) -> dict[str, dict[str, str]]:
    """What the administrators wrote, block → language → body (the editing form)."""
    result: dict[str, dict[str, str]] = {name: {} for name in BLOCKS}
    for (name, lang), row in _rows(conn, code).items():
        if name in result:
            result[name][lang] = row["body"]
    return result


def substitution_channel(conn: sqlite3.Connection, code: str | None, lang: str) -> str | None:
    """How to file by another channel (counter, post…) at this prefecture, in
    the reader's language, else in French; None when the prefecture wrote nothing."""
    if not code:
        return None
    for want in (lang, SOURCE):
        row = conn.execute(
            "SELECT body FROM prefecture_info WHERE departement = ? AND block = 'substitution' AND lang = ?",
            (code, want),
        ).fetchone()
        if row is not None and row["body"].strip():
            return str(row["body"])
    return None


def last_updated(conn: sqlite3.Connection, code: str) -> str | None:
    row = conn.execute(
        "SELECT max(updated_at) AS at FROM prefecture_info WHERE departement = ?", (code,)
    ).fetchone()
    return row["at"] if row else None


def written(conn: sqlite3.Connection) -> set[str]:
    """Prefectures that wrote at least one block."""
    return {r["departement"] for r in conn.execute("SELECT DISTINCT departement FROM prefecture_info")}


# -- the command -------------------------------------------------------------------------


def _administrator(actor: Actor) -> str:
    if actor.role != "admin" or actor.prefecture is None:
        raise Refused("forbidden")
    return actor.prefecture


def update(ctx: Context[Actor], args: dict[str, Any]) -> dict[str, Any]:
    """`prefecture.info_update` {block, lang, body}."""
    code = _administrator(ctx.actor)
    block = str(args.get("block", ""))
    if block not in BLOCKS:
        raise Refused("block_unknown", "block")
    lang = str(args.get("lang", ""))
    if lang not in LANGS:
        raise Refused("lang_unknown", "lang")
    body = str(args.get("body") or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_BODY:
        raise Refused("info_too_long", "body")
    have = {
        r["lang"]
        for r in ctx.conn.execute(
            "SELECT lang FROM prefecture_info WHERE departement = ? AND block = ?", (code, block)
        )
    }
    if not body:
        if lang == SOURCE and have - {SOURCE}:
            raise Refused("french_needed", "body")
        ctx.conn.execute(
            "DELETE FROM prefecture_info WHERE departement = ? AND block = ? AND lang = ?",
            (code, block, lang),
        )
        return {"block": block, "lang": lang, "removed": True}
    if lang != SOURCE and SOURCE not in have:
        raise Refused("french_first", "lang")
    ctx.conn.execute(
        "INSERT INTO prefecture_info (departement, block, lang, body, updated_at, updated_by, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (departement, block, lang) DO UPDATE SET"
        " body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
        " version = excluded.version",
        (code, block, lang, body, when(ctx), ctx.actor.account_id, ctx.version),
    )
    return {"block": block, "lang": lang}


HANDLERS = {"prefecture.info_update": update}
