"""A refused upload leaves nothing: no bytes, no blob row, no grant — unless the
same bytes are someone else's, or still used."""

from __future__ import annotations

import hashlib

from server.domain import catalogue

from . import samples
from .stores import FullDisk, blob_bytes, parametrised_settings, stored

settings = parametrised_settings()


def piece_of(procedure: str = "change_of_situation") -> str:
    return catalogue.load().checklist(procedure, [])[0].piece.id


def count(app, sql: str, *params) -> int:
    return app.state.db.read_sync(lambda c: c.execute(sql, params).fetchone()[0])


def withdrawn_file(person) -> str:
    file_id = person.start_file("change_of_situation")
    done = person.client.post(
        f"/files/{file_id}/withdraw", data={"reason": "Plus besoin"}, follow_redirects=False
    )
    assert done.status_code == 303
    return file_id


def test_an_attach_to_a_withdrawn_file_keeps_no_bytes_and_no_grant(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    file_id = withdrawn_file(alice)
    data = samples.pdf(3000)
    refused = alice.upload(file_id, piece_of(), ("page.pdf", data, "application/pdf"))
    assert refused.status_code == 400
    sha = hashlib.sha256(data).hexdigest()
    assert count(app, "SELECT count(*) FROM blob_grants") == 0
    assert count(app, "SELECT count(*) FROM blobs") == 0
    assert not app.state.blobs.exists(sha)
    assert not stored(app.state.blobs)  # nor a staged copy


def test_a_blank_message_with_an_attachment_keeps_nothing(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    file_id = alice.start_file("change_of_situation")
    data = samples.pdf(4000)
    refused = alice.client.post(
        f"/files/{file_id}/messages",
        data={"body": "   "},
        files=[("attachments", ("note.pdf", data, "application/pdf"))],
    )
    assert refused.status_code == 400 and "Écrivez votre message" in refused.text
    assert count(app, "SELECT count(*) FROM blob_grants") == 0
    assert not app.state.blobs.exists(hashlib.sha256(data).hexdigest())


def test_bytes_someone_else_holds_stay(app, make_person) -> None:
    alice, bob = make_person(), make_person()
    alice.signup()
    bob.signup(name="Bob")
    data = samples.pdf(5000)
    sha = hashlib.sha256(data).hexdigest()
    bobs = bob.start_file("change_of_situation")
    assert bob.upload(bobs, piece_of(), ("same.pdf", data, "application/pdf")).status_code == 303
    refused = alice.upload(withdrawn_file(alice), piece_of(), ("same.pdf", data, "application/pdf"))
    assert refused.status_code == 400
    assert count(app, "SELECT count(*) FROM blob_grants WHERE sha256 = ?", sha) == 1  # Bob's only
    assert blob_bytes(app.state.blobs, sha) == data
    assert bob.client.get(f"/files/{bobs}/checklist").status_code == 200


def test_bytes_the_same_person_already_uses_stay(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    data = samples.pdf(6000)
    sha = hashlib.sha256(data).hexdigest()
    kept = alice.start_file("change_of_situation")
    assert alice.upload(kept, piece_of(), ("a.pdf", data, "application/pdf")).status_code == 303
    assert (
        alice.upload(withdrawn_file(alice), piece_of(), ("a.pdf", data, "application/pdf")).status_code == 400
    )
    assert count(app, "SELECT count(*) FROM blob_grants WHERE sha256 = ?", sha) == 1
    assert app.state.blobs.exists(sha)


def test_a_full_disk_refuses_a_form_upload_with_a_clear_message(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    file_id = alice.start_file("change_of_situation")
    app.state.blobs = FullDisk(app.state.blobs)
    refused = alice.upload(file_id, piece_of(), ("page.pdf", samples.pdf(3000), "application/pdf"))
    assert refused.status_code == 400 and "manque de place" in refused.text
    assert count(app, "SELECT count(*) FROM attachments") == 0
