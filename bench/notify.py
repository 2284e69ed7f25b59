"""Reminders by e-mail and SMS (ADR 0023): how many notifications per second
this machine sends through a real SMTP server (aiosmtpd on the loopback) and
an HTTP SMS provider on the loopback (tests/notify_servers.py, which checks
every request), and the time from an agent's act to the message leaving.

- throughput: N people with a reminder due each, one dispatcher pass
  (plan, claim, compose, send, settle); e-mail alone, SMS alone, both. Each
  e-mail opens its own SMTP connection (as the sender does);
- act → message: an agent asks for a piece through the command path; the
  time until the SMS reaches the provider and the e-mail the SMTP server,
  with the server's loop (every SESAME_NOTIFY_EVERY_SECONDS, 5 s by default:
  about half of that is waiting for the next pass) and with a pass started
  right after the act (the dispatcher's own cost).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from server import clock
from server.domain import accounts
from server.notify import channels, dispatch, schedule
from server.notify.mail import EmailSender
from server.notify.sms import HttpSmsProvider, SmsSender
from server.settings import load
from server.store import migrations
from server.store.db import Database
from sync import log as sync_log
from tests.notify_servers import SmsProviderServer, SmtpServer

PEOPLE = 300
ACTS = 5


def _people(db: Database, count: int) -> list[str]:
    def make(conn: Any) -> list[str]:
        made = []
        for n in range(count):
            account = accounts.create(
                conn,
                display_name=f"Bench {n}",
                language=("fr", "en", "ar")[n % 3],
                user_handle=os.urandom(32),
                version=sync_log.next_version(conn),
            )
            conn.execute(
                "UPDATE accounts SET email = ?, phone = ? WHERE id = ?",
                (f"p{n}@example.org", f"06{n:08d}", account.id),
            )
            conn.execute(
                "INSERT INTO notify_preferences (account_id, push, email, sms, organisation, discreet,"
                " quiet_start, quiet_end, timezone, updated_at, version)"
                " VALUES (?, 0, 1, 1, 0, 0, NULL, NULL, 'Europe/Paris', ?, 0)",
                (account.id, clock.iso(clock.now())),
            )
            made.append(account.id)
        return made

    return db.write_sync(make)


def _due(db: Database, people: list[str]) -> None:
    now = clock.now()

    def add(conn: Any) -> None:
        for account_id in people:
            reminder = schedule.Reminder(
                account_id, "prefecture_message", f"message:{uuid.uuid4()}", None, now
            )
            schedule.insert(conn, reminder, None, now)

    db.write_sync(add)


def _throughput(kinds: list[str], smtp: SmtpServer, provider: SmsProviderServer) -> dict[str, Any]:
    for kind in list(channels.senders()):
        channels.unregister(kind)
    if "email" in kinds:
        channels.register(EmailSender(smtp.url, "Sésame <sesame@example.org>", "https://sesame.example"))
    if "sms" in kinds:
        channels.register(SmsSender(HttpSmsProvider(provider.url, provider.token, provider.sender)))
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as folder:
        db = Database(Path(folder) / "bench.db")
        migrations.migrate(db)
        people = _people(db, PEOPLE)
        _due(db, people)
        start = time.perf_counter()
        counts = dispatch.run(db, dispatch.Policy(digest_minutes=0))
        elapsed = time.perf_counter() - start
        db.close()
    for kind in kinds:
        channels.unregister(kind)
    assert counts["sent"] == PEOPLE * len(kinds), counts
    return {"sends": counts["sent"], "seconds": round(elapsed, 2), "per_s": round(counts["sent"] / elapsed)}


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered) * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def act_to_message(smtp: SmtpServer, provider: SmsProviderServer) -> dict[str, Any]:
    """An agent asks for a piece; when do the SMS and the e-mail leave?"""
    from datetime import date, timedelta

    from starlette.testclient import TestClient

    from server.app import create_app
    from tests.people import Applicant
    from tests.test_files_http import sent_renewal
    from tests.test_notify import ask

    every = 5.0
    with tempfile.TemporaryDirectory(prefix="bench-notify-act-") as folder:
        settings = load(
            {
                "SESAME_DATA": str(Path(folder) / "data"),
                "SESAME_RENEW_EVERY_MINUTES": "0",
                "SESAME_NOTIFY_EVERY_SECONDS": str(every),
                "SESAME_NOTIFY_DIGEST_MINUTES": "0",  # one person, several acts: each its own message
                "SESAME_SMTP_URL": smtp.url,
                "SESAME_SMS_URL": provider.url,
                "SESAME_SMS_TOKEN": provider.token,
                "SESAME_SMS_SENDER": provider.sender,
            }
        )
        app = create_app(settings)
        person = Applicant.new(app, settings)
        person.client.__enter__()
        person.signup()
        # No quiet hours: the figure must not depend on the hour the bench runs at.
        prefs = {"email": "amina@example.org", "phone": "0612345678", "quiet_start": "", "quiet_end": ""}
        command = {
            "id": str(uuid.uuid4()),
            "client": "bench",
            "seq": 1,
            "op": "notify.preferences",
            "args": prefs,
        }
        assert person.client.post("/sync/push", json={"commands": [command]}).status_code == 200

        def submitted() -> str:
            return sent_renewal(app, person)

        def wait(times: list[float], count: int) -> float:
            deadline = time.monotonic() + 120
            while len(times) < count:
                assert time.monotonic() < deadline, "no message"
                time.sleep(0.005)
            return times[count - 1]

        def act(file_id: str, then_pass: bool) -> tuple[float, float]:
            sms, mail = len(provider.times), len(smtp.mailbox.times)
            start = time.time()
            ask(app, file_id, date.today() + timedelta(days=60))
            if then_pass:
                dispatch.run(app.state.db, dispatch.Policy(digest_minutes=0))
            return wait(provider.times, sms + 1) - start, wait(smtp.mailbox.times, mail + 1) - start

        try:
            with TestClient(app):  # the lifespan runs the dispatcher's loop
                files = [submitted() for _ in range(ACTS)]
                looped = [act(f, False) for f in files]
            files = [submitted() for _ in range(ACTS)]
            direct = [act(f, True) for f in files]
        finally:
            person.client.__exit__(None, None, None)
            app.state.db.close()
        assert provider.problems == []
        return {
            "loop_every_s": every,
            "sms_loop": _stats([s for s, _ in looped]),
            "email_loop": _stats([m for _, m in looped]),
            "sms_pass_right_after": _stats([s for s, _ in direct]),
            "email_pass_right_after": _stats([m for _, m in direct]),
        }


def measure() -> dict[str, Any]:
    kept = channels.senders()
    try:
        with SmtpServer() as smtp, SmsProviderServer() as provider:
            result: dict[str, Any] = {"people": PEOPLE}
            result["email"] = _throughput(["email"], smtp, provider)
            result["sms"] = _throughput(["sms"], smtp, provider)
            result["email_and_sms"] = _throughput(["email", "sms"], smtp, provider)
            assert provider.problems == []
            result["act_to_message"] = act_to_message(smtp, provider)
            return result
    finally:
        for sender in kept.values():
            channels.register(sender)


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
