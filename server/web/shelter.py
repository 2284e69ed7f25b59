"""Shelter mode (issue 12, docs/adr/0021): one page where a worker, offline,
works for many people on one device.

The page holds no personal data at all: its structure, the procedures and
pieces a worker may prepare, and the labels. Everything about the people
followed lives encrypted in the browser (pwa/vault.js, pwa/shelter-store.js)
and is drawn by pwa/shelter.js once the worker unlocks it. So this page, alone
of the worker's pages, may be kept by the service worker (`device_shell`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import translation
from server.domain import files as files_domain
from server.domain.catalogue import Catalogue
from server.domain.file_commands import catalogue

from .common import templates
from .texts import field_label

# Fields a worker types at the counter: who the person is and where they live.
FIELD_STEPS = ("identity", "address")
LOCK_MINUTES = (1, 2, 5, 10, 15, 30)
DEFAULT_LOCK_MINUTES = 5


def procedures(cat: Catalogue, lang: str) -> list[dict[str, Any]]:
    """Procedures that need no ground chosen first, with the pieces they ask for."""
    out = []
    for procedure in cat.procedures.values():
        if procedure.needs_ground:
            continue
        pieces = [
            {
                "id": ref.piece,
                "label": cat.pieces[ref.piece].label(lang),
                "types": sorted(cat.media_types(ref.piece)),
            }
            for ref in procedure.pieces
        ]
        out.append({"id": procedure.id, "label": procedure.label(lang), "pieces": pieces})
    return out


def page_data(lang: str) -> dict[str, Any]:
    fields = [
        {"name": f.name, "label": field_label(f.name)}
        for f in files_domain.FIELDS.values()
        if f.step in FIELD_STEPS and f.kind in ("text", "postcode", "phone", "email", "date")
    ]
    return {
        "procedures": procedures(catalogue(), lang),
        "fields": fields,
        "lock_minutes": list(LOCK_MINUTES),
        "default_lock_minutes": DEFAULT_LOCK_MINUTES,
    }


async def page(request: Request) -> Response:
    lang = translation.current.get()
    return templates(request).render(
        request, "shelter/page.html", {"shelter": page_data(lang), "device_shell": True}
    )
