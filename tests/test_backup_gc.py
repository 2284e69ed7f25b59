"""`sesame backup verify` and `sesame gc`, on both blob stores: every blob the
database refers to is checked by its hash; gc takes what nothing refers to,
after the grace period, and never what a command refers to."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from server import cli
from server.store import inventory
from server.store.blobs import FileBlobStore

from . import samples
from .stores import blob_bytes, parametrised_settings, stored
from .test_refused_uploads import piece_of
from .test_tus import create, patch

settings = parametrised_settings()
LATER = datetime.now(UTC) + timedelta(days=31)


def attached(person, data: bytes) -> str:
    file_id = person.start_file("change_of_situation")
    assert person.upload(file_id, piece_of(), ("page.pdf", data, "application/pdf")).status_code in (200, 303)
    return hashlib.sha256(data).hexdigest()


def uploaded_only(person, data: bytes) -> str:
    url = create(person.client, data).headers["location"]
    return patch(person.client, url, 0, data).headers["sesame-blob"]


def test_verify_finds_every_blob_and_reports_orphans_and_damage(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    kept = attached(alice, samples.pdf(5000))
    store, db = app.state.blobs, app.state.db
    found = inventory.verify(db, store)
    assert found.ok and found.rows == 1 and found.checked == 1 and not found.orphans
    stray, _ = store.put(io.BytesIO(b"%PDF-1.4 nobody refers to me"), 1000)
    found = inventory.verify(db, store)
    assert found.ok and found.orphans == [stray]
    # Bytes swapped under the blob's name: caught by the streaming hash.
    store.remove(kept)
    if isinstance(store, FileBlobStore):
        store.path(kept).parent.mkdir(parents=True, exist_ok=True)
        store.path(kept).write_bytes(b"x" * 5000)
        found = inventory.verify(db, store)
        assert not found.ok and found.damaged == [kept]
        store.remove(kept)
    found = inventory.verify(db, store, sample=0.5, seed=1)
    assert not found.ok and found.missing == [kept]


def test_gc_keeps_what_commands_refer_to_and_takes_the_rest_after_the_grace(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    store, db, uploads = app.state.blobs, app.state.db, app.state.uploads
    in_a_piece = attached(alice, samples.pdf(4000))
    just_uploaded = uploaded_only(alice, samples.pdf(6000))
    orphan, _ = store.put(io.BytesIO(b"%PDF-1.4 orphan"), 1000)
    staged = store.stage(io.BytesIO(b"%PDF-1.4 staged, never published"), 1000)
    data = samples.pdf(50_000)
    abandoned = create(alice.client, data).headers["location"].rsplit("/", 1)[1]
    patch(alice.client, f"/uploads/{abandoned}", 0, data[:20_000])

    # Within the grace period nothing goes, not even the orphan.
    now = inventory.collect(db, store, uploads, grace=timedelta(days=30))
    assert not (now.orphans or now.unused or now.staged or now.uploads_expired)
    assert store.exists(orphan) and store.exists(just_uploaded)

    # A month later: the orphan, the staged bytes, the upload never attached, the
    # abandoned upload's partial bytes go; the attached blob stays.
    later = inventory.collect(db, store, uploads, grace=timedelta(0), now=LATER)
    assert later.orphans == [orphan] and later.unused == [just_uploaded]
    assert later.uploads_expired == [abandoned] and not uploads.part(abandoned).exists()
    assert later.staged == [staged.ref.rsplit("/", 1)[-1]]
    assert stored(store) == [in_a_piece] and blob_bytes(store, in_a_piece)[:5] == b"%PDF-"
    assert inventory.verify(db, store).ok


def test_the_commands(app, settings, make_person, monkeypatch, capsys) -> None:
    alice = make_person()
    alice.signup()
    attached(alice, samples.pdf(3000))
    app.state.db.close()  # the command line opens its own
    environ = {"SESAME_DATA": str(settings.data_dir)}
    if settings.blob_store == "s3":
        environ.update(
            SESAME_BLOB_STORE="s3",
            SESAME_S3_BUCKET=settings.s3_bucket,
            SESAME_S3_PREFIX=settings.s3_prefix,
            SESAME_S3_ENDPOINT=settings.s3_endpoint,
            AWS_ACCESS_KEY_ID=settings.s3_access_key,
            AWS_SECRET_ACCESS_KEY=str(settings.s3_secret_key),
        )
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["backup", "verify"]) == 0
    assert "blobs in the database: 1; hashed: 1" in capsys.readouterr().out
    assert cli.main(["backup", "verify", "--sample", "0"]) == 2
    assert cli.main(["gc", "--dry-run"]) == 0
    assert "would delete: 0 blobs" in capsys.readouterr().out


@pytest.mark.parametrize("settings", ["file"], indirect=True)
def test_gc_never_takes_a_removed_attachment_the_timeline_shows(app, make_person) -> None:
    alice = make_person()
    alice.signup()
    sha = attached(alice, samples.pdf(2000))
    app.state.db.write_sync(lambda c: c.execute("UPDATE attachments SET removed_at = '2020-01-01'"))
    done = inventory.collect(app.state.db, app.state.blobs, app.state.uploads, grace=timedelta(0), now=LATER)
    assert not done.unused and app.state.blobs.exists(sha)
