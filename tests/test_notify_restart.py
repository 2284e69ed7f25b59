"""Exactly once across crashes (ADR 0023): the real `sesame serve` (Litestream
wrapping uvicorn, the dispatcher in its background loop) is SIGKILLed

- while a claimed SMS is at the provider, unanswered: after the restart and the
  lease, it goes again with the same idempotency key, and the provider keeps one;
- right after a send was marked sent: nothing goes again;
- after a cron pass claimed a send and died before sending: sent once, after the lease;
- and the database restored to a moment before a send: the same key again.

The provider is local and checks every request (tests/notify_servers.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from server import clock, commands
from server.auth.policy import Actor
from server.notify import dispatch, schedule
from server.store.db import Database
from sync.protocol import Command

from .notify_servers import SmsProviderServer, free_port
from .test_complements import a_piece, submitted_renewal
from .test_notify import as_person, confirmed, owner

ROOT = Path(__file__).parent.parent
SAFETY_NET = 120  # seconds: a bound on waiting for conditions, never a timing assertion
AGENT = Actor(role="agent", account_id="agent-1", prefecture="93")


def environ(data: Path, port: int, provider: SmsProviderServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
    env.update(
        SESAME_DATA=str(data),
        PORT=str(port),
        SESAME_LOG_LEVEL="warning",
        SESAME_RENEW_EVERY_MINUTES="0",
        SESAME_NOTIFY_EVERY_SECONDS="0.2",
        SESAME_NOTIFY_DIGEST_MINUTES="0",
        SESAME_NOTIFY_LEASE_SECONDS="3",
        SESAME_SMS_URL=provider.url,
        SESAME_SMS_TOKEN=provider.token,
        SESAME_SMS_SENDER=provider.sender,
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    return env


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import urllib.request

        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                ["sesame", "serve"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{self.env['PORT']}"
        until(lambda: _up(urllib.request, base) or self._alive(), "the server starts")

    def _alive(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()
        return False

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _up(request_module: object, base: str) -> bool:
    try:
        request_module.urlopen(base + "/healthz", timeout=2).read()  # type: ignore[attr-defined]
        return True
    except OSError:
        return False


def until(condition, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + SAFETY_NET
    while not condition():
        assert time.monotonic() < deadline, f"waited too long for: {what}"
        time.sleep(0.05)


def sends(path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        # The SMS sends (every notice also has a push send, dropped: no device here).
        return conn.execute(
            "SELECT * FROM notify_sends WHERE channel = 'sms' ORDER BY created_at, id"
        ).fetchall()
    finally:
        conn.close()


def state(path: Path, send_id: str) -> str | None:
    return next((r["state"] for r in sends(path) if r["id"] == send_id), None)


def newest(path: Path, known: set[str]) -> str | None:
    fresh = [r["id"] for r in sends(path) if r["id"] not in known]
    assert len(fresh) <= 1
    return fresh[0] if fresh else None


def agent_act(db: Database, op: str, args: dict) -> None:
    command = Command(id=str(uuid.uuid4()), client="back-office", seq=0, op=op, args=args)
    assert db.write_sync(lambda c: commands.apply(c, command, AGENT)).applied


def message(db: Database, file_id: str) -> None:
    agent_act(db, "message.send", {"file_id": file_id, "message_id": str(uuid.uuid4()), "body": "Bonjour."})


def test_no_reminder_twice_nor_skipped_across_kills_and_a_restore(
    app, settings, make_person, tmp_path
) -> None:
    _, file_id = submitted_renewal(app, make_person)
    assert as_person(app, owner(app, file_id), "notify.preferences", {"phone": "06 12 34 56 78"}).applied
    confirmed(app.state.db, owner(app, file_id), "sms")
    app.state.db.close()
    path = settings.db_path
    with SmsProviderServer() as provider:
        server = Server(environ(settings.data_dir, free_port(), provider), tmp_path / "serve.log")
        db = Database(path)
        try:
            # 1. Killed while the provider holds the request, unanswered.
            provider.hold = threading.Event()
            server.start()
            item = {
                "kind": "piece",
                "target": a_piece(file_id),
                "reason": "Page illisible.",
                "due": "2099-01-01",
            }
            agent_act(db, "complement.request", {"file_id": file_id, "items": [{**item, "due": ""}]})
            until(provider.arrived.is_set, "the SMS reaches the provider")
            assert [r["state"] for r in sends(path)] == ["sending"]
            server.kill()
            held, provider.hold = provider.hold, None
            held.set()
            server.start()
            until(lambda: [r["state"] for r in sends(path)] == ["sent"], "the SMS is sent after the restart")
            first = sends(path)[0]["id"]
            assert [r["reference"] for r in provider.requests] == [first, first]  # the same key, twice
            assert list(provider.accepted) == [first]  # and one message

            # 2. Killed right after a send was marked sent: it never goes again.
            message(db, file_id)
            until(lambda: len(sends(path)) == 2 and sends(path)[1]["state"] == "sent", "the second is sent")
            server.kill()
            server.start()
            message(db, file_id)  # a third: proof that passes ran after the restart
            until(lambda: len(sends(path)) == 3 and sends(path)[2]["state"] == "sent", "the third is sent")
            second, third = sends(path)[1]["id"], sends(path)[2]["id"]
            assert [r["reference"] for r in provider.requests].count(second) == 1

            # 3. A cron pass claimed a send and died before sending it.
            server.kill()
            message(db, file_id)
            policy = dispatch.Policy(digest_minutes=0, lease_seconds=3)
            db.write_sync(lambda c: schedule.derive(c, clock.now()))
            db.write_sync(lambda c: dispatch.plan(c, clock.now(), policy, ["sms"]))
            (claimed,) = db.write_sync(lambda c: dispatch.claim(c, clock.now(), policy))
            server.start()
            until(lambda: state(path, claimed.id) == "sent", "the claimed send is sent after its lease")
            assert [r["reference"] for r in provider.requests].count(claimed.id) == 1

            # 4. A restore to a moment before a send: the same key goes again, one message stays.
            server.kill()
            message(db, file_id)
            backup = tmp_path / "before.db"
            with sqlite3.connect(path) as live, sqlite3.connect(backup) as copy:
                live.backup(copy)
            known = {r["id"] for r in sends(path)}
            server.start()
            until(lambda: newest(path, known) is not None, "the fifth is planned")
            fifth = newest(path, known)
            until(lambda: state(path, fifth) == "sent", "the fifth is sent")
            server.kill()
            db.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            with sqlite3.connect(backup) as copy, sqlite3.connect(path) as restored:
                copy.backup(restored)
            db = Database(path)
            server.start()
            until(lambda: state(path, fifth) == "sent", "the restored database sends it again")
            assert [r["reference"] for r in provider.requests].count(fifth) == 2
            assert list(provider.accepted) == [first, second, third, claimed.id, fifth]
            assert provider.problems == []
        finally:
            if server.process is not None and server.process.poll() is None:
                server.kill()
            db.close()
