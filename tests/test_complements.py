"""Complements item by item: an agent asks, the person answers exactly that, even
on a locked file; the file's summary (complement_state, complement_due) follows."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from server import clock
from server.domain import complements

from .test_files_http import ADDRESS, agent_command, cat, file_row, renewal_ground, sent_renewal


def submitted_renewal(app, make_person, lock: bool = True) -> tuple[object, str]:
    p = make_person()
    p.signup()
    return p, sent_renewal(app, p, lock)


def a_piece(file_id: str) -> str:
    return cat().checklist("renewal", [renewal_ground()])[0].piece.id


def items(app, file_id: str) -> list[complements.Item]:
    return app.state.db.read_sync(lambda c: complements.for_file(c, file_id))


def events(app, file_id: str) -> list[str]:
    rows = app.state.db.read_sync(
        lambda c: c.execute("SELECT kind FROM timeline WHERE file_id = ?", (file_id,)).fetchall()
    )
    return [r[0] for r in rows]


def test_asking_reopens_only_what_is_asked_and_answering_tells_the_agent(app, make_person) -> None:
    p, file_id = submitted_renewal(app, make_person)
    piece = a_piece(file_id)
    asked = agent_command(
        app,
        "complement.request",
        {
            "file_id": file_id,
            "items": [
                {"kind": "piece", "target": piece, "reason": "Page illisible : photographiez-la de nouveau."},
                {"kind": "field", "target": "city", "reason": "Commune à préciser.", "due": "2099-01-01"},
            ],
        },
    )
    assert asked.code == "due_too_far" and asked.field == "items.1.due"
    due = (clock.now().date() + timedelta(days=10)).isoformat()
    asked = agent_command(
        app,
        "complement.request",
        {
            "file_id": file_id,
            "items": [
                {"kind": "piece", "target": piece, "reason": "Page illisible : photographiez-la de nouveau."},
                {"kind": "field", "target": "city", "reason": "Commune à préciser.", "due": due},
            ],
        },
    )
    assert asked.applied, asked
    row = file_row(app, file_id)
    default = (clock.now().date() + timedelta(days=complements.DEFAULT_DAYS)).isoformat()
    assert row["status"] == "locked" and row["complement_state"] == "asked" and row["complement_due"] == due
    assert {(i.target, i.due) for i in items(app, file_id)} == {(piece, default), ("city", due)}

    # The file is locked: another piece and another field stay closed…
    other = next(i.piece.id for i in cat().checklist("renewal", [renewal_ground()]) if i.piece.id != piece)
    assert p.upload(file_id, other, ("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")).status_code == 400
    refused = p.fill(file_id, "address", **ADDRESS | {"street": "1 rue Neuve", "city": "Saint-Ouen"})
    assert refused.status_code == 400
    # …but the asked field may change, the rest of its page sent unchanged.
    assert p.fill(file_id, "address", **ADDRESS | {"city": "Saint-Ouen"}).status_code == 303
    row = file_row(app, file_id)
    assert row["complement_state"] == "asked" and row["complement_due"] == default
    # The asked piece too: every item answered, the agent is told.
    from .test_files_http import a_file_for

    assert p.upload(file_id, piece, a_file_for(cat().media_types(piece), "again")).status_code == 303
    row = file_row(app, file_id)
    assert row["complement_state"] == "answered" and row["complement_due"] is None
    assert {i.status for i in items(app, file_id)} == {"answered"}
    assert events(app, file_id).count("complement_answered") == 2
    # Answered items stay open (another page may follow) until an agent settles them.
    assert p.upload(file_id, piece, a_file_for(cat().media_types(piece), "page2")).status_code == 303
    ids = [i.id for i in items(app, file_id)]
    assert agent_command(
        app, "complement.settle", {"file_id": file_id, "item_ids": ids, "status": "accepted"}
    ).applied
    assert file_row(app, file_id)["complement_state"] is None
    assert p.upload(file_id, piece, a_file_for(cat().media_types(piece), "late")).status_code == 400


def test_the_person_sees_what_is_asked_on_the_dashboard_file_and_checklist(app, make_person) -> None:
    p, file_id = submitted_renewal(app, make_person)
    piece = a_piece(file_id)
    agent_command(
        app,
        "complement.request",
        {"file_id": file_id, "items": [{"kind": "piece", "target": piece, "reason": "Le verso manque."}]},
    )
    label = cat().pieces[piece].label("fr")
    for url in ("/dashboard", f"/files/{file_id}", f"/files/{file_id}/checklist"):
        page = p.client.get(url).text
        assert "Le verso manque." in page and label in page, url
    checklist = p.client.get(f"/files/{file_id}/checklist").text
    # Only the asked piece has an upload form on the locked file.
    assert checklist.count('data-op="piece.attach"') == 1
    assert f'data-piece="{piece}"' in checklist
    assert "Demande de complément" in p.client.get(f"/files/{file_id}").text


def test_asking_needs_an_agent_of_the_prefecture_and_a_submitted_file(app, make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("renewal", [renewal_ground()])
    item = {"kind": "field", "target": "city", "reason": "Précisez."}
    assert agent_command(app, "complement.request", {"file_id": file_id, "items": [item]}).code == "not_found"
    p2, submitted = submitted_renewal(app, make_person, lock=False)
    assert (
        agent_command(app, "complement.request", {"file_id": submitted, "items": [item]}, "75").code
        == "not_found"
    )
    for bad, code in (
        ([], "items_required"),
        ([{**item, "target": "shoe_size"}], "target_unknown"),
        ([{**item, "kind": "pet"}], "kind_unknown"),
        ([{**item, "reason": "  "}], "reason_required"),
        ([{**item, "due": "demain"}], "due_invalid"),
        ([{**item, "due": clock.now().date().isoformat()}], "due_past"),
        ([item, item], "item_repeated"),
    ):
        assert agent_command(app, "complement.request", {"file_id": submitted, "items": bad}).code == code, (
            bad
        )
    # On a submitted (not locked) file everything stays editable; the item is still followed.
    assert agent_command(app, "complement.request", {"file_id": submitted, "items": [item]}).applied
    assert p2.fill(submitted, "address", **ADDRESS | {"city": "Bobigny"}).status_code == 303
    assert file_row(app, submitted)["complement_state"] == "answered"


def test_asking_again_replaces_the_open_item_and_a_replay_changes_nothing(app, make_person) -> None:
    from server import commands
    from server.auth.policy import Actor
    from sync.protocol import Command

    _, file_id = submitted_renewal(app, make_person)
    agent = Actor(role="agent", account_id="agent-1", prefecture="93")
    args = {"file_id": file_id, "items": [{"kind": "field", "target": "city", "reason": "Précisez."}]}
    command = Command(id=str(uuid.uuid4()), client="t", seq=0, op="complement.request", args=args)
    first = app.state.db.write_sync(lambda c: commands.apply(c, command, agent))
    again = app.state.db.write_sync(lambda c: commands.apply(c, command, agent))
    assert first == again and len(items(app, file_id)) == 1
    args["items"][0]["reason"] = "Précisez la commune exacte."
    assert agent_command(app, "complement.request", args).applied
    statuses = sorted((i.status, i.reason) for i in items(app, file_id))
    assert statuses == [("asked", "Précisez la commune exacte."), ("closed", "Précisez.")]


def test_a_prefecture_sets_its_own_default_delay(app, make_person) -> None:
    from server import commands
    from server.auth.policy import Actor
    from sync.protocol import Command

    def configure(actor: Actor, days: object) -> object:
        command = Command(
            id=str(uuid.uuid4()), client="t", seq=0, op="prefecture.configure", args={"complement_days": days}
        )
        return app.state.db.write_sync(lambda c: commands.apply(c, command, actor))

    admin93 = Actor(role="admin", account_id="adm", prefecture="93")
    assert configure(Actor(role="agent", account_id="a", prefecture="93"), 45).code == "forbidden"
    assert configure(Actor(role="admin", account_id="n", prefecture=None), 45).code == "forbidden"
    assert configure(admin93, 3).code == "days_invalid"
    assert configure(admin93, "x").code == "days_invalid"
    assert configure(admin93, 45).applied
    _, file_id = submitted_renewal(app, make_person)
    agent_command(
        app,
        "complement.request",
        {"file_id": file_id, "items": [{"kind": "field", "target": "city", "reason": "?"}]},
    )
    expected = (date.today() + timedelta(days=45)).isoformat()
    assert file_row(app, file_id)["complement_due"] in (
        expected,
        (clock.now().date() + timedelta(days=45)).isoformat(),
    )


def test_accepting_the_piece_settles_what_was_asked_for_it(app, make_person) -> None:
    from .test_files_http import a_file_for

    p, file_id = submitted_renewal(app, make_person)
    piece = a_piece(file_id)
    item = {"kind": "piece", "target": piece, "reason": "Illisible."}
    agent_command(app, "complement.request", {"file_id": file_id, "items": [item]})
    assert p.upload(file_id, piece, a_file_for(cat().media_types(piece), "again")).status_code == 303
    assert file_row(app, file_id)["complement_state"] == "answered"
    assert agent_command(app, "piece.accept", {"file_id": file_id, "piece": piece}).applied
    assert [i.status for i in items(app, file_id)] == ["accepted"]
    assert file_row(app, file_id)["complement_state"] is None
    # Both sides see it in the timeline: asked, answered, accepted.
    kinds = events(app, file_id)
    assert (
        kinds.index("complement_requested")
        < kinds.index("complement_answered")
        < kinds.index("piece_accepted")
    )


def test_a_withdrawn_file_awaits_nothing(app, make_person) -> None:
    p, file_id = submitted_renewal(app, make_person)
    item = {"kind": "field", "target": "city", "reason": "Commune ?"}
    assert agent_command(app, "complement.request", {"file_id": file_id, "items": [item]}).applied
    withdrawn = p.client.post(f"/files/{file_id}/withdraw", data={"reason": ""}, follow_redirects=False)
    assert withdrawn.status_code == 303
    assert [i.status for i in items(app, file_id)] == ["closed"]
    assert file_row(app, file_id)["complement_state"] is None


def test_the_person_is_told_when_the_time_limit_has_passed(app, make_person) -> None:
    p, file_id = submitted_renewal(app, make_person)
    item = {"kind": "field", "target": "city", "reason": "Commune ?"}
    assert agent_command(app, "complement.request", {"file_id": file_id, "items": [item]}).applied
    assert "Le délai est passé" not in p.client.get(f"/files/{file_id}").text
    app.state.db.write_sync(
        lambda c: c.execute("UPDATE complement_items SET due = '2020-01-01' WHERE file_id = ?", (file_id,))
    )
    assert "Le délai est passé (1 janvier 2020)" in p.client.get(f"/files/{file_id}").text
