"""Public pages, the dashboard, the language switch, health and the manifest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import i18n
from server import clock, translation
from server.auth import credentials, recovery
from server.domain import (
    appointments,
    attestations,
    cards,
    catalogue,
    complements,
    decisions,
    files,
    messages,
    opened,
)
from server.store import migrations
from server.templating import static
from server.translation import gettext
from server.web.middleware import language_cookie

from .common import actor, db, form, redirect, run_command, safe_next, settings, templates
from .files import SHELL_STEPS
from .messages import done


async def home(request: Request) -> Response:
    # A signed-in person comes for their files, not for "Créer un compte".
    if actor(request).account_id is not None:
        return redirect("/dashboard")
    return templates(request).render(request, "pages/home.html")


async def privacy(request: Request) -> Response:
    return templates(request).render(request, "pages/privacy.html")


async def legal(request: Request) -> Response:
    return templates(request).render(request, "pages/legal.html", {"origin": settings(request).origin})


async def dashboard(request: Request) -> Response:
    who = actor(request)
    assert who.account_id is not None
    if who.role == "worker" and who.acting_for is None:
        return redirect("/worker")  # a worker's home: the people they follow
    owner = who.owner or who.account_id  # the person a worker acts for, else oneself

    def load(conn: Any) -> dict[str, Any]:
        owned = files.owned_by(conn, owner)
        month_ago = clock.iso(clock.now() - timedelta(days=30))
        return {
            "passkeys": credentials.list_for(conn, who.account_id),
            "codes_left": recovery.remaining(conn, who.account_id),
            "files": owned,
            "problems": {
                f.id: len(files.problems(conn, f, catalogue.load())) for f in owned if f.status == "draft"
            },
            "unread": messages.unread_for_applicant(conn, owner),
            "stale": {f.id for f in files.stale_drafts(conn, owner, month_ago)},
            "asked": complements.open_by_file(
                conn, [f.id for f in owned if f.status in ("submitted", "locked")]
            ),
            "decided": decisions.in_force_by_file(conn, [f.id for f in owned if f.status == "decided"]),
            "attestations_now": attestations.current_for_person(conn, owner),
            "booked": {a.file_id: a for a in appointments.upcoming_for_person(conn, owner)},
            "cards": {f.id: c for f in owned if f.status == "decided" and (c := cards.get(conn, f.id))},
            "opened": opened.opened_files(conn, [f.id for f in owned if f.status == "submitted"]),
        }

    data = await db(request).read(load)
    return templates(request).render(
        request,
        "pages/dashboard.html",
        {
            **data,
            "catalogue": catalogue.load(),
            "done": done(request.query_params.get("done")),
            "warm": offline_pages(),
        },
    )


def offline_pages() -> list[str]:
    """Pages the service worker keeps ready, so a file can be started and filled
    in with no connection (the shells are filled on the phone)."""
    cat = catalogue.load()
    pages = ["/dashboard", "/account", "/timeline", "/outbox", "/files/new"]
    for procedure in cat.procedures:
        pages.append(f"/files/new/grounds?procedure={procedure}")
        pages += [f"/files/shell/{procedure}/{step}" for step in SHELL_STEPS]
    return pages


async def set_language(request: Request) -> Response:
    values = await form(request)
    lang = values.get("lang", "")
    target = safe_next(values.get("next"), "/")
    if lang not in i18n.LANGUAGES:
        return redirect(target)
    if actor(request).signed_in:
        await run_command(request, "account.update", {"language": lang}, values.get("command_id"))
    response = redirect(target)
    response.headers.append("set-cookie", language_cookie(settings(request), lang))
    return response


async def healthz(request: Request) -> Response:
    applied = await db(request).read(migrations.applied)
    return JSONResponse({"status": "ok", "migrations": len(applied)}, headers={"cache-control": "no-store"})


async def manifest(request: Request) -> Response:
    lang = request.query_params.get("lang") or request.state.lang
    if lang not in i18n.LANGUAGES:
        lang = i18n.DEFAULT
    with translation.language(lang):
        body = {
            "name": gettext("Sésame — démarches de titre de séjour"),
            "short_name": "Sésame",
            "description": gettext(
                "Préparez et suivez vos demandes de titre de séjour, même sans connexion."
            ),
            "lang": lang,
            "dir": i18n.text_direction(lang),
            "start_url": "/dashboard",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1d3f8f",
            "icons": [
                {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static("icons/maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        }
    return JSONResponse(body, media_type="application/manifest+json")
