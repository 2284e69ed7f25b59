"""Rate limits on authentication, kept in memory (one server process).

A sliding window per (action, key): at most `limit` hits in `window` seconds.
Each ceremony is limited twice: by the address asking, and by what it aims at
(the account a sign-in or a recovery is for, the invitation an enrolment
uses), so an attacker spreading attempts over many addresses still meets the
second limit. The address is the connecting one, or the one a configured
proxy forwarded (SESAME_TRUSTED_PROXIES), never one a client merely claims.
Memory, not SQLite: a limit is about the next minutes, and a write per failed
attempt would let an attacker make the database work.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    limit: int
    window: float  # seconds


# Generous enough for a family sharing one shelter's Wi-Fi (one IP address).
LIMITS = {
    "signin": Limit(30, 300),
    "signup": Limit(20, 600),
    "recover": Limit(8, 900),
    "enrol": Limit(10, 900),
    # "I'm blocked" from one address (a shelter's Wi-Fi), and claims of a held account.
    "blocked": Limit(30, 600),
    "claim": Limit(8, 900),
    "voice": Limit(30, 600),
    # Requests to register an organisation (a public form).
    "organisation": Limit(10, 3600),
    # Enrolment links made by administrators of organisations (signed in).
    "organisation_invite": Limit(30, 900),
    # Per target, whatever the address: a person signs in a few times a day at most.
    "signin:account": Limit(10, 300),
    "recover:account": Limit(5, 900),
    "enrol:invitation": Limit(10, 900),
    # /verify (ADR 0014): an employer checks a few codes; a code with the wrong
    # date of birth a handful of times at most, whoever asks.
    "verify": Limit(30, 600),
    "verify:code": Limit(8, 900),
    "verify_status": Limit(120, 60),
    "claim:account": Limit(5, 900),
    # Assisted recovery: attempts at an enrolment code (by address, and per
    # account, as recovery codes), and codes printed by one worker (a shelter's
    # queue, not a script): ADR 0022.
    "assisted": Limit(8, 900),
    "assisted:account": Limit(5, 900),
    "assist": Limit(60, 3600),
    "assist:worker": Limit(30, 3600),
    # Confirming an address (ADR 0029): codes sent (an SMS costs money, a number
    # someone else typed must not be flooded) and codes tried.
    "contact_code": Limit(20, 3600),
    "contact_code:account": Limit(3, 3600),
    "contact_code:address": Limit(10, 86400),
    "contact_confirm": Limit(30, 900),
    "contact_confirm:account": Limit(10, 900),
}


class RateLimiter:
    def __init__(
        self, limits: dict[str, Limit] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = dict(LIMITS if limits is None else limits)
        self.clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, action: str, key: str) -> float:
        """Count one attempt; 0 if allowed, else the seconds to wait."""
        rule = self.limits[action]
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault((action, key), deque())
            while hits and hits[0] <= now - rule.window:
                hits.popleft()
            if len(hits) >= rule.limit:
                return max(1.0, hits[0] + rule.window - now)
            hits.append(now)
            if len(self._hits) > 100_000:  # bound memory under a flood
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 3600}
            return 0.0
