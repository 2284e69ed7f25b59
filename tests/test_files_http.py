"""Applicant files through HTTP: several at once, pieces, submit, amend, timeline,
messages, withdraw, export — and nobody else's file, even by guessing ids."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile

import pytest

from server import commands
from server.auth.policy import Actor
from server.domain import catalogue as catalogue_module
from sync.protocol import Command

from . import samples

IDENTITY = {
    "family_name": "Diallo",
    "given_names": "Aminata",
    "birth_date": "1991-04-12",
    "birth_place": "Conakry, Guinée",
    "nationality": "guinéenne",
    "foreign_number": "",
}
ADDRESS = {"street": "12 rue des Lilas", "postcode": "93200", "city": "Saint-Denis", "phone": "", "email": ""}


def cat() -> catalogue_module.Catalogue:
    return catalogue_module.load()


def renewal_ground() -> str:
    return cat().grounds_for("renewal")[0].id


def situation(procedure: str) -> dict[str, str]:
    values = {"notes": ""}
    if procedure in ("renewal", "change_of_status"):
        values["current_permit_expiry"] = "2027-01-31"
    if procedure == "change_of_situation":
        values.update(change_kind="address", change_details="Nouvelle adresse depuis le 1er novembre.")
    return values


def a_file_for(media_types: set[str], name: str = "page") -> tuple[str, bytes, str]:
    if "application/pdf" in media_types:
        return (f"{name}.pdf", samples.pdf(), "application/pdf")
    return (f"{name}.png", samples.png(), "image/png")


def complete(person, file_id: str, procedure: str, grounds: list[str]) -> None:
    assert person.fill(file_id, "situation", **situation(procedure)).status_code == 303
    assert person.fill(file_id, "identity", **IDENTITY).status_code == 303
    assert person.fill(file_id, "address", **ADDRESS).status_code == 303
    for item in cat().checklist(procedure, grounds):
        if not item.optional:
            r = person.upload(
                file_id, item.piece.id, a_file_for(cat().media_types(item.piece.id), item.piece.id)
            )
            assert r.status_code == 303, r.text


def file_row(app, file_id: str) -> dict:
    return dict(
        app.state.db.read_sync(lambda c: c.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone())
    )


def agent_command(app, op: str, args: dict, departement: str = "93") -> object:
    """What the back office will do, through the same command path."""
    agent = Actor(role="agent", account_id="agent-1", prefecture=departement, session_id=None)
    command = Command(id=str(uuid.uuid4()), client="back-office", seq=0, op=op, args=args)
    return app.state.db.write_sync(lambda c: commands.apply(c, command, agent))


def sent_renewal(app, person, lock: bool = True) -> str:
    """A complete renewal of `person`, sent, and (by default) taken by an agent."""
    ground = renewal_ground()
    file_id = person.start_file("renewal", [ground])
    complete(person, file_id, "renewal", [ground])
    sent = person.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"}, follow_redirects=False)
    assert sent.status_code == 303
    if lock:
        assert agent_command(app, "file.lock", {"file_id": file_id}).applied
    return file_id


def test_two_procedures_at_once_without_foreign_number(app, make_person) -> None:
    p = make_person()
    p.signup("Aminata")
    ground = renewal_ground()
    renewal = p.start_file("renewal", [ground])
    move = p.start_file("change_of_situation")
    dashboard = p.client.get("/dashboard").text
    assert dashboard.count('class="card file-card"') == 2
    assert cat().procedures["renewal"].label("fr") in dashboard
    assert cat().procedures["change_of_situation"].label("fr") in dashboard
    numbers = [file_row(app, f)["number"] for f in (renewal, move)]
    assert all(re.fullmatch(r"\d{4}-\d{6}", n) for n in numbers) and numbers[0] != numbers[1]


def test_several_grounds_and_a_resident_card_at_renewal(app, make_person) -> None:
    p = make_person()
    p.signup()
    grounds = [g for g in cat().grounds_for("renewal") if "resident_card" in g.titles][:1] + [
        g for g in cat().grounds_for("renewal")
    ][:2]
    ids = list(dict.fromkeys(g.id for g in grounds))
    title = "resident_card" if any("resident_card" in cat().grounds[g].titles for g in ids) else ""
    file_id = p.start_file("renewal", ids, title)
    row = file_row(app, file_id)
    assert json.loads(row["grounds"]) == ids and (row["title"] or "") == title


def test_a_ground_is_required_where_the_procedure_needs_one(make_person) -> None:
    p = make_person()
    p.signup()
    file_id = str(uuid.uuid4())
    page = p.client.post("/files", data={"procedure": "renewal", "file_id": file_id}, follow_redirects=False)
    # No file; the questions start again (they are the way to a ground).
    assert page.status_code == 303 and page.headers["location"] == "/files/new"
    assert p.client.get(f"/files/{file_id}").status_code == 404


def test_fill_upload_submit_amend_and_find_it_all_in_the_timeline(app, make_person) -> None:
    p = make_person()
    p.signup()
    ground = renewal_ground()
    file_id = p.start_file("renewal", [ground])
    early = p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"}, follow_redirects=False)
    assert early.headers["location"].endswith("refused=incomplete")
    review = p.client.get(early.headers["location"])
    assert review.status_code == 400 and "Pièce à ajouter" in review.text

    complete(p, file_id, "renewal", [ground])
    piece = next(i.piece.id for i in cat().checklist("renewal", [ground]) if not i.optional)
    three = [a_file_for(cat().media_types(piece), f"page-{n}") for n in range(3)]
    assert p.upload(file_id, piece, *three).status_code == 303
    page = p.client.get(f"/files/{file_id}/checklist").text
    assert "page-0" in page and "page-2" in page

    sent = p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"}, follow_redirects=False)
    assert sent.headers["location"] == f"/files/{file_id}/confirmation"
    assert file_row(app, file_id)["status"] == "submitted"

    # Amend after submission: a field and a piece.
    assert p.fill(file_id, "address", **{**ADDRESS, "phone": "06 12 34 56 78"}).status_code == 303
    assert p.upload(file_id, piece, a_file_for(cat().media_types(piece), "late")).status_code == 303
    show = p.client.get(f"/files/{file_id}").text
    for text in (
        "créé",
        "Fichier ajouté",
        "Dossier envoyé à la préfecture",
        "Informations corrigées",
        "après l’envoi",
    ):
        assert text in show, text
    history = p.client.get("/timeline").text
    assert "late" in history and "Dossier envoyé" in history


def test_last_writer_wins_per_field(app, make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("change_of_situation")
    newer = {
        "command_id": str(uuid.uuid4()),
        "at": "2026-11-29T10:00:05+00:00",
        "fields": {"city": "Bobigny"},
    }
    older = {"command_id": str(uuid.uuid4()), "at": "2026-11-29T10:00:01+00:00", "fields": {"city": "Pantin"}}
    assert p.client.post(f"/files/{file_id}/fields", json=newer).status_code == 200
    assert p.client.post(f"/files/{file_id}/fields", json=older).status_code == 200  # arrives late
    values = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT value FROM file_fields WHERE file_id = ? AND name = 'city'", (file_id,)
        ).fetchone()
    )
    assert values[0] == "Bobigny"
    bad = p.client.post(f"/files/{file_id}/fields", json={"fields": {"not_a_field": "x"}})
    assert bad.status_code == 400 and bad.json()["message"]


def test_the_second_file_is_prefilled(app, make_person) -> None:
    p = make_person()
    p.signup()
    first = p.start_file("change_of_situation")
    p.fill(first, "identity", **IDENTITY)
    second = p.start_file("duplicate")
    page = p.client.get(f"/files/{second}/identity").text
    assert 'value="Diallo"' in page


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("passeport.pdf", samples.exe(), "ni une photo ni un PDF"),
        ("vide.pdf", b"", "vide"),
        ("coupee.jpg", samples.jpeg(5000)[:-300], "incomplet"),
        ("coupe.pdf", samples.pdf(6000)[:4000], "incomplet"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(
    app, settings, make_person, name, data, expected
) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("change_of_situation")
    piece = cat().checklist("change_of_situation", [])[0].piece.id
    response = p.upload(file_id, piece, (name, data, "application/pdf"))
    assert response.status_code == 400
    assert expected in response.text and name in response.text
    kept = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM attachments").fetchone()[0])
    assert kept == 0
    assert (
        not [f for f in settings.blobs_dir.rglob("*") if f.is_file()] if settings.blobs_dir.exists() else True
    )


def test_files_over_the_limit_are_refused(tmp_path) -> None:
    from server.app import create_app
    from server.settings import load

    from .people import Applicant

    small = load({"SESAME_DATA": str(tmp_path / "small"), "SESAME_MAX_FILE_MB": "0.01"})
    application = create_app(small)
    with Applicant.new(application, small) as p:
        p.signup()
        file_id = p.start_file("change_of_situation")
        piece = cat().checklist("change_of_situation", [])[0].piece.id
        response = p.upload(file_id, piece, ("big.pdf", samples.pdf(20_000), "application/pdf"))
        assert response.status_code == 400 and "dépasse 0,01 Mo" in response.text
    application.state.db.close()


def test_a_locked_file_refuses_changes_but_takes_messages(app, make_person) -> None:
    p = make_person()
    p.signup()
    ground = renewal_ground()
    file_id = p.start_file("renewal", [ground])
    complete(p, file_id, "renewal", [ground])
    p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"})
    assert agent_command(app, "file.lock", {"file_id": file_id}).applied
    refused = p.fill(file_id, "address", **ADDRESS | {"city": "Paris"})
    assert refused.status_code == 400 and "en cours d’examen" in refused.text
    assert (
        p.client.post(
            f"/files/{file_id}/messages", data={"body": "Bonjour"}, follow_redirects=False
        ).status_code
        == 303
    )


def test_messages_both_ways_with_read_state(app, make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("change_of_situation")
    complete(p, file_id, "change_of_situation", [])
    p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"})
    sent = p.client.post(
        f"/files/{file_id}/messages",
        data={"body": "Voici mon attestation."},
        files=[("attachments", ("attestation.pdf", samples.pdf(), "application/pdf"))],
        follow_redirects=False,
    )
    assert sent.status_code == 303
    reply = agent_command(
        app,
        "message.send",
        {"file_id": file_id, "message_id": str(uuid.uuid4()), "body": "Merci, bien reçu."},
    )
    assert reply.applied, reply
    assert "1 message non lu" in p.client.get("/dashboard").text
    # Opened from Sésame's own pages (tests/test_read_marking.py has the others).
    navigation = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
    thread = p.client.get(f"/files/{file_id}/messages", headers=navigation).text
    assert "Merci, bien reçu." in thread and "attestation.pdf" in thread
    assert "message non lu" not in p.client.get("/dashboard").text
    attachment = re.search(r'href="(/files/[^"]+/messages/[^"]+/attachments/0)"', thread).group(1)
    assert p.client.get(attachment).content.startswith(b"%PDF")


def test_an_agent_of_another_prefecture_cannot_write(app, make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("change_of_situation")
    complete(p, file_id, "change_of_situation", [])
    p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"})
    result = agent_command(
        app, "message.send", {"file_id": file_id, "message_id": str(uuid.uuid4()), "body": "x"}, "75"
    )
    assert result.code == "not_found"


def test_withdraw_keeps_the_file_in_history(app, make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("travel_document")
    assert "Retirer" in p.client.get(f"/files/{file_id}/withdraw").text
    done = p.client.post(f"/files/{file_id}/withdraw", data={"reason": "Plus besoin"}, follow_redirects=False)
    assert done.headers["location"] == f"/files/{file_id}?done=withdrawn"
    assert file_row(app, file_id)["status"] == "withdrawn"
    assert "Plus besoin" in p.client.get(f"/files/{file_id}").text
    assert p.fill(file_id, "address", **ADDRESS).status_code == 400


def test_nobody_else_sees_or_changes_a_file(app, make_person) -> None:
    alice, bob = make_person(), make_person()
    alice.signup("Alice")
    bob.signup("Bob")
    file_id = alice.start_file("change_of_situation")
    piece = cat().checklist("change_of_situation", [])[0].piece.id
    alice.upload(file_id, piece, ("secret.pdf", samples.pdf(), "application/pdf"))
    attachment = re.search(
        r"/attachments/([0-9a-f-]{36})", alice.client.get(f"/files/{file_id}/checklist").text
    ).group(1)
    gets = [
        "",
        "/situation",
        "/identity",
        "/checklist",
        "/review",
        "/messages",
        "/withdraw",
        "/grounds",
        f"/attachments/{attachment}",
    ]
    for suffix in gets:
        assert bob.client.get(f"/files/{file_id}{suffix}").status_code == 404, suffix
    posts = [
        "/identity",
        "/submit",
        "/withdraw",
        "/messages",
        f"/pieces/{piece}",
        f"/attachments/{attachment}/remove",
    ]
    for suffix in posts:
        assert bob.client.post(f"/files/{file_id}{suffix}", data={"body": "x"}).status_code == 404, suffix
    assert bob.client.post(f"/files/{file_id}/fields", json={"fields": {"city": "x"}}).status_code == 404
    assert alice.client.get(f"/files/{file_id}/attachments/{attachment}").content.startswith(b"%PDF")
    assert "Alice" not in bob.client.get("/timeline").text


def test_export_holds_every_file_piece_and_message(make_person) -> None:
    p = make_person()
    p.signup("Export")
    file_id = p.start_file("change_of_situation")
    complete(p, file_id, "change_of_situation", [])
    p.client.post(f"/files/{file_id}/messages", data={"body": "Question ?"})
    response = p.client.get("/account/export")
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert "index.html" in names and "data.json" in names
    assert any("/pieces/" in n for n in names)
    index = archive.read("index.html").decode()
    assert "Question ?" in index and "Export" in index
    data = json.loads(archive.read("data.json"))
    assert data["files"][0]["messages"][0]["body"] == "Question ?"


def test_agents_reach_no_file_outside_the_audited_back_office(app, settings, make_person) -> None:
    """Least privilege until the back office (where every access is audited) exists:
    no attachment download and nothing of a file in the change feed for staff."""
    from starlette.testclient import TestClient

    from server import clock
    from server.auth import sessions
    from server.domain import accounts

    p = make_person()
    p.signup()
    file_id = p.start_file("change_of_situation")
    complete(p, file_id, "change_of_situation", [])
    p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"})
    attachment = re.search(
        r"/attachments/([0-9a-f-]{36})", p.client.get(f"/files/{file_id}/checklist").text
    ).group(1)

    def agent_session(conn):
        agent = accounts.create(
            conn,
            display_name="Agent",
            language="fr",
            user_handle=b"a" * 32,
            version=1,
            role="agent",
            prefecture="93",
        )
        token, _ = sessions.create(
            conn, agent.id, lifetime=3600, sliding=False, user_agent="", ip="", now=clock.now()
        )
        return token

    token = app.state.db.write_sync(agent_session)
    with TestClient(app, base_url=settings.origin, headers={"origin": settings.origin}) as agent:
        agent.cookies.set(sessions.COOKIE, token)
        assert agent.get(f"/files/{file_id}/attachments/{attachment}").status_code == 403
        records = agent.get("/sync/pull?cursor=0").json()["records"]
        assert {r["type"] for r in records} == {"account"}


def test_replace_and_remove_files_until_locked(app, make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("change_of_situation")
    piece = cat().checklist("change_of_situation", [])[0].piece.id
    p.upload(file_id, piece, ("first.pdf", samples.pdf(), "application/pdf"))
    first = re.search(
        r"/attachments/([0-9a-f-]{36})/replace", p.client.get(f"/files/{file_id}/checklist").text
    ).group(1)
    replaced = p.client.post(
        f"/files/{file_id}/attachments/{first}/replace",
        files=[("file", ("second.pdf", samples.pdf(3000), "application/pdf"))],
        follow_redirects=False,
    )
    assert replaced.status_code == 303
    page = p.client.get(f"/files/{file_id}/checklist").text
    assert "second.pdf" in page and "first.pdf" not in page
    second = re.search(r"/attachments/([0-9a-f-]{36})/remove", page).group(1)
    assert (
        p.client.post(f"/files/{file_id}/attachments/{second}/remove", follow_redirects=False).status_code
        == 303
    )
    assert "second.pdf" not in p.client.get(f"/files/{file_id}/checklist").text
    rows = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT filename, removed_at, replaces FROM attachments ORDER BY added_at"
        ).fetchall()
    )
    assert [(r[0], r[1] is not None, r[2]) for r in rows] == [
        ("first.pdf", True, None),
        ("second.pdf", True, first),
    ]
    history = p.client.get(f"/files/{file_id}").text
    assert "first.pdf, remplacé par second.pdf" in history and "Fichier retiré" in history
    # Once an agent locks the file, nothing changes any more.
    complete(p, file_id, "change_of_situation", [])
    p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"})
    assert agent_command(app, "file.lock", {"file_id": file_id}).applied
    kept = re.search(
        r"/attachments/([0-9a-f-]{36})\"", p.client.get(f"/files/{file_id}/checklist").text
    ).group(1)
    refused = p.client.post(f"/files/{file_id}/attachments/{kept}/remove")
    assert refused.status_code == 400 and "en cours d’examen" in refused.text
