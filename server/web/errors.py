"""Error pages: in the person's language, never a bare 500."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.translation import N_, gettext

from .common import RateLimited, templates
from .limits import GONE

log = logging.getLogger("sesame")

TITLES = {
    400: N_("Demande incorrecte"),
    403: N_("Accès refusé"),
    404: N_("Page introuvable"),
    405: N_("Action impossible ici"),
    410: N_("Lien expiré"),
    413: N_("Envoi trop volumineux"),
    429: N_("Trop d’essais"),
    500: N_("Erreur du serveur"),
    503: N_("Service momentanément indisponible"),
}
EXPLANATIONS = {
    400: N_("Ce qui a été envoyé n’a pas pu être lu. Revenez à la page précédente et réessayez."),
    403: N_("Vous n’avez pas accès à cette page avec ce compte."),
    404: N_("Cette page n’existe pas, ou plus. Vérifiez l’adresse, ou revenez à l’accueil."),
    405: N_("Cette action n’est pas possible à cette adresse."),
    410: N_("Ce lien n’est plus valable."),
    413: N_("Ce qui a été envoyé dépasse la taille permise."),
    429: N_(
        "Trop d’essais en peu de temps depuis cette connexion. Attendez quelques minutes, puis"
        " réessayez. Cette limite protège les comptes contre ceux qui essaient de deviner."
    ),
    500: N_(
        "Un problème est survenu de notre côté. Ce que vous avez déjà enregistré est conservé."
        " Réessayez dans un instant."
    ),
}
TARGET_LIMITED = N_(
    "Trop d’essais en peu de temps pour ce compte ou ce lien. Attendez quelques minutes, puis"
    " réessayez. Cette limite protège les comptes contre ceux qui essaient de deviner."
)
CSRF_EXPLANATION = N_(
    "Cette demande ne vient pas d’une page de Sésame, elle a donc été refusée par précaution."
    " Revenez à la page, rechargez-la et réessayez."
)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get(
        "accept", ""
    )


def render_error(
    request: Request, status: int, explanation: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    text = gettext(explanation or EXPLANATIONS.get(status, EXPLANATIONS[400]))
    if wants_json(request):
        return JSONResponse({"error": status, "message": text}, status_code=status, headers=headers)
    return templates(request).render(
        request,
        "pages/error.html",
        {"status": status, "title": gettext(TITLES.get(status, TITLES[400])), "explanation": text},
        status_code=status,
        headers=headers,
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return render_error(request, exc.status_code, headers=dict(exc.headers or {}))


async def rate_limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimited)
    # Say which limit: "from this connection" would not be true of an account's.
    explanation = TARGET_LIMITED if exc.by_target else None
    return render_error(request, 429, explanation, headers={"Retry-After": str(exc.retry_after)})


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return render_error(request, 500)


async def csrf_rejected(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    response = render_error(request, 403, CSRF_EXPLANATION)
    await response(scope, receive, send)


class ServerErrors:
    """Turn an unhandled exception into the 500 page, inside the middleware
    that set the language and the security headers (Starlette's own handler
    sits outside them).

    A client that hung up is not a server fault: one info line, and no page
    sent to nobody (a phone losing its signal mid-upload is ordinary here)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            gone = scope.get("state", {}).get(GONE)
            if isinstance(exc, ClientDisconnect) or gone is not None:
                # Whatever else failed once the client was gone (a half-read
                # form…) came from its leaving: named, in the same one line.
                log.info(
                    "client went away during %s %s (%s bytes of its body received%s)",
                    scope["method"],
                    scope["path"],
                    "?" if gone is None else gone,
                    "" if isinstance(exc, ClientDisconnect) else f"; then {type(exc).__name__}",
                )
                return
            if started:
                raise
            response = await server_error(Request(scope, receive), exc)
            await response(scope, receive, send)


HANDLERS = {
    HTTPException: http_exception,
    RateLimited: rate_limited,
}
