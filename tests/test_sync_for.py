"""The sync API for outreach workers: `"for"` on pushed commands,
`/sync/pull?for=`, `/sync/people` (what the device `shelter` mode relies on)."""

from __future__ import annotations

import uuid

from .orgs import (
    account_id_of,
    approved_organisation,
    grant,
    person_actor,
    run,
    scan,
    signed_in_client,
    worker_account,
)
from .test_sync_api import command, new_file


def _world(app, settings, make_person):
    amina = make_person()
    amina.signup("Amina")
    bea = make_person()
    bea.signup("Bea")
    org = app.state.db.write_sync(approved_organisation)
    karim = app.state.db.write_sync(lambda c: worker_account(c, org.id))
    client = signed_in_client(app, settings, karim.id)
    client.__enter__()
    return amina, bea, org, karim, client


def test_push_for_a_person_under_a_mandate(app, settings, make_person) -> None:
    amina, bea, org, karim, client = _world(app, settings, make_person)
    a_id, b_id = account_id_of(app, "Amina"), account_id_of(app, "Bea")
    grant(app, a_id, org.id)
    file_id = str(uuid.uuid4())
    batch = {
        "commands": [
            {**new_file(1, file_id), "for": a_id},
            {**command("file.update", 2, file_id=file_id, fields={"city": "Montreuil"}), "for": a_id},
            {**new_file(3), "for": b_id},
        ]
    }
    answer = client.post("/sync/push", json=batch)
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "refused"]
    assert results[2]["code"] == "mandate" and "mandat" in results[2]["message"]
    owners = app.state.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT owner_id FROM files")])
    assert owners == [a_id]
    # Sent again: the first results, once.
    assert client.post("/sync/push", json=batch).json()["results"][:2] == results[:2]
    # Someone who is not a worker never names a person.
    forged = {"commands": [{**new_file(1), "for": b_id}]}
    assert amina.client.post("/sync/push", json=forged).json()["results"][0]["code"] == "bad_command"


def test_pull_for_people_and_the_end_of_a_mandate(app, settings, make_person) -> None:
    amina, bea, org, karim, client = _world(app, settings, make_person)
    a_id, b_id = account_id_of(app, "Amina"), account_id_of(app, "Bea")
    one = amina.start_file("change_of_situation")
    two = amina.start_file("change_of_situation")
    bea.start_file("change_of_situation")
    assert client.get("/sync/people").json() == {"people": []}
    assert client.get(f"/sync/pull?for={a_id}").status_code == 403
    mandate_id = grant(app, a_id, org.id, file_id=one, can_act=False)
    people = client.get("/sync/people").json()["people"]
    assert people == [
        {
            "id": a_id,
            "display_name": "Amina",
            "mandate": {
                "id": mandate_id,
                "file_id": one,
                "can_act": False,
                "expires_at": people[0]["mandate"]["expires_at"],
            },
        }
    ]
    pulled = client.get(f"/sync/pull?for={a_id}").json()
    files = {r["id"] for r in pulled["records"] if r["type"] == "file"}
    assert files == {one}  # a one-file mandate: that file only
    names = [r["data"]["display_name"] for r in pulled["records"] if r["type"] == "account"]
    assert names == ["Amina"]
    # View only: acting is refused.
    answer = client.post(
        "/sync/push",
        json={"commands": [{**command("file.update", file_id=one, fields={"city": "X"}), "for": a_id}]},
    )
    assert answer.json()["results"][0]["code"] == "mandate"
    # Bea gave no mandate: her records never come.
    refused = client.get(f"/sync/pull?for={b_id}")
    assert refused.status_code == 403 and refused.json()["error"] == "mandate_ended"
    # All files now; then revoked: 403 at the very next pull, and gone from the list.
    wide = grant(app, a_id, org.id)
    pulled = client.get(f"/sync/pull?for={a_id}").json()
    assert {r["id"] for r in pulled["records"] if r["type"] == "file"} == {one, two}
    for m in (mandate_id, wide):
        assert run(app, person_actor(a_id), "mandate.revoke", mandate_id=m).applied
    assert client.get(f"/sync/pull?for={a_id}").json()["error"] == "mandate_ended"
    assert client.get("/sync/people").json() == {"people": []}
    # A person pulling "for" someone else gets nothing either.
    assert amina.client.get(f"/sync/pull?for={b_id}").status_code == 403
    # The people list is only for workers.
    assert amina.client.get("/sync/people").status_code == 403


def test_a_person_recorded_on_paper_over_sync(app, settings, make_person) -> None:
    amina, bea, org, karim, client = _world(app, settings, make_person)
    sha = scan(app, karim.id)
    person_id, file_id = str(uuid.uuid4()), str(uuid.uuid4())
    batch = {
        "commands": [
            command(
                "person.create",
                1,
                person_id=person_id,
                display_name="Moussa",
                language="ar",
                mandate={"paper_blob": sha, "can_act": True},
            ),
            {**new_file(2, file_id), "for": person_id},
        ]
    }
    results = client.post("/sync/push", json=batch).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
    assert [p["display_name"] for p in client.get("/sync/people").json()["people"]] == ["Moussa"]
    pulled = client.get(f"/sync/pull?for={person_id}").json()
    assert [r["id"] for r in pulled["records"] if r["type"] == "file"] == [file_id]
