"""CSRF: a same-origin check on every state-changing request, plus SameSite cookies.

No per-session token: a page restored from the service worker's cache days
later, or a command replayed from the offline outbox, would carry a stale one
and an honest request would be refused (docs/adr/0003-csrf-for-replayed-requests.md).
Browsers send `Origin` on every POST; `Sec-Fetch-Site` and `Referer` are
fallbacks for the rare request without it. A request with none of them is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_same_origin(method: str, headers: Mapping[str, str], origin: str) -> bool:
    """True when the request may change state: a safe method, or sent from our own pages."""
    if method.upper() in SAFE_METHODS:
        return True
    ours = origin.lower().rstrip("/")
    sent = headers.get("origin")
    if sent is not None:
        return sent.lower().rstrip("/") == ours
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    referer = headers.get("referer")
    if referer:
        return _origin_of(referer) == ours
    return False
