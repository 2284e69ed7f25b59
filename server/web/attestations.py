"""Attestation pages: the card a person shows at a counter (and keeps on the
phone, offline), its PDF, the history of a file's attestations; the back
office's view of it (audited) and the agent's "file complete" (ADR 0015)."""

from __future__ import annotations

import base64
import io
import logging
from datetime import date
from typing import Any

import segno
from PIL import Image, UnidentifiedImageError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from server.domain import attestation_pdf, attestations, files, keys, letters, seal
from server.domain import catalogue as catalogue_module
from server.domain.attestations import Attestation
from server.domain.files import File
from server.translation import N_

from . import attestation_content
from .common import actor, db, form, not_found, redirect, run_command, settings, templates
from .errors import render_error
from .files import load_own_file
from .messages import message
from .prefecture.common import render as render_back_office
from .prefecture.common import reviewed_file

log = logging.getLogger("sesame")

PDF_UNAVAILABLE = N_(
    "Le PDF de l’attestation ne peut pas être créé pour l’instant sur ce serveur. L’attestation reste"
    " affichée sur cette page, avec son code QR."
)
PHOTO_PX = 360  # enough for 35 × 45 mm at 250 dpi; a few tens of KB in the page
# After this many days without a fresh copy, the cached card says it may be out of date.
STALE_DAYS = 7


# -- what every card needs -------------------------------------------------------------


def signed(request: Request, att: Attestation) -> str | None:
    """The QR text signed when the attestation was issued, else signed now
    (None: it cannot be signed on this server; the card says so and keeps its
    short code)."""
    if att.qr:
        return att.qr
    try:
        return seal.sign(att.claims, att.departement or "", keys.keyring(settings(request)))
    except (keys.NoKey, keys.KeyFileError, seal.TooLong, ValueError) as error:
        log.warning("attestation %s: no QR code (%s)", att.id, error)
        return None


def qr_svg(text: str) -> str:
    """The QR code as inline SVG (no inline style: the CSP allows none)."""
    return str(segno.make(text, error="m", boost_error=False).svg_inline(scale=1, border=4, omitsize=True))


def photo_bytes(request: Request, conn: Any, att: Attestation) -> bytes | None:
    """The holder's photo, made small (JPEG), if one was given with the file."""
    if not att.photo_id:
        return None
    row = conn.execute("SELECT blob FROM attachments WHERE id = ?", (att.photo_id,)).fetchone()
    if row is None:
        return None
    try:
        with request.app.state.blobs.open(row[0]) as stream, Image.open(stream) as image:
            image.thumbnail((PHOTO_PX, PHOTO_PX))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
            return out.getvalue()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return None


def today() -> date:
    return attestations.today()


def card_context(request: Request, att: Attestation, photo: bytes | None) -> dict[str, Any]:
    qr = signed(request, att) if att.in_force else None
    return {
        "att": att,
        "words": attestation_content.words(att, request.state.lang, settings(request).origin, today()),
        "qr_svg": qr_svg(qr) if qr else None,
        "qr_missing": att.in_force and qr is None,
        "photo_uri": f"data:image/jpeg;base64,{base64.b64encode(photo).decode()}" if photo else None,
        "stale_days": STALE_DAYS,
    }


# -- the person's pages ------------------------------------------------------------------


async def _own(request: Request) -> tuple[File, Attestation, bytes | None]:
    file = await load_own_file(request)

    def load(conn: Any) -> tuple[Attestation | None, bytes | None]:
        found = attestations.get(conn, request.path_params["attestation_id"])
        if found is None or found.file_id != file.id:
            return None, None
        return found, photo_bytes(request, conn, found)

    att, photo = await db(request).read(load)
    if att is None:
        raise not_found()
    return file, att, photo


def _card_page(
    request: Request, file: File, att: Attestation, photo: bytes | None, history: list[Attestation]
) -> Response:
    return templates(request).render(
        request,
        "attestations/card.html",
        {
            "file": file,
            "catalogue": catalogue_module.load(),
            **card_context(request, att, photo),
            "history": history,
            "current_url": f"/files/{file.id}/attestation",
        },
    )


async def card(request: Request) -> Response:
    """One attestation, whatever its state (the history links here)."""
    file, att, photo = await _own(request)
    history = await db(request).read(attestations.for_file, file.id)
    return _card_page(request, file, att, photo, history)


async def file_current(request: Request) -> Response:
    """The attestation in force for this file: the page the phone keeps."""
    file = await load_own_file(request)

    def load(conn: Any) -> tuple[Attestation | None, bytes | None, list[Attestation]]:
        found = attestations.current(conn, file.id)
        return (
            found,
            photo_bytes(request, conn, found) if found else None,
            attestations.for_file(conn, file.id),
        )

    att, photo, history = await db(request).read(load)
    if att is None:
        return templates(request).render(
            request,
            "attestations/none.html",
            {"file": file, "catalogue": catalogue_module.load(), "history": history},
        )
    return _card_page(request, file, att, photo, history)


async def mine(request: Request) -> Response:
    """`/attestation`: the current attestation of each of the person's files."""
    who = actor(request)

    def load(conn: Any) -> list[tuple[File, dict[str, Any]]]:
        found = []
        for att in attestations.current_for_person(conn, who.owner):
            file = files.get(conn, att.file_id)
            if file is not None:
                found.append((file, card_context(request, att, photo_bytes(request, conn, att))))
        return found

    cards = await db(request).read(load)
    return templates(request).render(
        request, "attestations/mine.html", {"cards": cards, "catalogue": catalogue_module.load()}
    )


async def pdf(request: Request) -> Response:
    _, att, photo = await _own(request)
    return await pdf_response(request, att, photo)


async def pdf_response(request: Request, att: Attestation, photo: bytes | None) -> Response:
    qr = signed(request, att) if att.in_force else None
    doc = attestation_content.document(att, request.state.lang, settings(request).origin, today(), qr, photo)
    try:
        # Laying out a PDF takes a good part of a second: not on the event loop.
        body = await run_in_threadpool(attestation_pdf.render, doc)
    except letters.FontsMissing:
        return render_error(request, 503, PDF_UNAVAILABLE)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="{attestation_content.filename(att)}"',
            "cache-control": "private, no-store",
        },
    )


# -- the back office ------------------------------------------------------------------------


async def staff_card(request: Request) -> Response:
    """An agent of the file's prefecture sees the person's attestation (audited)."""
    file = await reviewed_file(request)
    attestation_id = request.path_params["attestation_id"]
    result = await run_command(
        request, "attestation.view", {"file_id": file.id, "attestation_id": attestation_id}
    )
    if not result.applied:
        raise not_found()

    def load(conn: Any) -> tuple[Attestation | None, bytes | None]:
        found = attestations.get(conn, attestation_id)
        return found, photo_bytes(request, conn, found) if found else None

    att, photo = await db(request).read(load)
    if att is None:
        raise not_found()
    return render_back_office(
        request,
        "attestations/staff_card.html",
        {"file": file, "catalogue": catalogue_module.load(), **card_context(request, att, photo)},
    )


async def mark_complete(request: Request) -> Response:
    """The agent says the file is complete: the attestation follows by itself."""
    file = await reviewed_file(request)
    values = await form(request)
    result = await run_command(request, "file.mark_complete", {"file_id": file.id}, values.get("command_id"))
    if not result.applied:
        return render_back_office(
            request,
            "attestations/not_complete.html",
            {"file": file, "error": message(result.code)},
            status_code=409
            if result.code in ("already_complete", "complement_pending", "not_allowed")
            else 400,
        )
    return redirect(f"/prefecture/files/{file.id}?done=marked_complete")
