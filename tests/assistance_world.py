"""A small world for the tests of a worker's help with access: two approved
organisations, workers signed in, mandates granted and revoked through their
commands (tests/orgs.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

from server import commands as command_registry
from server.auth import policy
from sync.protocol import Command

from . import orgs

CODE = re.compile(r"<code[^>]*data-code[^>]*>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5})</code>")


class World:
    def __init__(self, app: Any, settings: Any) -> None:
        self.app, self.settings = app, settings
        self.org = app.state.db.write_sync(lambda c: orgs.approved_organisation(c, "La Cimade Bobigny", "93"))
        self.other_org = app.state.db.write_sync(lambda c: orgs.approved_organisation(c, "Secours Populaire"))
        self.workers: list[Worker] = []

    def worker(self, other: bool = False, name: str = "Inès Worker") -> Worker:
        made = Worker(self.app, self.settings, (self.other_org if other else self.org).id, name)
        self.workers.append(made)
        return made


class Worker:
    def __init__(self, app: Any, settings: Any, org_id: str, name: str) -> None:
        self.account_id = app.state.db.write_sync(lambda c: orgs.worker_account(c, org_id, name).id)
        self.org_id = org_id
        self.client = orgs.signed_in_client(app, settings, self.account_id)
        self.client.__enter__()

    @property
    def actor(self) -> policy.Actor:
        return policy.Actor(role="worker", account_id=self.account_id, organisation=self.org_id)


def make_world(app: Any, settings: Any) -> Iterator[World]:
    world = World(app, settings)
    yield world
    for w in world.workers:
        w.client.__exit__(None, None, None)


def grant(app: Any, person_id: str, org_id: str, *, can_act: bool = True, file_id: str | None = None) -> str:
    """The person's mandate to the organisation (all files unless `file_id`)."""
    return orgs.grant(app, person_id, org_id, can_act=can_act, file_id=file_id)


def revoke(app: Any, person_id: str, mandate_id: str) -> None:
    result = orgs.run(app, orgs.person_actor(person_id), "mandate.revoke", mandate_id=mandate_id)
    assert result.applied, result


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
