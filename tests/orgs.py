"""Organisations, workers and mandates for tests."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient

from server import clock, commands
from server.auth import sessions
from server.auth.policy import Actor
from server.domain import accounts, organisations
from server.settings import Settings
from sync.protocol import Command, Result


def approved_organisation(
    conn: sqlite3.Connection, name: str = "Abri Solidaire", departement: str = "75"
) -> organisations.Organisation:
    org = organisations.create(
        conn,
        organisation_id=str(uuid.uuid4()),
        name=name,
        kind="shelter",
        departement=departement,
        contact_name="Claire",
        contact_email="claire@abri.example",
        contact_phone=None,
        version=1,
        now=clock.now(),
    )
    organisations.set_status(conn, org.id, "approved", "admin:test", 1, clock.now())
    found = organisations.get(conn, org.id)
    assert found is not None
    return found


def worker_account(conn: sqlite3.Connection, organisation_id: str, name: str = "Karim") -> accounts.Account:
    return accounts.create(
        conn,
        display_name=name,
        language="fr",
        user_handle=accounts.new_user_handle(),
        version=1,
        role="worker",
        organisation=organisation_id,
    )


def signed_in_client(app: Starlette, settings: Settings, account_id: str) -> TestClient:
    token, _ = app.state.db.write_sync(
        lambda c: sessions.create(
            c, account_id, lifetime=3600, sliding=False, user_agent="", ip="", now=clock.now()
        )
    )
    client = TestClient(app, base_url=settings.origin, headers={"origin": settings.origin})
    client.cookies.set(sessions.COOKIE, token)
    return client


def worker(app: Starlette, org_id: str, name: str = "Karim") -> Actor:
    account = app.state.db.write_sync(lambda c: worker_account(c, org_id, name))
    return Actor(role="worker", account_id=account.id, organisation=org_id, session_id="s-" + account.id[:8])


def run(app: Starlette, actor: Actor, op: str, cid: str | None = None, **args: Any) -> Result:
    command = Command(id=cid or str(uuid.uuid4()), client="t", seq=0, op=op, args=args)
    return app.state.db.write_sync(lambda c: commands.apply(c, command, actor))  # type: ignore[no-any-return]


def person_actor(account_id: str) -> Actor:
    return Actor(role="applicant", account_id=account_id, session_id="p-" + account_id[:8])


def grant(app: Starlette, person_id: str, org_id: str, **args: Any) -> str:
    result = run(app, person_actor(person_id), "mandate.grant", organisation_id=org_id, **args)
    assert result.applied, result
    return str(result.data["mandate_id"])


def scan(app: Starlette, account_id: str, size: int = 3000) -> str:
    """A scanned paper mandate uploaded by `account_id` (as through tus): its sha256."""
    import io

    from server.domain import uploads

    from . import samples

    stream = io.BytesIO(samples.pdf(size))
    received = uploads.keep(app.state.blobs, stream, "application/pdf", 20 * 1024 * 1024)
    app.state.db.write_sync(lambda c: uploads.grant(c, app.state.blobs, received, account_id, cap=10**9))
    return received.sha256


def account_id_of(app: Starlette, name: str) -> str:
    row = app.state.db.read_sync(
        lambda c: c.execute("SELECT id FROM accounts WHERE display_name = ?", (name,)).fetchone()
    )
    assert row, name
    return str(row[0])
