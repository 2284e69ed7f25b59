"""Assisted recovery: a worker with a mandate to act checks the person's
identity in person and prints a one-time enrolment code; the person registers a
passkey on a new phone with it; the old passkeys go at the person's choice."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from server import clock
from server.domain import audit
from server.web import messages

from .assistance_world import Worker, World, apply, code_in, codes, grant, make_world, revoke
from .people import Applicant, ceremony
from .softauthn import SoftAuthenticator


@pytest.fixture
def world(app: Any, settings: Any) -> Iterator[World]:
    yield from make_world(app, settings)


def account_id(app: Any, person: Applicant) -> str:
    return app.state.db.read_sync(
        lambda c: c.execute("SELECT id FROM accounts WHERE display_name = ?", (person.name,)).fetchone()[0]
    )


def issue(worker: Worker, person_id: str, **form: str) -> Any:
    data = {"identity_checked": "yes", "document": "passport", **form}
    return worker.client.post(f"/worker/people/{person_id}/recovery", data=data)


def enrol(
    app: Any, settings: Any, code: str, phone: SoftAuthenticator | None = None
) -> tuple[Any, Applicant]:
    """The person, on a new phone, types the code and creates a passkey."""
    newcomer = Applicant.new(app, settings)
    newcomer.client.__enter__()
    if phone is not None:
        newcomer.phone = phone
    page = newcomer.client.post("/recover/assisted", data={"code": code})
    if page.status_code != 200:
        return page, newcomer
    step = ceremony(page.text)
    answer = newcomer.phone.create(step["publicKey"])
    done = newcomer.client.post(
        "/recover/assisted/finish",
        data={"flow": step["flow"], "credential": json.dumps(answer), "code": code},
        follow_redirects=False,
    )
    return done, newcomer


# -- the journey ----------------------------------------------------------------


def test_a_worker_helps_a_person_onto_a_new_phone(app, settings, make_person, world) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    grant(app, pid, world.org.id)
    worker = world.worker()
    page = worker.client.get(f"/worker/people/{pid}/access")
    assert page.status_code == 200 and "J’ai vérifié l’identité de la personne en personne" in page.text

    printed = issue(worker, pid)
    assert printed.status_code == 200, printed.text
    code = code_in(printed.text)
    assert 'src="data:image/svg+xml' in printed.text  # the QR code
    assert "/recover/assisted" in printed.text and "24 heures" in printed.text
    # The code is kept as a keyed hash only, and the command log never holds it.
    [row] = codes(app, pid)
    assert row["purpose"] == "assisted" and code not in json.dumps(row)
    logged = app.state.db.read_sync(
        lambda c: [json.dumps(dict(r)) for r in c.execute("SELECT * FROM commands")]
    )
    assert logged and not any(code in text or code.replace("-", "") in text for text in logged)

    done, phone = enrol(app, settings, code)
    assert done.status_code == 303 and done.headers["location"] == "/account?done=assisted_recovered"
    account = phone.client.get("/account")
    assert "la clé de cet appareil" in account.text
    assert len(re.findall(r'action="/account/passkeys/[^"]+/remove"', account.text)) == 2
    # The lost phone's session ends: it may be in someone else's hands.
    assert person.client.get("/account", follow_redirects=False).status_code == 303
    history = phone.client.get("/timeline").text
    assert (
        "Une nouvelle clé d’accès a été ajoutée avec l’aide de Inès Worker (La Cimade Bobigny) le" in history
    )
    assert "a vérifié votre identité en personne (passeport)" in history
    # The authentication journal names the worker and the mandate.
    event = app.state.db.read_sync(
        lambda c: dict(c.execute("SELECT * FROM auth_events WHERE kind = 'assisted_recovery'").fetchone())
    )
    assert json.loads(event["detail"])["by"] == worker.account_id
    # Each step is audited: the worker's command, then the enrolment with the code.
    trail = app.state.db.read_sync(
        lambda c: [
            (r["actor_id"], r["action"], r["outcome"]) for r in c.execute("SELECT * FROM audit ORDER BY id")
        ]
    )
    assert (worker.account_id, "assist.recovery_code", "applied") in trail
    assert (pid, "assisted_recovery.enrol", "applied") in trail
    assert app.state.db.read_sync(lambda c: audit.check(c))[1] is None  # the chain holds


def test_the_identity_check_is_required_and_the_document_recorded(app, settings, make_person, world) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    grant(app, pid, world.org.id)
    worker = world.worker()
    refused = worker.client.post(f"/worker/people/{pid}/recovery", data={"document": "passport"})
    assert refused.status_code == 400
    assert messages.MESSAGES["identity_unchecked"] in refused.text
    no_document = issue(worker, pid, document="")
    assert no_document.status_code == 400 and messages.MESSAGES["document_required"] in no_document.text
    other = issue(worker, pid, document="other", document_other="")
    assert other.status_code == 400
    assert codes(app, pid) == []
    assert (
        issue(worker, pid, document="other", document_other="Carte de la CAF avec photo").status_code == 200
    )
    timeline = app.state.db.read_sync(
        lambda c: json.loads(
            c.execute("SELECT data FROM timeline WHERE kind = 'recovery_code_issued'").fetchone()[0]
        )
    )
    assert timeline["document"] == "other" and timeline["document_other"] == "Carte de la CAF avec photo"
    assert timeline["worker_id"] == worker.account_id and timeline["organisation"] == "La Cimade Bobigny"


def test_no_mandate_view_only_or_one_file_is_refused(app, settings, make_person, world) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    worker = world.worker()
    # No mandate: the person does not exist for this worker.
    assert worker.client.get(f"/worker/people/{pid}/access").status_code == 404
    assert issue(worker, pid).status_code == 404
    # And the command itself refuses, whatever route brings it.
    args = {"person_id": pid, "code_hash": "0" * 64, "identity_checked": True, "document": "passport"}
    assert apply(app, worker.actor, "assist.recovery_code", args).code == "mandate"
    # View only: the page says why; issuing is refused.
    grant(app, pid, world.org.id, can_act=False)
    page = worker.client.get(f"/worker/people/{pid}/access")
    assert page.status_code == 200 and "consultation seulement" in page.text
    assert 'action="/worker/people/' not in page.text
    refused = issue(worker, pid)
    assert refused.status_code == 403 and messages.MESSAGES["mandate"] in refused.text
    assert apply(app, worker.actor, "assist.recovery_code", args).code == "mandate"
    assert codes(app, pid) == []


def test_a_worker_acting_for_the_person_cannot_touch_their_access(app, settings, make_person, world) -> None:
    """Through a pushed `"for"` (acting in the person's name), these commands are
    not the person's own acts: refused, whatever the mandate."""
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    mandate = grant(app, pid, world.org.id)
    worker = world.worker()
    acting = dataclasses.replace(worker.actor, acting_for=pid, mandate_id=mandate)
    args = {"person_id": pid, "code_hash": "0" * 64, "identity_checked": True, "document": "passport"}
    assert apply(app, acting, "assist.recovery_code", args).code == "forbidden"
    assert codes(app, pid) == []


def test_a_worker_of_another_organisation_cannot_issue_codes(app, settings, make_person, world) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    grant(app, pid, world.org.id)
    stranger = world.worker(other=True, name="Paul Ailleurs")
    assert stranger.client.get(f"/worker/people/{pid}/access").status_code == 404
    assert issue(stranger, pid).status_code == 404
    args = {"person_id": pid, "code_hash": "0" * 64, "identity_checked": True, "document": "passport"}
    assert apply(app, stranger.actor, "assist.recovery_code", args).code == "mandate"
    assert codes(app, pid) == []


def test_a_revoked_mandate_takes_its_code_with_it(app, settings, make_person, world) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    mandate = grant(app, pid, world.org.id)
    worker = world.worker()
    code = code_in(issue(worker, pid).text)
    revoke(app, pid, mandate)
    refused, _ = enrol(app, settings, code)
    assert refused.status_code == 400 and messages.MESSAGES["code_mandate"] in refused.text


def test_a_code_works_once_and_a_new_one_replaces_it(app, settings, make_person, world) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    grant(app, pid, world.org.id)
    worker = world.worker()
    first = code_in(issue(worker, pid).text)
    second = code_in(issue(worker, pid).text)
    replaced, _ = enrol(app, settings, first)
    assert replaced.status_code == 400 and messages.MESSAGES["code_unknown"] in replaced.text
    done, _ = enrol(app, settings, second)
    assert done.status_code == 303
    again, _ = enrol(app, settings, second)
    assert again.status_code == 400 and messages.MESSAGES["code_used"] in again.text


def test_an_expired_code_says_so(app, settings, make_person, world, monkeypatch) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    grant(app, pid, world.org.id)
    worker = world.worker()
    code = code_in(issue(worker, pid).text)
    later = clock.now() + timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired, _ = enrol(app, settings, code)
    assert expired.status_code == 400 and messages.MESSAGES["code_expired"] in expired.text


def test_the_message_is_translated(app, settings, client) -> None:
    client.cookies.set("sesame_lang", "ar")
    page = client.post("/recover/assisted", data={"code": "AAAA-BBBB-CCCCC"})
    assert page.status_code == 400
    assert messages.MESSAGES["code_unknown"] not in page.text
    assert 'lang="ar"' in page.text


def test_attempts_at_codes_are_rate_limited(app, settings, client) -> None:
    statuses = [
        client.post("/recover/assisted", data={"code": f"AAAA-BBBB-CCC{n:02d}"}).status_code
        for n in range(10)
    ]
    assert statuses[:8] == [400] * 8 and statuses[-1] == 429


def test_old_passkeys_go_at_the_persons_choice(app, settings, make_person, world) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    grant(app, pid, world.org.id)
    worker = world.worker()
    old = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM passkeys").fetchone()[0])
    done, phone = enrol(app, settings, code_in(issue(worker, pid).text))
    assert done.status_code == 303
    # The worker may remove it only with the person there, asking.
    url = f"/worker/people/{pid}/passkeys/{old}/remove"
    refused = worker.client.post(url, data={})
    assert refused.status_code == 400 and messages.MESSAGES["presence_required"] in refused.text
    removed = worker.client.post(url, data={"present": "yes"}, follow_redirects=False)
    assert removed.status_code == 303
    left = app.state.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT id FROM passkeys")])
    assert old not in left and len(left) == 1
    # Never the last one.
    last = worker.client.post(f"/worker/people/{pid}/passkeys/{left[0]}/remove", data={"present": "yes"})
    assert last.status_code == 400
    history = phone.client.get("/timeline").text
    assert "a été retirée à votre demande, en votre présence, par Inès Worker (La Cimade Bobigny)" in history
    event = app.state.db.read_sync(
        lambda c: json.loads(
            c.execute("SELECT detail FROM auth_events WHERE kind = 'passkey_removed'").fetchone()[0]
        )
    )
    assert event["person_present"] is True and event["by"] == worker.account_id


def test_the_person_removes_the_lost_phones_key_themselves(app, settings, make_person, world) -> None:
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    grant(app, pid, world.org.id)
    worker = world.worker()
    old = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM passkeys").fetchone()[0])
    _, phone = enrol(app, settings, code_in(issue(worker, pid).text))
    removed = phone.client.post(f"/account/passkeys/{old}/remove", data={}, follow_redirects=False)
    assert removed.status_code == 303
    assert "Vous avez retiré la clé d’accès" in phone.client.get("/timeline").text


def test_codes_printed_by_one_worker_are_rate_limited(app, settings, make_person, world) -> None:
    from server.auth.ratelimit import Limit

    app.state.limiter.limits["assist:worker"] = Limit(2, 3600)
    person = make_person()
    person.signup("Karim")
    pid = account_id(app, person)
    grant(app, pid, world.org.id)
    worker = world.worker()
    assert [issue(worker, pid).status_code for _ in range(3)] == [200, 200, 429]
    assert len(codes(app, pid)) == 1  # each new code replaced the one before
