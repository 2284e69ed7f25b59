"""POST /sync/push and GET /sync/pull, over HTTP."""

from __future__ import annotations

import json
import uuid

from .test_files_http import IDENTITY, cat


def command(op: str, n: int = 1, cid: str | None = None, **args) -> dict:
    return {"id": cid or str(uuid.uuid4()), "client": "phone-1", "seq": n, "op": op, "args": args, "at": ""}


def new_file(n: int = 1, file_id: str | None = None) -> dict:
    return command(
        "file.create", n, file_id=file_id or str(uuid.uuid4()), procedure="change_of_situation", grounds=[]
    )


def test_push_applies_in_order_and_replays_apply_once(app, person) -> None:
    person.signup()
    file_id = str(uuid.uuid4())
    batch = {
        "client": "phone-1",
        "commands": [
            new_file(1, file_id),
            command("file.update", 2, file_id=file_id, fields={"city": "Montreuil"}),
        ],
    }
    first = person.client.post("/sync/push", json=batch)
    assert first.status_code == 200
    assert [r["status"] for r in first.json()["results"]] == ["applied", "applied"]
    for _ in range(2):
        again = person.client.post("/sync/push", json=batch)
        assert again.json()["results"] == first.json()["results"]
    count = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM files").fetchone()[0])
    commands = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM commands").fetchone()[0])
    assert count == 1 and commands == 2


def test_same_id_different_content_is_409_and_not_applied(app, person) -> None:
    person.signup()
    original = new_file()
    person.client.post("/sync/push", json={"commands": [original]})
    forged = {**original, "args": {**original["args"], "procedure": "duplicate"}}
    response = person.client.post("/sync/push", json={"commands": [forged]})
    assert response.status_code == 409
    assert response.json()["results"][0]["code"] == "id_conflict"
    procedure = app.state.db.read_sync(lambda c: c.execute("SELECT procedure FROM files").fetchone()[0])
    assert procedure == "change_of_situation"
    assert (
        app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM command_conflicts").fetchone()[0])
        == 1
    )


def test_refusals_come_back_with_a_sentence(person) -> None:
    person.signup("A", "en")
    file_id = str(uuid.uuid4())
    response = person.client.post(
        "/sync/push",
        json={
            "commands": [
                new_file(1, file_id),
                command("file.update", 2, file_id=file_id, fields={"nope": "x"}),
                {"op": "x"},
            ]
        },
    )
    results = response.json()["results"]
    assert results[0]["status"] == "applied"
    assert results[1]["code"] == "field_unknown" and results[1]["field"] == "nope"
    assert results[1]["message"] and "champ" not in results[1]["message"]  # English, not French
    assert results[2]["code"] == "bad_command"


def test_signed_out_and_someone_elses_outbox(client, person) -> None:
    assert client.post("/sync/push", json={"commands": []}).status_code == 401
    assert client.get("/sync/pull").json()["error"] == "signed_out"
    person.signup()
    refused = person.client.post("/sync/push", json={"account": "another-account", "commands": [new_file()]})
    assert refused.status_code == 403 and refused.json()["error"] == "account_mismatch"


def test_pull_sends_only_what_changed_and_only_mine(app, make_person) -> None:
    alice, bob = make_person(), make_person()
    alice.signup("Alice")
    bob.signup("Bob")
    file_id = alice.start_file("change_of_situation")
    alice.fill(file_id, "identity", **IDENTITY)
    bob.start_file("duplicate")
    everything = alice.client.get("/sync/pull?cursor=0").json()
    kinds = {r["type"] for r in everything["records"]}
    assert {"account", "file", "field", "event"} <= kinds
    assert all(
        r["data"].get("file_id", file_id) == file_id for r in everything["records"] if r["type"] != "account"
    )
    assert "Bob" not in json.dumps(everything)
    cursor = everything["cursor"]
    idle = alice.client.get(f"/sync/pull?cursor={cursor}")
    assert idle.json() == {
        "epoch": everything["epoch"],
        "durable": everything["durable"],
        "cursor": cursor,
        "records": [],
        "more": False,
    }
    size = len(idle.content) + sum(len(k) + len(v) + 4 for k, v in idle.headers.items())
    assert size < 1024, size
    bob.start_file("travel_document")  # Bob's changes move the clock, not Alice's feed
    after = alice.client.get(f"/sync/pull?cursor={cursor}").json()
    assert after["records"] == [] and after["cursor"] > cursor
    alice.fill(file_id, "address", street="1 rue X", postcode="93100", city="Montreuil", phone="", email="")
    changed = alice.client.get(f"/sync/pull?cursor={after['cursor']}").json()["records"]
    assert {r["id"] for r in changed if r["type"] == "field"} >= {f"{file_id}/city", f"{file_id}/postcode"}
    assert "Diallo" not in json.dumps(changed)  # unchanged fields are not sent again


def test_pull_pages(app, person) -> None:
    person.signup()
    for n in range(3):
        person.client.post("/sync/push", json={"commands": [new_file(n)]})
    from server.auth.policy import Actor
    from server.domain import feed as sources
    from sync.feed import read_page

    me = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM accounts").fetchone()[0])
    srcs, params = sources.sources_for(Actor(role="applicant", account_id=me))
    seen, cursor, rounds = [], 0, 0
    while True:
        page = app.state.db.read_sync(read_page, srcs, params, cursor, 2)
        seen += page.records
        rounds += 1
        # A page never splits a version: every version present is complete.
        versions = {r["version"] for r in page.records}
        for v in versions:
            total = sum(
                1
                for r in app.state.db.read_sync(read_page, srcs, params, v - 1, 10_000).records
                if r["version"] == v
            )
            assert total == sum(1 for r in page.records if r["version"] == v)
        cursor = page.cursor
        if not page.more:
            break
    assert rounds > 1
    assert sum(1 for r in seen if r["type"] == "file") == 3
    assert cat()  # the catalogue loaded


def test_a_bad_command_is_refused_alone_and_never_blocks_a_retry(app, person) -> None:
    person.signup()
    file_id = str(uuid.uuid4())
    bad = {**command("file.update", 2, file_id=file_id, fields={"city": "X"}), "seq": 2**63}
    batch = {
        "commands": [
            new_file(1, file_id),
            bad,
            command("file.update", 3, file_id=file_id, fields={"city": "Lyon"}),
        ]
    }
    for _ in range(2):  # the same answer on a retry: an outbox holding it is never stuck
        response = person.client.post("/sync/push", json=batch)
        assert response.status_code == 200
        assert [r["status"] for r in response.json()["results"]] == ["applied", "refused", "applied"]
        assert response.json()["results"][1] == {**response.json()["results"][1], "code": "bad_command"}
    float_seq = person.client.post(
        "/sync/push",
        content=b'{"commands": [{"id": "%s", "op": "file.submit", "seq": 1e999}]}'
        % str(uuid.uuid4()).encode(),
    )
    assert float_seq.status_code == 400


def test_text_fields_refuse_lists_and_objects(app, person) -> None:
    person.signup()
    file_id = str(uuid.uuid4())
    results = person.client.post(
        "/sync/push",
        json={
            "commands": [
                new_file(1, file_id),
                command("file.update", 2, file_id=file_id, fields={"city": ["Lyon"]}),
                command(
                    "message.send",
                    3,
                    file_id=file_id,
                    message_id=str(uuid.uuid4()),
                    body="Bonjour",
                    attachments=5,
                ),
                command("message.send", 4, file_id=file_id, message_id=str(uuid.uuid4()), body={"a": 1}),
                command("account.update", 5, display_name=["x"]),
                command("file.withdraw", 6, file_id=file_id, reason=[1, 2]),
            ]
        },
    ).json()["results"]
    assert [(r["status"], r.get("code"), r.get("field")) for r in results] == [
        ("applied", None, None),
        ("refused", "invalid", "city"),
        ("refused", "invalid", "attachments"),
        ("refused", "invalid", "body"),
        ("refused", "invalid", "display_name"),
        ("refused", "invalid", "reason"),
    ]
    stored = app.state.db.read_sync(
        lambda c: c.execute("SELECT count(*) FROM file_fields WHERE value LIKE '[%'").fetchone()[0]
    )
    assert stored == 0


def test_a_phone_dated_2999_does_not_freeze_a_field(app, person) -> None:
    person.signup()
    file_id = str(uuid.uuid4())
    future = {
        **command("file.update", 2, file_id=file_id, fields={"city": "Futur"}),
        "at": "2999-01-01T00:00:00+00:00",
    }
    person.client.post("/sync/push", json={"commands": [new_file(1, file_id), future]})
    now = {**command("file.update", 3, file_id=file_id, fields={"city": "Lyon"}), "at": ""}
    assert (
        person.client.post("/sync/push", json={"commands": [now]}).json()["results"][0]["status"] == "applied"
    )
    city = app.state.db.read_sync(
        lambda c: c.execute("SELECT value, at FROM file_fields WHERE name = 'city'").fetchone()
    )
    assert city[0] == "Lyon" and city[1] < "2100"
    past = {
        **command("file.update", 4, file_id=file_id, fields={"city": "Ancien"}),
        "at": "2020-01-01T00:00:00+00:00",
    }
    person.client.post("/sync/push", json={"commands": [past]})  # an older offline edit still loses
    assert (
        app.state.db.read_sync(
            lambda c: c.execute("SELECT value FROM file_fields WHERE name = 'city'").fetchone()[0]
        )
        == "Lyon"
    )


def test_another_person_replaying_an_id_learns_nothing(app, make_person) -> None:
    alice, mallory = make_person(), make_person()
    alice.signup("Alice")
    mallory.signup("Mallory")
    original = new_file(1)
    first = alice.client.post("/sync/push", json={"commands": [original]}).json()["results"][0]
    replay = mallory.client.post("/sync/push", json={"commands": [original]}).json()["results"][0]
    # Mallory's command is Mallory's: refused (the file id is taken), never Alice's result.
    assert replay != first and "number" not in json.dumps(replay)
    again = alice.client.post("/sync/push", json={"commands": [original]}).json()["results"][0]
    assert again == first  # the same person's replay keeps the protocol's promise


def test_epoch_and_durable_mark(app, person) -> None:
    person.signup()
    pushed = person.client.post("/sync/push", json={"commands": [new_file(1)]}).json()
    epoch, commit = pushed["epoch"], pushed["commit"]
    assert pushed["durable"] == commit  # no replica here: a commit is as safe as it gets
    pulled = person.client.get("/sync/pull?cursor=0").json()
    assert pulled["epoch"] == epoch and pulled["durable"] >= commit
    assert (
        person.client.post("/sync/push", json={"epoch": epoch, "commands": [new_file(2)]}).status_code == 200
    )
    from sync import log

    new = app.state.db.write_sync(log.mint_epoch, "restored")
    stale = person.client.post("/sync/push", json={"epoch": epoch, "commands": [new_file(3)]})
    assert stale.status_code == 409 and stale.json() == {"error": "epoch_changed", "epoch": new}
    files = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM files").fetchone()[0])
    assert files == 2  # nothing applied under the old epoch
    for cursor in ("-1", "9223372036854775808", "1e3", "x"):
        assert person.client.get(f"/sync/pull?cursor={cursor}").status_code == 400
