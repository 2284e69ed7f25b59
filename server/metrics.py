"""What `/metrics` exposes, in Prometheus' text format (prometheus-client).

Counters live in the process (prometheus-client's default registry): a scrape
gives what this process has seen since it started, as Prometheus expects.
Gauges read at scrape time (replication lag, stored bytes) are set by the
route just before it renders (server/web/health.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from prometheus_client import Counter, Gauge, Histogram

from sync.protocol import Result

# A refusal's kind and code, never its arguments: an operator (or a failed
# browser test) reads why the server said no without reading anyone's data.
log = logging.getLogger("sesame.commands")

REQUESTS = Counter("sesame_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "sesame_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response starts)",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
COMMANDS = Counter("sesame_commands", "Commands handled, by outcome", ["op", "status"])
UPLOAD_BYTES = Counter("sesame_upload_received_bytes", "Bytes of documents received (tus and forms)")
REPLICATION_LAG = Gauge(
    "sesame_replication_lag_seconds",
    "How long the replica has been behind the committed pushes (0 when caught up; -1 with no replica)",
)
COMMIT = Gauge("sesame_sync_commit", "Commits of pushed commands in this epoch")
DURABLE = Gauge("sesame_sync_durable_commit", "Highest commit known to be in the replica")


def commands_seen(ops: Sequence[str], results: Sequence[Result]) -> None:
    for op, result in zip(ops, results, strict=False):
        COMMANDS.labels(op=op, status=result.status).inc()
        if result.status == "refused":
            log.info("refused %s: %s", op, result.code)
