"""Hand-off: a person followed without an account takes it over with a printed
one-time code and their own passkey, keeping the whole history and the mandate."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from server import clock
from server.auth import claims, policy
from server.web import messages
from sync.protocol import Command

from .assistance_world import World, apply, code_in, codes, grant, make_world, revoke
from .people import Applicant, ceremony


@pytest.fixture
def world(app: Any, settings: Any) -> Iterator[World]:
    yield from make_world(app, settings)


def held_person(app: Any, name: str = "Aminata Diallo", language: str = "fr") -> str:
    def make(conn: Any) -> str:
        return claims.create_held(conn, display_name=name, language=language, version=1, now=clock.now()).id

    return app.state.db.write_sync(make)


def file_for(app: Any, worker: Any, person_id: str, mandate_id: str) -> str:
    """A file the worker started for the person (acting for them)."""
    from server import commands as command_registry

    acting = policy.Actor(
        role="worker",
        account_id=worker.account_id,
        organisation=worker.org_id,
        acting_for=person_id,
        mandate_id=mandate_id,
    )
    file_id = str(uuid.uuid4())
    command = Command(
        id=str(uuid.uuid4()),
        client="t",
        seq=0,
        op="file.create",
        args={"file_id": file_id, "procedure": "duplicate", "grounds": []},
    )
    result = app.state.db.write_sync(lambda c: command_registry.apply(c, command, acting))
    assert result.applied, result
    return file_id


def handoff(worker: Any, person_id: str) -> Any:
    return worker.client.post(f"/worker/people/{person_id}/handoff")


def claim(app: Any, settings: Any, code: str) -> tuple[Any, Applicant]:
    phone = Applicant.new(app, settings)
    phone.client.__enter__()
    page = phone.client.post("/claim", data={"code": code})
    if page.status_code != 200:
        return page, phone
    step = ceremony(page.text)
    answer = phone.phone.create(step["publicKey"])
    done = phone.client.post(
        "/claim/finish", data={"flow": step["flow"], "credential": json.dumps(answer), "code": code}
    )
    return done, phone


def test_the_person_takes_over_the_account_with_its_history(app, settings, world) -> None:
    pid = held_person(app)
    mandate = grant(app, pid, world.org.id)
    worker = world.worker()
    file_id = file_for(app, worker, pid, mandate)
    page = worker.client.get(f"/worker/people/{pid}/access")
    assert page.status_code == 200 and f'action="/worker/people/{pid}/handoff"' in page.text

    printed = handoff(worker, pid)
    assert printed.status_code == 200, printed.text
    code = code_in(printed.text)
    assert 'src="data:image/svg+xml' in printed.text and "/claim" in printed.text
    until = codes(app, pid)[0]["expires_at"]
    assert clock.parse(until) - clock.now() > timedelta(days=29)
    from server.templating import date

    assert date(until) in printed.text  # the expiry is on the printout
    assert "garde son mandat" in printed.text

    done, phone = claim(app, settings, code)
    assert done.status_code == 200, done.text
    # The mandate stays, and the page says so, with the way to revoke it.
    assert "La Cimade Bobigny" in done.text and 'href="/account#mandates"' in done.text
    still = app.state.db.read_sync(lambda c: c.execute("SELECT revoked_at FROM mandates").fetchone()[0])
    assert still is None
    # The whole history is theirs.
    assert phone.client.get(f"/files/{file_id}").status_code == 200
    history = phone.client.get("/timeline").text
    assert "a imprimé pour vous un code pour prendre votre compte en main" in history
    assert "Vous avez retrouvé votre dossier sur Sésame" in history
    assert not app.state.db.read_sync(lambda c: claims.is_held(c, pid))


def test_a_reprint_invalidates_the_previous_code(app, settings, world) -> None:
    pid = held_person(app)
    grant(app, pid, world.org.id)
    worker = world.worker()
    first = code_in(handoff(worker, pid).text)
    second = code_in(handoff(worker, pid).text)
    refused, _ = claim(app, settings, first)
    assert refused.status_code == 400 and messages.MESSAGES["code_unknown"] in refused.text
    done, _ = claim(app, settings, second)
    assert done.status_code == 200
    again, _ = claim(app, settings, second)
    assert again.status_code == 400 and messages.MESSAGES["code_used"] in again.text


def test_no_mandate_view_only_or_another_organisation_is_refused(app, settings, world) -> None:
    pid = held_person(app)
    worker = world.worker()
    assert handoff(worker, pid).status_code == 404
    args = {"person_id": pid, "code_hash": "0" * 64}
    assert apply(app, worker.actor, "assist.handoff_code", args).code == "mandate"
    grant(app, pid, world.org.id, can_act=False)
    refused = handoff(worker, pid)
    assert refused.status_code == 403 and messages.MESSAGES["mandate"] in refused.text
    stranger = world.worker(other=True, name="Paul Ailleurs")
    assert handoff(stranger, pid).status_code == 404
    assert apply(app, stranger.actor, "assist.handoff_code", args).code == "mandate"
    assert codes(app, pid) == []


def test_a_revoked_mandate_voids_the_printed_code(app, settings, world) -> None:
    pid = held_person(app)
    mandate = grant(app, pid, world.org.id)
    worker = world.worker()
    code = code_in(handoff(worker, pid).text)
    revoke(app, pid, mandate)
    refused, _ = claim(app, settings, code)
    assert refused.status_code == 400 and messages.MESSAGES["code_mandate"] in refused.text


def test_an_expired_code_says_when_to_ask_again(app, settings, world, monkeypatch) -> None:
    pid = held_person(app)
    grant(app, pid, world.org.id)
    worker = world.worker()
    code = code_in(handoff(worker, pid).text)
    later = clock.now() + timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    refused, _ = claim(app, settings, code)
    assert refused.status_code == 400 and messages.MESSAGES["code_expired"] in refused.text


def test_a_person_with_an_account_is_helped_to_recover_not_handed_over(
    app, settings, make_person, world
) -> None:
    person = make_person()
    person.signup("Karim")
    pid = app.state.db.read_sync(
        lambda c: c.execute("SELECT id FROM accounts WHERE display_name = 'Karim'").fetchone()[0]
    )
    grant(app, pid, world.org.id)
    worker = world.worker()
    page = worker.client.get(f"/worker/people/{pid}/access")
    assert "/handoff" not in page.text and "/recovery" in page.text
    assert (
        apply(app, worker.actor, "assist.handoff_code", {"person_id": pid, "code_hash": "0" * 64}).code
        == "not_held"
    )
