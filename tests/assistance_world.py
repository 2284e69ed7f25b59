"""A small world for the tests of a worker's help with access: organisations,
workers signed in, mandates (rows as ADR 0020 describes them)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from server import clock
from server import commands as command_registry
from server.auth import policy, sessions
from server.domain import accounts
from sync.protocol import Command

CODE = re.compile(r"<code[^>]*data-code[^>]*>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5})</code>")
ORG, OTHER_ORG = "org-cimade", "org-secours"


# -- a small world: organisations, workers, mandates ---------------------------


def organisation(app: Any, org_id: str, name: str) -> None:
    app.state.db.write_sync(
        lambda c: c.execute(
            "INSERT INTO organisations (id, name, kind, departement, status, created_at, version)"
            " VALUES (?, ?, 'association', '93', 'approved', ?, 1)",
            (org_id, name, clock.iso(clock.now())),
        )
    )


class Worker:
    def __init__(self, app: Any, settings: Any, org_id: str, name: str = "Inès Worker") -> None:
        def make(conn: Any) -> tuple[str, str]:
            handle = uuid.uuid4().bytes * 2
            account = accounts.create(
                conn, display_name=name, language="fr", user_handle=handle, version=1, role="worker"
            )
            conn.execute("UPDATE accounts SET organisation = ? WHERE id = ?", (org_id, account.id))
            token, _ = sessions.create(
                conn, account.id, lifetime=3600, sliding=False, user_agent="", ip="", now=clock.now()
            )
            return account.id, token

        self.account_id, token = app.state.db.write_sync(make)
        self.org_id = org_id
        self.client = TestClient(app, base_url=settings.origin, headers={"origin": settings.origin})
        self.client.__enter__()
        self.client.cookies.set(sessions.COOKIE, token)

    @property
    def actor(self) -> policy.Actor:
        return policy.Actor(role="worker", account_id=self.account_id, organisation=self.org_id)

    def close(self) -> None:
        self.client.__exit__(None, None, None)


def grant(app: Any, person_id: str, org_id: str, *, can_act: bool = True, file_id: str | None = None) -> str:
    mandate_id = str(uuid.uuid4())
    now = clock.now()
    app.state.db.write_sync(
        lambda c: c.execute(
            "INSERT INTO mandates (id, person_id, organisation_id, file_id, can_act, granted_at, expires_at,"
            " granted_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                mandate_id,
                person_id,
                org_id,
                file_id,
                int(can_act),
                clock.iso(now),
                clock.iso(now + timedelta(days=365)),
                person_id,
            ),
        )
    )
    return mandate_id


def revoke(app: Any, mandate_id: str) -> None:
    app.state.db.write_sync(
        lambda c: c.execute(
            "UPDATE mandates SET revoked_at = ?, revoked_by = 'person' WHERE id = ?",
            (clock.iso(clock.now()), mandate_id),
        )
    )


def make_world(app: Any, settings: Any) -> Iterator[Any]:
    organisation(app, ORG, "La Cimade Bobigny")
    organisation(app, OTHER_ORG, "Secours Populaire")
    made: list[Worker] = []

    def worker(org_id: str = ORG, name: str = "Inès Worker") -> Worker:
        w = Worker(app, settings, org_id, name)
        made.append(w)
        return w

    yield worker
    for w in made:
        w.close()


def code_in(html: str) -> str:
    found = CODE.search(html)
    assert found, html
    return found.group(1)


def apply(app: Any, actor: policy.Actor, op: str, args: dict[str, Any]) -> Any:
    command = Command(id=str(uuid.uuid4()), client="t", seq=0, op=op, args=args)
    return app.state.db.write_sync(lambda c: command_registry.apply(c, command, actor))


def codes(app: Any, person_id: str) -> list[dict[str, Any]]:
    return app.state.db.read_sync(
        lambda c: [
            dict(r)
            for r in c.execute("SELECT * FROM claim_codes WHERE account_id = ? ORDER BY id", (person_id,))
        ]
    )
