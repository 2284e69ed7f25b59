"""The inbox: rights first, filters, counts, search, pages by key; and the
right-to-stay date kept on the file as the person types it."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bench.inbox import populate
from server.domain import inbox

from .test_prefecture_review import staff, submitted_file


def query(info, **changes) -> inbox.Query:
    return inbox.Query(departement="75", reader=info["reader"], today=info["today"], **changes)


def sort_key(row: inbox.Row) -> tuple[str, str, str]:
    return (row.right_until or inbox.NO_DATE, row.submitted_at, row.id)


def every_page(conn, q: inbox.Query) -> list[inbox.Row]:
    rows, after = [], None
    while True:
        found = inbox.page(conn, inbox.Query(**{**q.__dict__, "after": inbox.parse_cursor(after)}))
        rows += found.rows
        if not found.after:
            return rows
        after = found.after


def an_applicant(conn) -> str:
    """An account to own files made straight in the database."""
    owner = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO accounts (id, user_handle, display_name, language, role, created_at, version)"
        " VALUES (?, ?, 'A', 'fr', 'applicant', '2026', 1)",
        (owner, uuid.uuid4().bytes * 2),
    )
    return owner


def test_order_lapsed_first_unknown_last_and_keyset_pages(db):
    info = db.write_sync(lambda c: populate(c, 600, 100))
    conn = db.reader()
    rows = every_page(conn, query(info, limit=37))
    everything = conn.execute(
        "SELECT count(*) FROM files WHERE departement = '75' AND status IN ('submitted', 'locked')"
    ).fetchone()[0]
    assert len(rows) == everything == len({r.id for r in rows})  # no row twice, none missing
    assert [sort_key(r) for r in rows] == sorted(sort_key(r) for r in rows)
    lapsed = [r.lapsed for r in rows]
    assert lapsed[0] and lapsed == sorted(lapsed, reverse=True)  # lapsed ones on top
    dated = [r.right_until is not None for r in rows]
    assert dated == sorted(dated, reverse=True)  # unknown dates after every known one
    assert {r.status for r in rows} == {"submitted", "locked"}


def test_filters_counts_and_search(db):
    info = db.write_sync(lambda c: populate(c, 800, 100))
    conn = db.reader()
    counts = inbox.counts(conn, "75")
    exact = dict(
        conn.execute(
            "SELECT status, count(*) FROM files WHERE departement = '75' AND submitted_at IS NOT NULL"
            " GROUP BY status"
        ).fetchall()
    )
    assert counts == {s: exact.get(s, 0) for s in counts}
    for status in ("submitted", "locked", "decided", "withdrawn"):
        assert len(every_page(conn, query(info, status=status))) == counts[status]
    assert "draft" not in counts
    procedure = every_page(conn, query(info, procedure=info["procedure"]))
    assert procedure and {r.procedure for r in procedure} == {info["procedure"]}
    old = every_page(conn, query(info, older_than_days=365))
    assert old and all(r.submitted_at < "2025-12-01" for r in old)
    answered = every_page(conn, query(info, answered=True))
    assert all(r.complement_state == "answered" for r in answered)
    changed = every_page(conn, query(info, changed=True))
    assert 0 < len(changed) < len(every_page(conn, query(info)))
    by_name = every_page(conn, query(info, search=info["family"][:4].lower(), status="all"))
    assert by_name and all(r.family_name == info["family"] for r in by_name)
    (by_number,) = inbox.page(conn, query(info, search=info["number"], status="all")).rows
    assert by_number.number == info["number"]
    spaced = f"{info['foreign'][:3]} {info['foreign'][3:6]} {info['foreign'][6:]}"
    assert [r.number for r in inbox.page(conn, query(info, search=spaced, status="all")).rows] == [
        info["number"]
    ]
    assert inbox.page(conn, query(info, search="«»")).rows == []


def test_the_page_over_http(app, settings, make_person):
    agent = staff(app, settings, prefecture="93")
    empty = agent.get("/prefecture")
    assert empty.status_code == 200 and "Aucun dossier reçu pour l’instant." in empty.text
    person, file_id = submitted_file(make_person, current_permit_expiry="2020-01-31")
    page = agent.get("/prefecture")
    assert f"/prefecture/files/{file_id}" in page.text
    assert "Droit au séjour expiré le" in page.text
    assert "Nouveau ou modifié depuis votre dernière consultation" in page.text
    agent.get(f"/prefecture/files/{file_id}")
    assert f"/prefecture/files/{file_id}" not in agent.get("/prefecture?changed=1").text
    assert f"/prefecture/files/{file_id}" in agent.get("/prefecture?q=diallo").text
    assert f"/prefecture/files/{file_id}" not in agent.get("/prefecture?q=martin").text
    # The complement columns (kept by the complements' commands) show on the card.
    app.state.db.write_sync(
        lambda c: c.execute(
            "UPDATE files SET complement_state = 'asked', complement_due = '2030-01-31' WHERE id = ?",
            (file_id,),
        )
    )
    assert "Compléments demandés (à rendre le 31 janvier 2030)" in agent.get("/prefecture").text
    assert file_id not in agent.get("/prefecture?answered=1").text
    app.state.db.write_sync(
        lambda c: c.execute("UPDATE files SET complement_state = 'answered' WHERE id = ?", (file_id,))
    )
    assert f"/prefecture/files/{file_id}" in agent.get("/prefecture?answered=1").text
    bad = agent.get("/prefecture?older_than=abc&status=nope")
    assert bad.status_code == 400 and "Un filtre n’a pas été compris" in bad.text
    assert agent.get("/prefecture?after=garbage").status_code == 200
    # A draft of the same prefecture never shows.
    draft = person.start_file("change_of_situation")
    assert draft not in agent.get("/prefecture?status=all").text


def test_right_until_follows_the_field_and_every_procedure_asks_it(app, settings, make_person):
    person = make_person()
    person.signup()
    for procedure in ("change_of_situation", "duplicate", "travel_document"):
        file_id = person.start_file(procedure)
        assert 'id="f-current_permit_expiry"' in person.client.get(f"/files/{file_id}/situation").text
    file_id = person.start_file("change_of_situation")

    def right():
        return app.state.db.read_sync(
            lambda c: c.execute("SELECT right_until FROM files WHERE id = ?", (file_id,)).fetchone()[0]
        )

    assert right() is None
    values = {"change_kind": "address", "change_details": "Nouvelle adresse.", "notes": ""}
    person.fill(file_id, "situation", current_permit_expiry="2027-03-31", **values)
    assert right() == "2027-03-31"
    person.fill(file_id, "situation", current_permit_expiry="2027-13-45", **values)
    assert right() is None  # not a date: unknown, never a wrong order
    person.fill(file_id, "situation", current_permit_expiry="", **values)
    assert right() is None


def test_the_migration_fills_dates_and_search_for_existing_files(tmp_path):
    import sqlite_utils

    from server.store.db import Database
    from server.store.migrations import migrate, migrations

    database = Database(tmp_path / "old.db")
    with database.exclusive() as conn:
        migrations.apply(sqlite_utils.Database(conn), stop_before="m009_audit_and_review")
        owner = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO accounts (id, user_handle, display_name, language, role, created_at, version)"
            " VALUES (?, ?, 'A', 'fr', 'applicant', '2026', 1)",
            (owner, b"x" * 32),
        )
        conn.execute(
            "INSERT INTO files (id, number, owner_id, procedure, grounds, status, departement, created_at,"
            " updated_at, version) VALUES ('f1', '2026-000001', ?, 'renewal', '[]', 'submitted', '93', '2026',"
            " '2026', 1)",
            (owner,),
        )
        for name, value in [
            ("current_permit_expiry", "2027-02-28"),
            ("family_name", "Mbappé"),
            ("foreign_number", "12 34 56 78 90"),
        ]:
            conn.execute(
                "INSERT INTO file_fields (file_id, name, value, at, version) VALUES ('f1', ?, ?, '2026', 1)",
                (name, value),
            )
    assert "m009_audit_and_review" in migrate(database)
    conn = database.reader()
    assert conn.execute("SELECT right_until FROM files").fetchone()[0] == "2027-02-28"
    assert inbox.counts(conn, "93")["submitted"] == 0  # never sent: no submitted_at

    for words in ("mbappe", "1234567890", "2026-000001"):
        expression = inbox.match_expression(words, "93")
        assert [
            r[0]
            for r in conn.execute(
                "SELECT d.file_id FROM file_search s JOIN file_search_docs d ON d.doc = s.rowid WHERE file_search MATCH ?",
                (expression,),
            )
        ] == ["f1"], words
    database.close()


def test_a_search_reads_its_own_prefecture_and_follows_a_move(db):
    """The words are scoped to the prefecture (m027): the same name in two
    prefectures is found in each by its own agents only; a file that moves (a new
    address, a draft placed at last) is found where it now is, nowhere else."""
    from server.domain import files
    from server.store import search_words

    def make(conn):
        owner = an_applicant(conn)
        for n, (file_id, departement) in enumerate([("in75", "75"), ("in93", "93"), ("draft", None)], 1):
            conn.execute(
                "INSERT INTO files (id, number, owner_id, procedure, grounds, status, departement, created_at,"
                " updated_at, submitted_at, version) VALUES (?, ?, ?, 'renewal', '[]', 'submitted', ?,"
                " '2026', '2026', '2026-11-01', 1)",
                (file_id, f"2026-00000{n}", owner, departement),
            )
            for name, value in [("family_name", "Diallo"), ("given_names", "Aïssatou Bébé")]:
                conn.execute(
                    "INSERT INTO file_fields (file_id, name, value, at, version) VALUES (?, ?, ?, '2026', 1)",
                    (file_id, name, value),
                )
            files.refresh_derived(conn, file_id, f"2026-00000{n}")

    db.write_sync(make)

    def found(departement: str, typed: str = "diallo") -> list[str]:
        q = inbox.Query(departement=departement, reader="r", today="2026-12-02", status="all", search=typed)
        return [r.id for r in inbox.page(db.reader(), q).rows]

    assert (found("75"), found("93"), found("2A")) == (["in75"], ["in93"], [])
    assert found("75", "DIAL aissatou") == found("75", "bébé") == ["in75"]
    db.write_sync(lambda c: c.execute("UPDATE files SET departement = '2A' WHERE id = 'in93'"))
    db.write_sync(lambda c: c.execute("UPDATE files SET departement = '75' WHERE id = 'draft'"))
    assert (sorted(found("75")), found("93"), found("2A")) == (["draft", "in75"], [], ["in93"])
    # Every word of the moved file carries its new prefecture, and an edit keeps it.
    db.write_sync(lambda c: files.refresh_derived(c, "in93", "2026-000002"))
    texts = [r[0] for r in db.reader().execute("SELECT text FROM file_search ORDER BY rowid")]
    assert texts[1] == search_words.scoped("2A", "2026-000002 Diallo Aïssatou Bébé")
    assert texts[1].split() == ["2ax2026", "2ax000002", "2axDiallo", "2axAïssatou", "2axBébé"]


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40),
    typed=st.text(max_size=120),
    departement=st.sampled_from(["75", "93", "2A", "971", None]),
)
@example(name="Strauß", typed="STRAUß", departement="75")  # casefold() would look for "ss"
@example(name="İnce Ǆemal Σίσυφος", typed='"75x" OR *', departement="2A")
def test_any_name_is_found_by_its_words_and_any_search_answers(db, name, typed, departement):
    """Whatever a person's name holds and whatever an agent types: the search
    answers (no FTS syntax error, no server error), only with files of the
    agent's prefecture, and a name is found by each of its words."""
    from server.domain import files
    from server.store import search_words

    file_id = str(uuid.uuid4())
    number = f"2026-{uuid.uuid4().int % 10**9:09d}"

    def make(conn):
        owner = an_applicant(conn)
        conn.execute(
            "INSERT INTO files (id, number, owner_id, procedure, grounds, status, departement, created_at,"
            " updated_at, submitted_at, version) VALUES (?, ?, ?, 'renewal', '[]', 'submitted', ?,"
            " '2026', '2026', '2026-11-01', 1)",
            (file_id, number, owner, departement),
        )
        conn.execute(
            "INSERT INTO file_fields (file_id, name, value, at, version) VALUES (?, 'family_name', ?, '2026', 1)",
            (file_id, name),
        )
        files.refresh_derived(conn, file_id, number)

    db.write_sync(make)
    place = departement or "75"

    def found(text: str, where: str = place) -> list[str]:
        q = inbox.Query(departement=where, reader="r", today="2026-12-02", status="all", search=text)
        return [r.id for r in inbox.page(db.reader(), q).rows]

    # Files of earlier examples stay: every hit is of the agent's prefecture, and
    # a draft with no prefecture yet is no one's.
    placed = {r[0] for r in db.reader().execute("SELECT id FROM files WHERE departement = ?", (place,))}
    assert set(found(typed)) <= placed - ({file_id} if departement is None else set())
    assert found(typed, "13") == []
    for word in search_words.words(name)[:3] if departement else []:
        q = inbox.Query(departement=place, reader="r", today="2026-12-02", status="all", search=word)
        assert file_id in [r.id for r in every_page(db.reader(), q)], word
