from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings, load
from server.store.db import Database
from server.store.migrations import migrate

from . import seaweed
from .people import Applicant, Person


@pytest.fixture(scope="session")
def s3() -> Iterator[seaweed.Seaweed]:
    """SeaweedFS, started on first use and stopped at the end of the session."""
    with seaweed.running() as store:
        yield store


def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a test parametrised over the blob stores ("file", "s3")."""
    environ = {"SESAME_DATA": str(tmp_path / "data")}
    if request.param == "s3":
        environ.update(request.getfixturevalue("s3").environ())
    return load(environ)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The attestation schedule and the notifications run only when a test asks
    # (renewals.run, notify.dispatch.run).
    return load(
        {
            "SESAME_DATA": str(tmp_path / "data"),
            "SESAME_RENEW_EVERY_MINUTES": "0",
            "SESAME_NOTIFY_EVERY_SECONDS": "0",
        }
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Starlette]:
    application = create_app(settings)
    yield application
    application.state.db.close()


@pytest.fixture
def client(app: Starlette, settings: Settings) -> Iterator[TestClient]:
    with TestClient(app, base_url=settings.origin, headers={"origin": settings.origin}) as c:
        yield c


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "unit.db")
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def person(app: Starlette, settings: Settings) -> Iterator[Person]:
    """Someone with a browser (a client of their own) and a phone (a soft authenticator)."""
    with Person.new(app, settings) as p:
        yield p


@pytest.fixture
def make_person(app: Starlette, settings: Settings) -> Iterator[object]:
    made: list[Person] = []

    def make(synced: bool = False) -> Applicant:
        p = Applicant.new(app, settings, synced=synced)
        p.client.__enter__()
        made.append(p)
        return p

    yield make
    for p in made:
        p.client.__exit__(None, None, None)
