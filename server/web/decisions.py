"""A person reads a decision on their file — the whole motivation in their
language with the French text beside it — and downloads the letter (PDF)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from server.domain import catalogue as catalogue_module
from server.domain import decisions, letters
from server.domain.decisions import Decision
from server.translation import N_

from . import letter_content
from .common import db, not_found, templates
from .errors import render_error
from .files import load_own_file

LETTER_UNAVAILABLE = N_(
    "La lettre de décision ne peut pas être créée pour l’instant sur ce serveur. La décision"
    " et tous ses motifs restent lisibles sur cette page."
)


async def _load(request: Request) -> tuple[Any, Decision, Decision | None]:
    file = await load_own_file(request)

    def load(conn: Any) -> tuple[Decision | None, Decision | None]:
        decision = decisions.get(conn, request.path_params["decision_id"])
        corrected = decisions.get(conn, decision.corrects) if decision and decision.corrects else None
        return decision, corrected

    decision, corrected = await db(request).read(load)
    if decision is None or decision.file_id != file.id:
        raise not_found()
    return file, decision, corrected


async def page(request: Request) -> Response:
    file, decision, corrected = await _load(request)
    lang = request.state.lang
    parts = letter_content.sections(decision, lang, corrected)
    # The person's language first (what they read), the French text beside it.
    parts = parts[1:] + parts[:1]
    return templates(request).render(
        request,
        "files/decision.html",
        {
            "file": file,
            "catalogue": catalogue_module.load(),
            "decision": decision,
            "corrected": corrected,
            "sections": parts,
        },
    )


async def letter(request: Request) -> Response:
    _, decision, corrected = await _load(request)
    return await letter_response(request, decision, request.state.lang, corrected)


async def letter_response(
    request: Request, decision: Decision, reader: str, corrected: Decision | None
) -> Response:
    # Laying out a letter takes a quarter of a second: not on the event loop.
    words = letter_content.letter(decision, reader, corrected)
    try:
        body = await run_in_threadpool(letters.render, words)
    except letters.FontsMissing:
        return render_error(request, 503, LETTER_UNAVAILABLE)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="{letter_content.filename(decision)}"',
            "cache-control": "private, no-store",
        },
    )
