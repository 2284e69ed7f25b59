"""The application factory: `create_app(settings)`; `app = create_app()` for uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server import renewals
from server import settings as settings_module
from server.auth.ratelimit import RateLimiter
from server.domain import attestations, catalogue, decision_reasons, keys
from server.notify import dispatch as notify_dispatch
from server.notify import setup as notify_setup
from server.routes import routes
from server.settings import Settings
from server.store import migrations
from server.store.blobs import BlobStore, FileBlobStore
from server.store.db import Database
from server.store.s3blobs import S3BlobStore, S3Location
from server.templating import Templates
from server.web import errors, health, texts, tus
from server.web.limits import BodyLimit
from server.web.middleware import Identity, SameOrigin, SecurityHeaders
from sync.uploads import UploadStore

log = logging.getLogger("sesame")

INCOMPRESSIBLE = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf", "image/heic", "image/heif")


def _logging(settings: Settings) -> None:
    """Our own lines (a client gone mid-upload, the start) beside uvicorn's:
    without a handler, Python shows only warnings and above."""
    log.setLevel(settings.log_level.upper())
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        log.addHandler(handler)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or settings_module.load()
    _logging(settings)
    # A broken procedure catalogue stops the start, with the list of its problems.
    catalogue.load()
    # So does a broken list of decision reasons: no decision without its motivation.
    decision_reasons.load()
    # Attestations are signed when issued, with this process's key ring (ADR 0014, 0015).
    attestations.use_keys(keys.keyring(settings))
    db = Database(settings.db_path)
    # Migrations run before the first request: a database made by an older
    # version is upgraded at start-up (they are a no-op when up to date).
    migrations.migrate(db)
    # The channels this process can send through (ADR 0023).
    notify_policy = notify_setup.configure(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("Sésame ready at %s", settings.origin)
        # Attestations issued and renewed on a schedule (ADR 0015); 0 minutes: never.
        job = (
            asyncio.create_task(renewals.every(db, settings.renew_every_minutes))
            if settings.renew_every_minutes
            else None
        )
        # Reminders and notifications (ADR 0023); 0 seconds: never (a cron runs `sesame notify run`).
        notifier = (
            asyncio.create_task(notify_dispatch.every(db, settings.notify_every_seconds, notify_policy))
            if settings.notify_every_seconds
            else None
        )
        yield
        for task in (job, notifier):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        db.close()

    # The client's address comes from X-Forwarded-For only when a configured
    # proxy sent it (the right-most address no trusted proxy added); uvicorn
    # itself runs with --no-proxy-headers (server/cli.py).
    proxies = (
        [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))]
        if settings.trusted_proxies
        else []
    )
    app = Starlette(
        routes=routes,
        middleware=[
            *proxies,
            # Counts and times every request (/metrics), whatever answers it.
            Middleware(health.RequestMetrics),
            # Every answer under /uploads, refusals included, says it speaks tus.
            Middleware(tus.TusHeaders),
            # Pages, styles and scripts travel compressed; photos, PDFs and ZIPs already are.
            Middleware(
                GZipMiddleware, minimum_size=500, compresslevel=6, exclude_content_types=INCOMPRESSIBLE
            ),
            Middleware(SecurityHeaders, settings=settings),
            Middleware(Identity, settings=settings, db=db),
            Middleware(errors.ServerErrors),
            # Inside ServerErrors, which reads what it notes (a client gone mid-body).
            Middleware(BodyLimit, settings=settings),
            Middleware(SameOrigin, settings=settings, reject=errors.csrf_rejected),
        ],
        exception_handlers=errors.HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.templates = Templates()
    app.state.templates.env.globals.update(texts.template_globals())
    app.state.blobs = blob_store(settings)
    app.state.uploads = UploadStore(settings.data_dir / "uploads")
    app.state.limiter = RateLimiter()
    return app


def blob_store(settings: Settings) -> BlobStore:
    """Where documents are kept, by the settings (ADR 0019)."""
    if settings.blob_store == "s3":
        return S3BlobStore(
            S3Location(
                bucket=settings.s3_bucket,
                prefix=settings.s3_prefix,
                endpoint=settings.s3_endpoint,
                region=settings.s3_region,
                access_key=settings.s3_access_key,
                secret_key=str(settings.s3_secret_key),
                sse=settings.s3_sse,
                kms_key_id=settings.s3_kms_key_id,
            )
        )
    return FileBlobStore(settings.blobs_dir)


def __getattr__(name: str) -> Starlette:
    # `uvicorn server.app:app` builds the app on first access, so importing
    # this module (in tests, in the CLI) reads no environment.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
