"""Health for operators: `/readyz` and `/metrics` (`/healthz`, the liveness
check, stays in pages.py).

- `/readyz`: 200 when this process can serve: the database answers, the blob
  store answers (a write to the folder, or the bucket's HEAD), and the replica
  is at most `SESAME_READY_MAX_LAG` seconds behind the committed pushes (the
  durable mark of docs/adr/0008); else 503 saying which check failed (and no
  more: reasons go to the log).
- `/metrics`: Prometheus text format, for a bearer of `SESAME_METRICS_TOKEN`
  or a client in `SESAME_METRICS_NETWORKS`; anyone else gets 404, as if it were
  not there.
- `RequestMetrics`: counts and times every request by its route's pattern
  (never the raw path: one series per route, whatever ids the paths carry).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from typing import Any

import anyio
import anyio.to_thread
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import metrics
from sync import log as sync_log

from .common import client_ip, db, settings
from .errors import render_error
from .sync_api import durability

logger = logging.getLogger("sesame.health")
CHECK_TIMEOUT = 5.0


def _replica(request: Request, committed: int) -> float | None:
    return durability(request).lag(committed)


async def readyz(request: Request) -> Response:
    checks: dict[str, Any] = {}
    ready = True
    committed = 0
    try:
        with anyio.fail_after(CHECK_TIMEOUT):
            committed = await db(request).read(sync_log.current_commit)
        checks["database"] = "ok"
    except Exception as error:  # any failure means "not ready", said without details
        logger.warning("readyz: database: %s", error)
        checks["database"] = "failed"
        ready = False
    try:
        with anyio.fail_after(CHECK_TIMEOUT):
            await anyio.to_thread.run_sync(request.app.state.blobs.check, abandon_on_cancel=True)
        checks["blobs"] = "ok"
    except Exception as error:
        logger.warning("readyz: blob store: %s", error)
        checks["blobs"] = "failed"
        ready = False
    lag = _replica(request, committed)
    if lag is None:
        checks["replica"] = "none"
    else:
        checks["replication_lag_s"] = round(lag, 1)
        if lag > settings(request).ready_max_lag:
            checks["replica"] = "lagging"
            ready = False
        else:
            checks["replica"] = "ok"
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"cache-control": "no-store"},
    )


def _allowed(request: Request) -> bool:
    found = settings(request)
    token = str(found.metrics_token)
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if found.metrics_networks:
        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(n, strict=False) for n in found.metrics_networks)
    return False


async def metrics_page(request: Request) -> Response:
    if not _allowed(request):
        return render_error(request, 404)  # as if there were nothing here
    try:
        committed = await db(request).read(sync_log.current_commit)
        metrics.COMMIT.set(committed)
        metrics.DURABLE.set(min(durability(request).durable, committed))
        lag = _replica(request, committed)
        metrics.REPLICATION_LAG.set(-1 if lag is None else lag)
    except Exception as error:  # the counters are still worth serving
        logger.warning("metrics: %s", error)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"})


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                metrics.LATENCY.labels(method=scope["method"], route=_route(scope)).observe(
                    time.perf_counter() - began
                )
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            metrics.REQUESTS.labels(method=scope["method"], route=_route(scope), status=str(status[0])).inc()


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "/static" if str(scope.get("path", "")).startswith("/static/") else "(unmatched)"
