"""The documents page, one status line per piece: what the line says.

"Passeport — 2 fichiers, 3 pages", "manquante", "refusée : <motif>" and a
thumbnail: everything a person needs to see without opening the piece, so ten
pieces fit in two screens of a small phone (issue 10, item 7).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.domain.catalogue import ChecklistItem
from server.domain.pieces import Attachment
from server.templating import number
from server.translation import gettext, ngettext

# Images the server draws a thumbnail of (HEIC: no decoder here, a plain mark instead).
THUMBNAILED = {"image/jpeg", "image/png", "image/webp"}


@dataclass(frozen=True)
class PieceRow:
    item: ChecklistItem
    files: list[Attachment]
    wanted: Any  # the prefecture's open request for this piece (complements.Item), if any
    changeable: bool
    kind: str  # missing | optional | done | refused
    state: str  # the status words
    reason: str  # the prefecture's reason, when it asked for the piece again
    thumb: Attachment | None  # the first image, drawn small on the line
    pdf: bool  # no image but a PDF: a "PDF" mark on the line
    open: bool


def files_and_pages(files: list[Attachment]) -> str:
    """ "2 fichiers, 3 pages": pages only when a PDF says how many it has
    (an image is one page); nothing about pages when one of them does not say."""
    text = ngettext("%(num)s fichier", "%(num)s fichiers", len(files)) % {"num": number(len(files))}
    pdfs = [a for a in files if a.media_type == "application/pdf"]
    if not pdfs or any(a.pages is None for a in pdfs):
        return text
    pages = sum((a.pages or 1) if a.media_type == "application/pdf" else 1 for a in files)
    return gettext("%(files)s, %(pages)s") % {
        "files": text,
        "pages": ngettext("%(num)s page", "%(num)s pages", pages) % {"num": number(pages)},
    }


def rows(
    checklist: Iterable[ChecklistItem],
    by_piece: dict[str, list[Attachment]],
    asked: dict[str, Any],
    *,
    editable: bool,
    locked: bool,
    opened: set[str],
) -> list[PieceRow]:
    out = []
    for item in checklist:
        files = by_piece.get(item.piece.id, [])
        wanted = asked.get(item.piece.id)
        refused = wanted is not None and wanted.status != "answered"
        if refused:
            kind, state = "refused", gettext("refusée :")
        elif files:
            kind, state = "done", files_and_pages(files)
        elif item.optional:
            kind, state = "optional", gettext("facultative")
        else:
            kind, state = "missing", gettext("manquante")
        images = [a for a in files if a.media_type in THUMBNAILED]
        out.append(
            PieceRow(
                item=item,
                files=files,
                wanted=wanted,
                changeable=editable or (wanted is not None and locked),
                kind=kind,
                state=state,
                reason=wanted.reason if refused else "",
                thumb=images[0] if images else None,
                pdf=not images and any(a.media_type == "application/pdf" for a in files),
                open=item.piece.id in opened,
            )
        )
    return out
