"""The attestation schedule (ADR 0015): every file the model finds due gets one
`attestation.renew` command from the server's own actor (`policy.SYSTEM`),
each in its own transaction, audited and in the timeline and change feed.

Run by the server process every `SESAME_RENEW_EVERY_MINUTES` (started in the
app's lifespan) and by `sesame attestations renew` for a cron. Running it twice
the same day does nothing more: the command id derives from the file and the
day, and the model checks again what is due.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from datetime import date

from starlette.concurrency import run_in_threadpool

from server import clock, commands
from server.auth.policy import SYSTEM
from server.domain import attestations
from server.store.db import Database
from sync.protocol import Command

log = logging.getLogger("sesame")
NAMESPACE = uuid.UUID("6f2d4a53-5e73-4f1b-9a51-0d2f1b7c9e01")
BATCH = 500


def run(db: Database, day: date | None = None) -> Counter[str]:
    """Issue and renew what is due `day` (today by default). Returns how many
    files got each outcome ("issued", "renewed", "nothing", or a refusal code)."""
    day = day or attestations.today()
    done: Counter[str] = Counter()
    seen: set[str] = set()
    while True:
        due = [f for f in db.read_sync(lambda c: attestations.due(c, day, BATCH)) if f not in seen]
        if not due:
            return done
        for file_id in due:
            seen.add(file_id)
            command = Command(
                id=str(uuid.uuid5(NAMESPACE, f"{file_id}:{day.isoformat()}")),
                client="server:renewals",
                seq=0,
                op="attestation.renew",
                args={"file_id": file_id},
                at=clock.iso(clock.now()),
            )
            result = db.write_sync(lambda c, command=command: commands.apply(c, command, SYSTEM))
            done[
                (result.data or {}).get("done") or "nothing" if result.applied else result.code or "refused"
            ] += 1


async def every(db: Database, minutes: int) -> None:
    """The in-process schedule: a first run a minute after start, then every `minutes`."""
    delay = 60.0
    while True:
        await asyncio.sleep(delay)
        delay = minutes * 60.0
        try:
            counts = await run_in_threadpool(run, db)
        except Exception:  # a failed run must not stop the next ones
            log.exception("attestation renewals failed")
            continue
        if counts:
            log.info("attestations: %s", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
