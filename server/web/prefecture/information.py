"""A prefecture's administrators write its information page, block by block,
French first, then English and Arabic. Each changed text is one command
(`prefecture.info_update`), audited like every staff act."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.domain import prefecture_info
from server.web.common import actor, db, form, redirect, run_command
from server.web.prefectures import block_title

from .common import render
from .words import done, message

LANG_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}


async def _page(
    request: Request, texts: dict[str, dict[str, str]] | None = None, errors: dict[str, str] | None = None
) -> Response:
    code = actor(request).prefecture
    if texts is None:
        texts = await db(request).read(prefecture_info.texts, code) if code else {}
    return render(
        request,
        "prefecture/information.html",
        {
            "texts": texts,
            "blocks": prefecture_info.BLOCKS,
            "langs": prefecture_info.LANGS,
            "lang_names": LANG_NAMES,
            "block_title": block_title,
            "errors": errors or {},
            "max_body": prefecture_info.MAX_BODY,
            "done": done(request.query_params.get("done")),
        },
        status_code=400 if errors else 200,
    )


async def page(request: Request) -> Response:
    return await _page(request)


async def save(request: Request) -> Response:
    """Apply one command per text that changed, French before the translations."""
    code = actor(request).prefecture
    values = await form(request)
    before = await db(request).read(prefecture_info.texts, code) if code else {}
    wanted: dict[str, dict[str, str]] = {b: {} for b in prefecture_info.BLOCKS}
    errors: dict[str, str] = {}
    base = values.get("command_id", "")
    for block in prefecture_info.BLOCKS:
        for lang in prefecture_info.LANGS:
            key = f"{block}_{lang}"
            if key not in values:  # a field the form did not send is left as it is
                wanted[block][lang] = before.get(block, {}).get(lang, "")
                continue
            text = values[key].replace("\r\n", "\n").strip()
            wanted[block][lang] = text
            if text == before.get(block, {}).get(lang, ""):
                continue
            # One id per text, derived from the form's: sending the form twice applies once.
            cid = str(uuid.uuid5(uuid.UUID(base), f"{block}/{lang}")) if _is_uuid(base) else None
            result = await run_command(
                request, "prefecture.info_update", {"block": block, "lang": lang, "body": text}, cid
            )
            if not result.applied:
                errors[f"{block}_{lang}"] = message(result.code)
    if errors:
        return await _page(request, wanted, errors)
    return redirect("/prefecture/information?done=information_saved")


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
