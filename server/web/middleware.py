"""ASGI middleware: security headers, who is asking (and in which language),
and the same-origin check. Pure ASGI, so context variables set here (the
language) reach the endpoint."""

from __future__ import annotations

import functools
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import i18n
from server import clock, translation
from server.auth import csrf, policy, sessions
from server.domain import accounts
from server.settings import Settings

LANG_COOKIE = "sesame_lang"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = {
            "content-security-policy": CSP,
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "x-frame-options": "DENY",
            "cross-origin-opener-policy": "same-origin",
            "permissions-policy": "camera=(self), microphone=(), geolocation=(), payment=()",
        }
        if settings.secure_cookies:
            self.headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        self.always = {
            name: value
            for name, value in self.headers.items()
            if name in ("x-content-type-options", "referrer-policy", "strict-transport-security")
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                html = headers.get("content-type", "").startswith("text/html")
                # Document policies (CSP, framing…) matter for pages; JSON and
                # files get the few that apply, which keeps an idle sync small.
                for name, value in (self.headers if html else self.always).items():
                    headers.setdefault(name, value)
                if "cache-control" not in headers and html:
                    # Pages hold personal data: never in shared caches.
                    headers["cache-control"] = "private, no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return {}
            return {k: m.value for k, m in jar.items()}
    return {}


def session_cookie(settings: Settings, token: str, max_age: int, name: str | None = None) -> str:
    # `__Host-` (when secure) demands exactly this: Secure, Path=/, no Domain.
    name = name or sessions.cookie_name(settings.secure_cookies)
    parts = [f"{name}={token}", "Path=/", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if settings.secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


def clear_session_cookie(settings: Settings) -> str:
    return session_cookie(settings, "", 0)


def _session_token(settings: Settings, cookies: dict[str, str]) -> tuple[str, bool]:
    """The session token, and whether it came under the bare name while the
    `__Host-` one is due (a cookie set before the prefix: moved, not lost —
    applicants stay offline for weeks and must not find themselves signed out)."""
    name = sessions.cookie_name(settings.secure_cookies)
    if cookies.get(name):
        return cookies[name], False
    legacy = cookies.get(sessions.COOKIE, "") if name != sessions.COOKIE else ""
    return legacy, bool(legacy)


def language_cookie(settings: Settings, lang: str) -> str:
    parts = [f"{LANG_COOKIE}={lang}", "Path=/", "SameSite=Lax", f"Max-Age={365 * 24 * 3600}"]
    if settings.secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


class Identity:
    """Who is asking: loads the session and account, picks the language.

    Sets `scope["state"]` keys `actor`, `account`, `session`. A sliding session
    is extended (at most hourly) and its cookie renewed.
    """

    def __init__(self, app: ASGIApp, settings: Settings, db: Any) -> None:
        self.app = app
        self.settings = settings
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        token, legacy = _session_token(self.settings, cookies)
        now = clock.now()
        session = account = None
        if token:
            session, account = await self.db.read(_load, token, now)
        state = scope.setdefault("state", {})
        actor = policy.NOBODY
        renew_cookie = False
        cookie_age = 0
        if session is not None and account is not None:
            actor = policy.Actor(
                role=account.role,
                account_id=account.id,
                prefecture=account.prefecture,
                session_id=session.id,
                organisation=account.organisation,
                organisation_admin=account.organisation_admin,
            )
            if sessions.needs_touch(session, now):
                lifetime = self.settings.applicant_session_seconds
                await self.db.write(functools.partial(sessions.touch, lifetime=lifetime, now=now), session.id)
                renew_cookie, cookie_age = True, lifetime
            elif legacy:
                renew_cookie, cookie_age = True, _seconds_left(session, now)
        state.update(actor=actor, account=account, session=session)

        lang = _choose_language(account, cookies, Request(scope).headers.get("accept-language"))
        state["lang"] = lang

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if renew_cookie and not _sets_session(headers):
                    headers.append("set-cookie", session_cookie(self.settings, token, cookie_age))
                if legacy:
                    headers.append("set-cookie", session_cookie(self.settings, "", 0, name=sessions.COOKIE))
                elif token and session is None and not _sets_session(headers):
                    # A dead session's cookie is useless: drop it.
                    headers.append("set-cookie", clear_session_cookie(self.settings))
            await send(message)

        with translation.language(lang):
            await self.app(scope, receive, send_wrapper)


def _sets_session(headers: MutableHeaders) -> bool:
    names = (sessions.COOKIE + "=", sessions.SECURE_COOKIE + "=")
    return any(v.startswith(names) for v in headers.getlist("set-cookie"))


def _seconds_left(session: sessions.Session, now: Any) -> int:
    return max(0, int((clock.parse(session.expires_at) - now).total_seconds()))


def _load(conn: Any, token: str, now: Any) -> tuple[Any, Any]:
    session = sessions.load(conn, token, now)
    account = accounts.get(conn, session.account_id) if session else None
    return session, account


def _choose_language(account: Any, cookies: dict[str, str], accept: str | None) -> str:
    """The account's choice, else the cookie's, else the browser's, else French."""
    if account is not None and account.language in i18n.LANGUAGES:
        return str(account.language)
    chosen = cookies.get(LANG_COOKIE)
    if chosen in i18n.LANGUAGES:
        return str(chosen)
    return i18n.negotiate(accept)


class SameOrigin:
    """Refuse state-changing requests that do not come from our own pages."""

    def __init__(self, app: ASGIApp, settings: Settings, reject: ASGIApp) -> None:
        self.app = app
        self.origin = settings.origin
        self.reject = reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            if not csrf.is_same_origin(request.method, request.headers, self.origin):
                await self.reject(scope, receive, send)
                return
        await self.app(scope, receive, send)
