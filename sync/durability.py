"""The durable mark: the highest commit of pushed commands known to be in the replica.

A background thread, woken after each push, reads the commit count, asks the
replica to catch up (`replicate`, given by the server), and on success raises
the mark to that count: every commit counted before the call is then in the
replica. A phone keeps each acknowledged command until the mark passes its
commit (docs/adr/0008). With no replica (`replicate` is None) there is nothing
a restore could lose beyond the database itself: the mark is the commit count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("sesame.sync")


class Durability:
    def __init__(
        self,
        read_commit: Callable[[], int],
        replicate: Callable[[], bool] | None,
        *,
        pause: float = 1.0,
        retry: float = 5.0,
    ) -> None:
        self._read = read_commit
        self._replicate = replicate
        self._pause = pause  # a burst of pushes shares one replication (Litestream ships each second anyway)
        self._retry = retry
        self._mark = 0
        self._started = time.monotonic()
        self._behind_since: float | None = None  # first seen behind, since the last success
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def mark(self, committed: int) -> int:
        """The durable mark to tell a phone, `committed` being the current count."""
        if self._replicate is None:
            return committed
        self._start()
        return min(self._mark, committed)

    def lag(self, committed: int) -> float | None:
        """Seconds the replica has been behind the commit count `committed`
        (0 when it holds everything); None when there is no replica."""
        if self._replicate is None:
            return None
        self._start()
        if self._mark >= committed:
            return 0.0
        since = self._behind_since if self._behind_since is not None else self._started
        return max(0.0, time.monotonic() - since)

    @property
    def durable(self) -> int:
        return self._mark

    def noticed(self) -> None:
        """A push committed: replicate soon."""
        if self._replicate is not None:
            self._start()
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sesame-durability", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        assert self._replicate is not None
        while True:
            self._wake.wait(1.0)  # woken by a push, else once a second
            self._wake.clear()
            time.sleep(self._pause)
            try:
                target = self._read()
                if target <= self._mark:
                    continue
                if self._behind_since is None:
                    self._behind_since = time.monotonic()
                if self._replicate():
                    self._mark = target
                    self._behind_since = None
                else:
                    time.sleep(self._retry)
            except Exception:  # the mark must keep moving whatever one round does
                logger.exception("durability round failed")
                time.sleep(self._retry)
