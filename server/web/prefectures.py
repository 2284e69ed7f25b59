"""Public pages about each prefecture: its information page (the same blocks
everywhere, dated, in the reader's language or French), and its service
figures. Public, cacheable: the service worker keeps them for offline reading."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.domain import appointments, figures, geography, prefecture_info
from server.translation import N_, gettext

from . import figures as service_figures
from .common import db, not_found, templates
from .prefecture.appointments import kind_name, weekday_name

BLOCK_TITLES = {
    "addresses": N_("Adresses"),
    "hours": N_("Horaires d’ouverture"),
    "help_desk": N_("Accueil et aide aux démarches"),
    "booking": N_("Prendre rendez-vous"),
    "substitution": N_("Déposer son dossier autrement qu’en ligne"),
}
# Kept, but checked each time (no-cache): an edit shows at once, and offline the
# service worker's copy answers, saying how old it is (a copy the browser deemed
# fresh would pass for a live page). Private: a signed-in reader's page carries
# their menu, which no shared cache may hand to someone else.
PUBLIC_CACHE = {"cache-control": "private, no-cache"}


def block_title(name: str) -> str:
    return gettext(BLOCK_TITLES[name])


def _departement(request: Request) -> geography.Departement:
    found = geography.get(request.path_params["code"])
    if found is None:
        raise not_found()
    return found


async def index(request: Request) -> Response:
    """Every prefecture, with whether it has written its page yet."""
    written = await db(request).read(prefecture_info.written)
    return templates(request).render(
        request,
        "prefectures/index.html",
        {"departements": sorted(geography.departements().values(), key=lambda d: d.code), "written": written},
        headers=PUBLIC_CACHE,
    )


async def page(request: Request) -> Response:
    place = _departement(request)
    lang = request.state.lang

    def load(conn: Any) -> dict[str, Any]:
        return {
            "blocks": prefecture_info.blocks(conn, place.code, lang),
            "desks": appointments.desks(conn, place.code),
        }

    data = await db(request).read(load)
    data["delay"] = (await service_figures.current(request, place.code)).to_decision.hidden()
    return templates(request).render(
        request,
        "prefectures/show.html",
        {
            "place": place,
            **data,
            "block_title": block_title,
            "kind_name": kind_name,
            "weekday_name": weekday_name,
            "window_days": figures.WINDOW_DAYS,
            "small": figures.SMALL,
        },
        headers=PUBLIC_CACHE,
    )


async def public_figures(request: Request) -> Response:
    """One prefecture's figures (`/prefectures/{code}/figures`) or the country's (`/figures`)."""
    place = _departement(request) if "code" in request.path_params else None
    found = await service_figures.current(request, place.code if place else None)
    return templates(request).render(
        request,
        "figures/public.html",
        {"place": place, "f": figures.public(found), "small": figures.small, "limit": figures.SMALL},
        headers=PUBLIC_CACHE,
    )
