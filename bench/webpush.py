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

And the time from an agent's act (a piece asked for, applied through the
command path) to its push reaching the push service: in-process app, its
dispatcher's loop running as in `sesame serve` (every SESAME_NOTIFY_EVERY_SECONDS,
5 s by default, so about half of that is waiting for the next pass), and with a
pass started right after the act (the dispatcher's own cost: derive, plan,
claim, encrypt, POST, settle).

Its own throw-away data folder (the VAPID key), app and receiver: no server needed.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import uuid
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


ACTS = 6


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def act_to_push() -> dict[str, Any]:
    """An agent asks for a piece; when does the push leave for the person's phone?"""
    from datetime import date, timedelta

    from starlette.testclient import TestClient

    from server.app import create_app
    from server.notify import dispatch
    from tests.people import Applicant
    from tests.test_files_http import sent_renewal
    from tests.test_notify import ask

    every = 5.0
    with tempfile.TemporaryDirectory(prefix="bench-webpush-act-") as folder, Receiver() as receiver:
        environ = {
            "SESAME_DATA": str(Path(folder) / "data"),
            "SESAME_RENEW_EVERY_MINUTES": "0",
            "SESAME_NOTIFY_EVERY_SECONDS": str(every),
            "SESAME_NOTIFY_DIGEST_MINUTES": "0",  # one person, several acts: each its own push
        }
        settings = load(environ)
        app = create_app(settings)
        people: list[Applicant] = []

        def make_person() -> Applicant:
            person = Applicant.new(app, settings)
            person.client.__enter__()
            people.append(person)
            return person

        person = make_person()
        person.signup()
        browser = receiver.new_subscription(server_key=vapid.keys(settings).public_b64)
        form = {"endpoint": browser.endpoint, "p256dh": browser.p256dh, "auth": browser.auth_b64}
        assert person.client.post("/account/push", data=form, follow_redirects=False).status_code == 303
        # No quiet hours: the figure must not depend on the hour the bench runs at.
        preferences = {
            "id": str(uuid.uuid4()),
            "client": "bench",
            "seq": 1,
            "op": "notify.preferences",
            "args": {"quiet_start": "", "quiet_end": ""},
        }
        assert person.client.post("/sync/push", json={"commands": [preferences]}).status_code == 200

        def subscribed_file() -> str:
            """A submitted renewal of this person, locked by an agent."""
            return sent_renewal(app, person)

        def act(file_id: str) -> float:
            before = len(receiver.received)
            start = time.time()
            ask(app, file_id, date.today() + timedelta(days=60))
            received = receiver.wait(before + 1)
            return received[before].at - start

        looped: list[float] = []
        direct: list[float] = []
        policy = dispatch.Policy(digest_minutes=0)
        try:
            with TestClient(app):  # the lifespan runs the dispatcher's loop
                files_looped = [subscribed_file() for _ in range(ACTS)]
                for file_id in files_looped:
                    looped.append(act(file_id))
            files_direct = [subscribed_file() for _ in range(ACTS)]
            for file_id in files_direct:
                before = len(receiver.received)
                start = time.time()
                ask(app, file_id, date.today() + timedelta(days=60))
                dispatch.run(app.state.db, policy)
                direct.append(receiver.wait(before + 1)[before].at - start)
        finally:
            for person in people:
                person.client.__exit__(None, None, None)
            app.state.db.close()
        assert all(receiver.decrypt_json(p)["body"] for p in receiver.received)
        return {
            "loop_every_s": every,
            "act_to_push_in_server_loop": _stats(looped),
            "act_to_push_pass_right_after": _stats(direct),
            "acts": ACTS,
        }


def measure_all() -> dict[str, Any]:
    return {**measure(), "act_to_push": act_to_push()}


if __name__ == "__main__":
    print(measure_all())
