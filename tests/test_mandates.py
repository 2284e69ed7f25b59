"""Mandates: a person gives an organisation a mandate, sees it, revokes it;
a worker records a person on paper; `mandates.active_for` is the one gate."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server import clock, commands
from server.auth.policy import Actor
from server.domain import mandates, organisations, timeline
from sync.protocol import Command

from .orgs import account_id_of, approved_organisation, grant, person_actor, run, scan, worker


def _setup(app, make_person, name: str = "Amina"):
    person = make_person()
    person.signup(name)
    org = app.state.db.write_sync(approved_organisation)
    return person, account_id_of(app, name), org


def _active(app, org_id, person_id, file_id=None, act=True):
    return app.state.db.read_sync(
        lambda c: mandates.active_for(c, org_id, person_id, file_id, clock.now(), act=act)
    )


def test_a_person_grants_a_mandate_and_the_worker_follows_them(app, make_person) -> None:
    _, person_id, org = _setup(app, make_person)
    assert _active(app, org.id, person_id) is None
    mandate_id = grant(app, person_id, org.id)
    found = _active(app, org.id, person_id)
    assert found is not None and found.id == mandate_id and found.can_act and found.file_id is None
    # One year by default.
    expires = clock.parse(found.expires_at) - clock.now()
    assert timedelta(days=364) < expires <= timedelta(days=365)
    followed = app.state.db.read_sync(lambda c: mandates.people_followed(c, org.id, clock.now()))
    assert [(f.id, f.display_name, f.mandate.id) for f in followed] == [(person_id, "Amina", mandate_id)]
    events = app.state.db.read_sync(lambda c: timeline.for_person(c, person_id))
    granted = [e for e in events if e.kind == "mandate_granted"]
    assert granted and granted[0].data["organisation"] == "Abri Solidaire" and granted[0].data["can_act"]


def test_grant_refusals(app, make_person) -> None:
    _, person_id, org = _setup(app, make_person)
    other = make_person()
    other.signup("Bea")
    other_file = other.start_file("change_of_situation")
    pending = app.state.db.write_sync(
        lambda c: organisations.create(
            c,
            organisation_id=str(uuid.uuid4()),
            name="Pas encore",
            kind="association",
            departement="93",
            contact_name=None,
            contact_email=None,
            contact_phone=None,
            version=1,
            now=clock.now(),
        )
    )
    me = person_actor(person_id)
    assert run(app, me, "mandate.grant", organisation_id=pending.id).code == "organisation_unknown"
    assert run(app, me, "mandate.grant", organisation_id=org.id, file_id=other_file).code == "mandate_scope"
    assert (
        run(app, me, "mandate.grant", organisation_id=org.id, expires_at="2001-01-01").code
        == "mandate_expiry"
    )
    far = (clock.now() + timedelta(days=4 * 365)).date().isoformat()
    assert run(app, me, "mandate.grant", organisation_id=org.id, expires_at=far).code == "mandate_expiry"
    assert run(app, me, "mandate.grant", organisation_id=org.id, can_act="yes").code == "invalid"
    # A worker never grants a mandate, not even acting for the person.
    karim = worker(app, org.id)
    acting = Actor(role="worker", account_id=karim.account_id, organisation=org.id, acting_for=person_id)
    assert run(app, acting, "mandate.grant", organisation_id=org.id).code == "forbidden"
    assert _active(app, org.id, person_id) is None


def test_view_only_one_file_and_suspension(app, make_person) -> None:
    person, person_id, org = _setup(app, make_person)
    file_a = person.start_file("change_of_situation")
    file_b = person.start_file("change_of_situation")
    grant(app, person_id, org.id, file_id=file_a, can_act=False)
    assert _active(app, org.id, person_id, file_a, act=True) is None
    assert _active(app, org.id, person_id, file_a, act=False) is not None
    assert _active(app, org.id, person_id, file_b, act=False) is None
    assert _active(app, org.id, person_id, None, act=False) is None  # the person as a whole: no
    grant(app, person_id, org.id, file_id=file_a, can_act=True)
    assert _active(app, org.id, person_id, file_a, act=True) is not None
    app.state.db.write_sync(
        lambda c: organisations.set_status(c, org.id, "suspended", "admin:x", 2, clock.now())
    )
    assert _active(app, org.id, person_id, file_a, act=False) is None


def test_revocation_is_immediate_and_in_the_timeline(app, make_person) -> None:
    _, person_id, org = _setup(app, make_person)
    mandate_id = grant(app, person_id, org.id)
    other_org = app.state.db.write_sync(lambda c: approved_organisation(c, "Autre asso", "93"))
    stranger = worker(app, other_org.id, "Stranger")
    assert run(app, stranger, "mandate.revoke", mandate_id=mandate_id).code == "mandate_unknown"
    someone = person_actor(str(uuid.uuid4()))
    assert run(app, someone, "mandate.revoke", mandate_id=mandate_id).code == "mandate_unknown"
    assert run(app, person_actor(person_id), "mandate.revoke", mandate_id=mandate_id).applied
    assert _active(app, org.id, person_id, act=False) is None
    assert app.state.db.read_sync(lambda c: mandates.people_followed(c, org.id, clock.now())) == []
    kinds = [e.kind for e in app.state.db.read_sync(lambda c: timeline.for_person(c, person_id))]
    assert "mandate_revoked" in kinds
    # A worker of the organisation may end it too.
    again = grant(app, person_id, org.id)
    assert run(app, worker(app, org.id, "Sami"), "mandate.revoke", mandate_id=again).applied
    assert _active(app, org.id, person_id, act=False) is None


def test_a_worker_records_a_person_on_paper(app, make_person) -> None:
    org = app.state.db.write_sync(approved_organisation)
    karim = worker(app, org.id)
    person_id = str(uuid.uuid4())
    paper = {"can_act": True, "expires_at": None}
    args = {"person_id": person_id, "display_name": "Moussa K.", "language": "ar"}
    assert run(app, karim, "person.create", **args, mandate=paper).code == "paper_scan_missing"
    sha = scan(app, karim.account_id)
    cid = str(uuid.uuid4())
    result = run(app, karim, "person.create", cid, **args, mandate={**paper, "paper_blob": sha})
    assert result.applied, result
    assert run(app, karim, "person.create", cid, **args, mandate={**paper, "paper_blob": sha}) == result
    other = run(app, karim, "person.create", **args, mandate={**paper, "paper_blob": sha})
    assert other.code == "exists"
    held = app.state.db.read_sync(
        lambda c: c.execute("SELECT held_since, role FROM accounts WHERE id = ?", (person_id,)).fetchone()
    )
    assert held["held_since"] and held["role"] == "applicant"
    found = _active(app, org.id, person_id)
    assert found is not None and found.on_paper and found.paper_blob == sha
    assert found.granted_by == karim.key
    # Only a worker of an approved organisation records a person.
    applicant = person_actor(str(uuid.uuid4()))
    refused = run(app, applicant, "person.create", **{**args, "person_id": str(uuid.uuid4())}, mandate=paper)
    assert refused.code == "forbidden"


def _push_for(app, karim: Actor, person_id: str | None, op: str, **args):
    command = Command(id=str(uuid.uuid4()), client="t", seq=0, op=op, args=args)
    return app.state.db.write_sync(lambda c: commands.apply_for(c, command, karim, person_id))


def test_a_worker_acting_for_a_never_reads_nor_writes_b(app, make_person) -> None:
    """`actor.owner` decides ownership: acting for A, B's files are not found."""
    a, a_id, org = _setup(app, make_person, "Amina")
    b = make_person()
    b.signup("Bea")
    b_id = account_id_of(app, "Bea")
    b_file = b.start_file("change_of_situation")
    grant(app, a_id, org.id)
    karim = worker(app, org.id)
    new_file = str(uuid.uuid4())
    created = _push_for(
        app, karim, a_id, "file.create", file_id=new_file, procedure="change_of_situation", grounds=[]
    )
    assert created.applied, created
    owner = app.state.db.read_sync(
        lambda c: c.execute("SELECT owner_id FROM files WHERE id = ?", (new_file,)).fetchone()
    )
    assert owner[0] == a_id
    # For B, without a mandate: refused `mandate`, nothing written.
    assert _push_for(app, karim, b_id, "file.update", file_id=b_file, fields={"city": "X"}).code == "mandate"
    # Acting for A, naming B's file: not found (ownership is `actor.owner`).
    acting = mandates.acting
    as_a = app.state.db.read_sync(lambda c: acting(c, karim, a_id, None, clock.now(), act=True))
    assert as_a is not None and as_a.owner == a_id
    touched = run(app, as_a, "file.update", file_id=b_file, fields={"city": "X"})
    assert touched.code == "not_found"
    # Not the person's passkeys, sessions or profile.
    assert run(app, as_a, "account.update", account_id=a_id, display_name="Hacked").code == "forbidden"
    assert _push_for(app, karim, a_id, "account.update", display_name="Hacked").code == "forbidden"
    # A worker of another organisation cannot touch A.
    other = app.state.db.write_sync(lambda c: approved_organisation(c, "Autre", "93"))
    stranger = worker(app, other.id, "Stranger")
    refused = _push_for(app, stranger, a_id, "file.update", file_id=new_file, fields={"city": "X"})
    assert refused.code == "mandate"
    # The timeline names the worker, the organisation and the mandate.
    events = app.state.db.read_sync(lambda c: timeline.for_file(c, new_file))
    assert events[0].actor_id == karim.account_id and events[0].actor_role == "worker"
    assert events[0].organisation_id == org.id and events[0].mandate_id == as_a.mandate_id


def test_view_only_cannot_act_and_revoked_is_refused_at_once(app, make_person) -> None:
    a, a_id, org = _setup(app, make_person)
    file_id = a.start_file("change_of_situation")
    mandate_id = grant(app, a_id, org.id, can_act=False)
    karim = worker(app, org.id)
    assert _push_for(app, karim, a_id, "file.update", file_id=file_id, fields={"city": "X"}).code == "mandate"
    run(app, person_actor(a_id), "mandate.revoke", mandate_id=mandate_id)
    grant(app, a_id, org.id, can_act=True)
    assert _push_for(app, karim, a_id, "file.update", file_id=file_id, fields={"city": "Lyon"}).applied
    for m in app.state.db.read_sync(lambda c: mandates.for_person(c, a_id)):
        run(app, person_actor(a_id), "mandate.revoke", mandate_id=m.id)
    assert (
        _push_for(app, karim, a_id, "file.update", file_id=file_id, fields={"city": "Nice"}).code == "mandate"
    )
