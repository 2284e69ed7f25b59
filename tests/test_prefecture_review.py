"""The agent's file page: audited before it is sent, seen by the person as
"viewed by the prefecture", lock / unlock / accept / write, and what changed
since the agent's last visit."""

from __future__ import annotations

import re
import uuid

from starlette.testclient import TestClient

from server import clock
from server.auth import sessions
from server.domain import accounts, audit, inbox
from server.domain import catalogue as catalogue_module

from . import samples
from .test_files_http import a_file_for, complete
from .test_files_http import situation as default_situation


def staff(
    app, settings, role: str = "agent", prefecture: str | None = "93", name: str = "Agent"
) -> TestClient:
    """A signed-in member of a prefecture's staff (enrolment is tested elsewhere)."""

    def make(conn):
        account = accounts.create(
            conn,
            display_name=name,
            language="fr",
            user_handle=uuid.uuid4().bytes + uuid.uuid4().bytes,
            version=1,
            role=role,
            prefecture=prefecture,
        )
        token, _ = sessions.create(
            conn, account.id, lifetime=3600, sliding=False, user_agent="", ip="", now=clock.now()
        )
        return account.id, token

    account_id, token = app.state.db.write_sync(make)
    client = TestClient(
        app, base_url=settings.origin, headers={"origin": settings.origin}, follow_redirects=False
    )
    client.__enter__()
    client.cookies.set(sessions.COOKIE, token)
    client.account_id = account_id  # type: ignore[attr-defined]
    return client


def submitted_file(
    make_person, procedure: str = "change_of_situation", **situation: str
) -> tuple[object, str]:
    """An applicant (Saint-Denis: prefecture 93) and a file they sent."""
    person = make_person()
    person.signup("Aminata")
    file_id = person.start_file(procedure)
    complete(person, file_id, procedure, [])
    if situation:
        assert (
            person.fill(file_id, "situation", **{**default_situation(procedure), **situation}).status_code
            == 303
        )
    assert person.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"}).status_code in (
        200,
        303,
    )
    return person, file_id


def audit_rows(app, file_id: str) -> list[dict]:
    return app.state.db.read_sync(
        lambda c: [
            dict(r) for r in c.execute("SELECT * FROM audit WHERE file_id = ? ORDER BY id", (file_id,))
        ]
    )


def test_the_page_is_audited_and_the_person_sees_the_prefecture_not_the_agent(app, settings, make_person):
    person, file_id = submitted_file(make_person)
    agent = staff(app, settings, name="Jeanne Agent")
    assert audit_rows(app, file_id) == []
    page = agent.get(f"/prefecture/files/{file_id}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "DIALLO" in page.text and "C’est la première fois" in page.text
    rows = audit_rows(app, file_id)
    assert [(r["action"], r["outcome"], r["actor_id"]) for r in rows] == [
        ("file.view", "applied", agent.account_id)
    ]
    # The person's history names the service, never the agent; once per agent and day.
    agent.get(f"/prefecture/files/{file_id}")
    assert len(audit_rows(app, file_id)) == 2
    history = person.client.get("/timeline").text
    assert history.count("Dossier consulté par la préfecture : Seine-Saint-Denis (93)") == 1
    assert "Jeanne" not in history
    # …and their phone pulls it.
    pulled = person.client.get("/sync/pull?cursor=0").json()["records"]
    viewed = [r for r in pulled if r["type"] == "event" and r["data"]["kind"] == "viewed"]
    assert len(viewed) == 1 and viewed[0]["data"]["data"] == {"departement": "93"}
    assert "actor_id" not in viewed[0]["data"]


def test_every_file_of_a_piece_is_audited_before_it_is_sent(app, settings, make_person):
    person, file_id = submitted_file(make_person)
    agent = staff(app, settings)
    page = agent.get(f"/prefecture/files/{file_id}").text
    links = re.findall(rf"/prefecture/files/{file_id}/attachments/([0-9a-f-]{{36}})", page)
    assert links
    before = len(audit_rows(app, file_id))
    got = agent.get(f"/prefecture/files/{file_id}/attachments/{links[0]}")
    assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
    assert got.content[:4] in (b"%PDF", b"\x89PNG")
    rows = audit_rows(app, file_id)
    assert len(rows) == before + 1 and rows[-1]["attachment_id"] == links[0]
    # An attachment of another file, through this file's URL: nothing sent.
    other_person, other_id = submitted_file(make_person)
    other_page = agent.get(f"/prefecture/files/{other_id}").text
    other_link = re.findall(rf"/prefecture/files/{other_id}/attachments/([0-9a-f-]{{36}})", other_page)[0]
    assert agent.get(f"/prefecture/files/{file_id}/attachments/{other_link}").status_code == 404
    assert audit_rows(app, file_id)[-1]["outcome"] == "refused:not_found"


def test_lock_unlock_and_who_holds_the_file(app, settings, make_person):
    person, file_id = submitted_file(make_person)
    jeanne = staff(app, settings, name="Jeanne")
    paul = staff(app, settings, name="Paul")
    done = jeanne.post(f"/prefecture/files/{file_id}/lock", data={"command_id": str(uuid.uuid4())})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=locked")
    row = app.state.db.read_sync(
        lambda c: dict(c.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone())
    )
    assert row["status"] == "locked" and row["locked_by"] == jeanne.account_id
    assert app.state.db.read_sync(inbox.counts, "93") == {
        "submitted": 0,
        "locked": 1,
        "decided": 0,
        "withdrawn": 0,
    }
    assert "Pris en examen par Jeanne" in paul.get(f"/prefecture/files/{file_id}").text
    assert "Pris en examen par Jeanne" in paul.get("/prefecture").text
    # The person's phone pulls the state, never who holds it.
    pulled = person.client.get("/sync/pull?cursor=0").json()["records"]
    (record,) = [r for r in pulled if r["type"] == "file"]
    assert record["data"]["status"] == "locked" and "locked_by" not in record["data"]
    # The person cannot change it now, and is told so.
    assert "En cours d’examen" in person.client.get(f"/files/{file_id}").text
    # Locking twice is refused with a sentence, not an error page.
    again = paul.post(f"/prefecture/files/{file_id}/lock", data={})
    assert again.status_code == 400 and "pas possible dans l’état actuel" in again.text
    assert paul.post(f"/prefecture/files/{file_id}/unlock", data={}).status_code == 303
    row = app.state.db.read_sync(
        lambda c: dict(c.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone())
    )
    assert row["status"] == "submitted" and row["locked_by"] is None
    person.client.post(f"/files/{file_id}/withdraw", data={"reason": ""})
    assert app.state.db.read_sync(inbox.counts, "93") == {
        "submitted": 0,
        "locked": 0,
        "decided": 0,
        "withdrawn": 1,
    }
    ops = [(r["action"], r["actor_id"]) for r in audit_rows(app, file_id) if r["action"] != "file.view"]
    assert ops == [
        ("file.lock", jeanne.account_id),
        ("file.lock", paul.account_id),
        ("file.unlock", paul.account_id),
    ]


def test_accept_a_piece_with_a_note(app, settings, make_person):
    person, file_id = submitted_file(make_person)
    agent = staff(app, settings, name="Jeanne")
    piece = catalogue_module.load().checklist("change_of_situation", [])[0].piece.id
    cid = str(uuid.uuid4())
    done = agent.post(
        f"/prefecture/files/{file_id}/pieces/{piece}/accept", data={"note": "Lisible.", "command_id": cid}
    )
    assert done.status_code == 303
    # The same form posted twice is one act.
    assert (
        agent.post(
            f"/prefecture/files/{file_id}/pieces/{piece}/accept", data={"note": "Lisible.", "command_id": cid}
        ).status_code
        == 303
    )
    assert "Acceptée" in agent.get(f"/prefecture/files/{file_id}").text
    history = person.client.get("/timeline").text
    assert history.count("Pièce acceptée par la préfecture") == 1 and "Lisible." in history
    pulled = person.client.get("/sync/pull?cursor=0").json()["records"]
    assert [r["data"]["state"] for r in pulled if r["type"] == "piece_review"] == ["accepted"]
    # A too long note comes back on the form, kept.
    long = "x" * 1001
    refused = agent.post(f"/prefecture/files/{file_id}/pieces/{piece}/accept", data={"note": long})
    assert refused.status_code == 400 and "trop longue" in refused.text and long in refused.text
    # A piece not asked of this file.
    assert agent.post(f"/prefecture/files/{file_id}/pieces/nothing/accept", data={}).status_code == 400
    # When the person replaces a file afterwards, the page says the acceptance is older.
    attachment = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT id FROM attachments WHERE file_id = ? AND piece = ?", (file_id, piece)
        ).fetchone()[0]
    )
    replaced = person.client.post(
        f"/files/{file_id}/attachments/{attachment}/replace",
        files=[("file", a_file_for(catalogue_module.load().media_types(piece), "new"))],
        follow_redirects=False,
    )
    assert replaced.status_code == 303
    assert "Des fichiers ont changé depuis l’acceptation." in agent.get(f"/prefecture/files/{file_id}").text


def test_what_changed_since_the_last_visit(app, settings, make_person):
    person, file_id = submitted_file(make_person)
    agent = staff(app, settings)
    agent.get(f"/prefecture/files/{file_id}")
    assert (
        "Rien n’a changé depuis votre dernière consultation" in agent.get(f"/prefecture/files/{file_id}").text
    )
    assert (
        person.fill(
            file_id,
            "identity",
            family_name="Diallo-Camara",
            given_names="Aminata",
            birth_date="1991-04-12",
            birth_place="Conakry",
            nationality="guinéenne",
            foreign_number="",
        ).status_code
        == 303
    )
    person.client.post(f"/files/{file_id}/messages", data={"body": "J’ai corrigé mon nom."})
    page = agent.get(f"/prefecture/files/{file_id}").text
    assert "Informations modifiées :" in page and "Nom de famille" in page
    assert "1 nouveau message" in page
    # Opening the page marked the person's message read, and that is no change either.
    assert "Rien n’a changé" in agent.get(f"/prefecture/files/{file_id}").text
    assert "lu par la préfecture" in person.client.get(f"/files/{file_id}/messages").text


def test_an_agent_writes_to_the_person(app, settings, make_person):
    person, file_id = submitted_file(make_person)
    agent = staff(app, settings)
    empty = agent.post(f"/prefecture/files/{file_id}/messages", data={"body": "  "})
    assert empty.status_code == 400 and "Écrivez votre message." in empty.text
    sent = agent.post(
        f"/prefecture/files/{file_id}/messages", data={"body": "Merci d’envoyer un justificatif."}
    )
    assert sent.status_code == 303
    assert "Merci d’envoyer un justificatif." in person.client.get(f"/files/{file_id}/messages").text
    assert [r["action"] for r in audit_rows(app, file_id)].count("message.send") == 2  # refused, then applied
    with_form = agent.post(
        f"/prefecture/files/{file_id}/messages",
        data={"body": "Voici le formulaire à remplir."},
        files=[("attachments", ("formulaire.pdf", samples.pdf(), "application/pdf"))],
    )
    assert with_form.status_code == 303
    thread = person.client.get(f"/files/{file_id}/messages").text
    link = re.search(rf"/files/{file_id}/messages/[0-9a-f-]+/attachments/0", thread).group(0)
    assert person.client.get(link).content[:4] == b"%PDF"
    refused = agent.post(
        f"/prefecture/files/{file_id}/messages",
        data={"body": "Et ceci ?"},
        files=[("attachments", ("virus.exe", b"MZ\x90\x00" * 100, "application/octet-stream"))],
    )
    assert refused.status_code == 400 and "Et ceci ?" in refused.text


def test_drafts_and_other_prefectures_are_not_found(app, settings, make_person):
    person = make_person()
    person.signup()
    draft = person.start_file("change_of_situation")
    complete(person, draft, "change_of_situation", [])
    agent = staff(app, settings)
    assert agent.get(f"/prefecture/files/{draft}").status_code == 404
    _, sent = submitted_file(make_person)
    paris = staff(app, settings, prefecture="75")
    for method, path in [
        ("GET", f"/prefecture/files/{sent}"),
        ("POST", f"/prefecture/files/{sent}/lock"),
        ("POST", f"/prefecture/files/{sent}/messages"),
        ("POST", f"/prefecture/files/{sent}/pieces/passport/accept"),
    ]:
        assert paris.request(method, path, data={"body": "x"}).status_code == 404, path
    national = staff(app, settings, role="admin", prefecture=None)
    assert national.get(f"/prefecture/files/{sent}").status_code == 404
    assert "aucune préfecture" in national.get("/prefecture").text
    # Refused before any command: nothing was read, nothing of the file is in any trail.
    rows = app.state.db.read_sync(
        lambda c: c.execute("SELECT count(*) FROM audit WHERE actor_id = ?", (paris.account_id,)).fetchone()[
            0
        ]
    )
    assert rows == 0


def test_agent_commands_through_sync_push_are_audited(app, settings, make_person):
    _, file_id = submitted_file(make_person)
    agent = staff(app, settings)
    command = {
        "id": str(uuid.uuid4()),
        "client": "device-1",
        "seq": 1,
        "op": "file.lock",
        "args": {"file_id": file_id},
        "at": clock.iso(clock.now()),
    }
    body = {"protocol": 1, "client": "device-1", "commands": [command]}
    first = agent.post("/sync/push", json=body)
    assert first.status_code == 200, first.text
    agent.post("/sync/push", json=body)  # sent again: the same act, no second row
    rows = [r for r in audit_rows(app, file_id) if r["action"] == "file.lock"]
    assert len(rows) == 1 and rows[0]["outcome"] == "applied" and rows[0]["command_id"] == command["id"]
    assert app.state.db.read_sync(audit.verify) is None


def test_the_chain_shows_a_changed_row(db):
    from server.auth.policy import Actor

    who = Actor(role="agent", account_id="a1", prefecture="93")

    def write(conn):
        for n in range(5):
            audit.record(
                conn, actor=who, action="file.view", outcome="applied", departement="93", file_id=f"f{n}"
            )

    db.write_sync(write)
    assert db.read_sync(audit.verify) is None
    db.write_sync(lambda c: c.execute("UPDATE audit SET actor_id = 'someone else' WHERE id = 3"))
    assert db.read_sync(audit.verify) == 3
    db.write_sync(lambda c: c.execute("UPDATE audit SET actor_id = 'a1' WHERE id = 3"))
    db.write_sync(lambda c: c.execute("DELETE FROM audit WHERE id = 2"))
    assert db.read_sync(audit.verify) == 3
