"""The service worker, served with its version and precache list, and the
pages that only make sense on a device: /offline and /outbox."""

from __future__ import annotations

import functools
import hashlib
import json

from starlette.requests import Request
from starlette.responses import Response

from server.templating import STATIC, static

from .common import templates
from .texts import FIELD_LABELS, field_label

# Shared with pages; the worker imports them (outbox flushes in Background Sync).
WORKER_SCRIPTS = ("idb.js", "uploader.js", "outbox.js")
PRECACHE_FILES = (
    "app.css",
    "i18n.js",
    "enhance.js",
    "idb.js",
    "uploader.js",
    "outbox.js",
    "sync.js",
    "forms.js",
    "compress.js",
    "autosave.js",
    "outbox-page.js",
    "verify.js",
    "attestation.js",
    "blocked.js",
    "questions.js",
    "vault.js",
    "shelter-store.js",
    "shelter-sync.js",
    "shelter.js",
    "push.js",
    "tasks.js",
    "icons/icon.svg",
    "icons/icon-192.png",
)


@functools.cache
def version() -> str:
    """Changes whenever a file of pwa/ changes: the browser then installs the new worker."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def source() -> str:
    text = (STATIC / "sw.js").read_text()
    # /verify: an employer who opened it once checks QR codes offline (ADR 0014).
    precache = [static(name) for name in PRECACHE_FILES] + ["/offline", "/verify"]
    return (
        text.replace("__VERSION__", version())
        .replace("__PRECACHE__", json.dumps(precache))
        .replace("__SCRIPTS__", json.dumps([static(name) for name in WORKER_SCRIPTS]))
        .replace("__ICON__", static("icons/icon-192.png"))
    )


async def worker(request: Request) -> Response:
    return Response(
        source(),
        media_type="application/javascript",
        # The browser checks for a new worker at each visit: never cache this file.
        headers={"cache-control": "no-cache", "service-worker-allowed": "/"},
    )


async def offline(request: Request) -> Response:
    return templates(request).render(request, "pages/offline.html")


async def outbox_page(request: Request) -> Response:
    # What was typed is shown with the form's own labels, in the person's language.
    labels = {name: field_label(name) for name in FIELD_LABELS}
    return templates(request).render(request, "pages/outbox.html", {"field_labels": labels})
