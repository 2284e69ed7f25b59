"""Web Push (ADR 0024): how many encrypted pushes this machine sends per
second to a push service on the loopback (tests/push_receiver.py, which checks
VAPID and TTL and answers 201 as RFC 8030 says), and what one costs.

- encrypt: RFC 8291 encryption alone (a fresh ECDH key and salt per push);
- send, one thread: encrypt + VAPID header (one signature per push service
  every few hours) + POST over a kept-alive connection + the 201;
- send, 4 threads: the same from 4 threads (one session each), as a
  dispatcher would with a pool;
- every received push is decrypted afterwards with the subscription's keys (not
  timed) so the figure counts only pushes a browser could read.

Its own throw-away data folder (the VAPID key) and receiver: no server needed.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pywebpush import WebPusher

from server.notify import subscriptions, vapid, webpush
from server.settings import load
from tests.push_receiver import Browser, Receiver

PUSHES = 400
THREADS = 4
TEXT = "Sésame : la préfecture vous a écrit. Ouvrez l’application."


def _subscription(browser: Browser) -> subscriptions.Subscription:
    return subscriptions.Subscription(
        browser.token,
        "bench",
        browser.endpoint,
        browser.p256dh,
        browser.auth_b64,
        "bench",
        "2026-12-02T00:00:00Z",
        None,
        None,
        None,
        None,
    )


def _encrypt_rate(browser: Browser, data: bytes, count: int) -> float:
    pusher = WebPusher(_subscription(browser).info)
    start = time.perf_counter()
    for _ in range(count):
        pusher.encode(data, "aes128gcm")
    return count / (time.perf_counter() - start)


def _send(subs: list[subscriptions.Subscription], data: bytes, keys: vapid.Keys, times: list[float]) -> None:
    http = webpush.session()
    for sub in subs:
        start = time.perf_counter()
        delivery = webpush.deliver(sub, data, keys, http=http)
        times.append(time.perf_counter() - start)
        assert delivery.delivered, delivery


def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-webpush-") as folder, Receiver() as receiver:
        keys = vapid.keys(load({"SESAME_DATA": str(Path(folder) / "data")}))
        browsers = [receiver.new_subscription(server_key=keys.public_b64) for _ in range(PUSHES)]
        subs = [_subscription(b) for b in browsers]
        data = webpush.payload(title="Sésame", body=TEXT, path="/dashboard", lang="fr", discreet=False)
        result: dict[str, Any] = {"payload_bytes": len(data)}
        result["encrypt_per_s"] = round(_encrypt_rate(browsers[0], data, PUSHES))

        times: list[float] = []
        _send(subs[:20], data, keys, [])  # warm: connection, VAPID signature
        start = time.perf_counter()
        _send(subs, data, keys, times)
        one = time.perf_counter() - start
        result["send_1_thread_per_s"] = round(len(subs) / one)
        result["send_ms_median"] = round(statistics.median(times) * 1000, 2)
        result["send_ms_p95"] = round(sorted(times)[int(len(times) * 0.95)] * 1000, 2)

        chunks = [subs[i::THREADS] for i in range(THREADS)]
        threads = [threading.Thread(target=_send, args=(chunk, data, keys, [])) for chunk in chunks]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        many = time.perf_counter() - start
        result[f"send_{THREADS}_threads_per_s"] = round(len(subs) / many)

        received = receiver.wait(20 + 2 * PUSHES)
        assert len(received) == 20 + 2 * PUSHES and not receiver.refused, receiver.refused
        assert all(receiver.decrypt(push) == data for push in received)
        result["encrypted_body_bytes"] = len(received[0].body)
        return result


if __name__ == "__main__":
    print(measure())
