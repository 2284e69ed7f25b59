"""After sending: the confirmation page and the printable receipt.

Both show only what the server holds: a file not yet sent has no
confirmation (its page is shown instead), so a page kept on a phone can never
confirm what is still waiting on it. The receipt carries a QR code of the
file number (segno, as SVG: no script, no extra dependency) and prints on
one page (print CSS in pwa/app.css).
"""

from __future__ import annotations

from typing import Any

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from server.domain import catalogue as catalogue_module
from server.domain import geography, pieces

from .common import db, redirect, templates
from .files import load_own_file


def qr_svg(text: str) -> Markup:
    """The file number as an inline SVG QR code (text only: safe to inline)."""
    svg = segno.make(text, error="m", micro=False).svg_inline(scale=4, border=2, dark="#000", light="#fff")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1))


async def _page(request: Request, template: str) -> Response:
    file = await load_own_file(request)
    if file.status == "draft" or not file.submitted_at:
        return redirect(f"/files/{file.id}")
    attachments = await db(request).read(pieces.current, file.id)
    cat = catalogue_module.load()
    sent: list[dict[str, Any]] = []
    for item in cat.checklist(file.procedure, file.grounds):
        mine = [a for a in attachments if a.piece == item.piece.id]
        if mine:
            sent.append({"piece": item.piece, "files": mine})
    return templates(request).render(
        request,
        template,
        {
            "file": file,
            "catalogue": cat,
            "prefecture": geography.get(file.departement),
            "sent": sent,
            "qr": qr_svg(file.number),
        },
    )


async def confirmation(request: Request) -> Response:
    return await _page(request, "files/confirmation.html")


async def receipt(request: Request) -> Response:
    return await _page(request, "files/receipt.html")
