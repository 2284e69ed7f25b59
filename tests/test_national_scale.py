"""The national generator (bench/national.py) at a small scale, and what the
national figures taught (docs/scale.md): file numbers past 999,999 a year
still go to the unique index, not the full-text search."""

from __future__ import annotations

import json
from pathlib import Path

from bench import national
from server.domain import inbox
from server.store.db import Database


def test_the_generator_spreads_files_with_paris_holding_a_tenth(tmp_path: Path) -> None:
    info = national.build(tmp_path / "n", files=2000, events=20_000)
    database = Database(tmp_path / "n" / "sesame.db")
    conn = database.reader()
    assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 2000
    assert conn.execute("SELECT count(*) FROM timeline").fetchone()[0] == 20_000
    assert conn.execute("SELECT count(*) FROM files WHERE departement = '75'").fetchone()[0] == 200
    assert conn.execute("SELECT count(DISTINCT departement) FROM files").fetchone()[0] > 90
    assert json.loads((tmp_path / "n" / "national.json").read_text())["reader"] == info["reader"]

    # A seven-digit file number (France files ~1.5 million a year) is found by the index.
    number = conn.execute(
        "SELECT number FROM files WHERE departement = '75' AND submitted_at IS NOT NULL LIMIT 1"
    ).fetchone()[0]
    assert len(number.split("-")[1]) == 7
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    q = inbox.Query(departement="75", reader=info["reader"], today=info["today"], status="all", search=number)
    assert [r.number for r in inbox.page(conn, q).rows] == [number]
    conn.set_trace_callback(None)
    assert not any("MATCH" in s for s in statements), statements
    database.close()


def test_a_search_reads_only_its_prefectures_hits_and_follows_a_move(tmp_path: Path) -> None:
    info = national.build(tmp_path / "n", files=1000, events=1000)
    database = Database(tmp_path / "n" / "sesame.db")
    file_id, number, family, given = database.read_sync(
        lambda c: c.execute(
            "SELECT f.id, f.number, n.value, g.value FROM files f"
            " JOIN file_fields n ON n.file_id = f.id AND n.name = 'family_name'"
            " JOIN file_fields g ON g.file_id = f.id AND g.name = 'given_names'"
            " WHERE f.departement = '75' AND f.status = 'submitted' LIMIT 1"
        ).fetchone()
    )

    def found(departement: str) -> bool:
        q = inbox.Query(
            departement=departement,
            reader=info["reader"],
            today=info["today"],
            search=f"{family} {given}",
            status="all",
            limit=1000,
        )
        return number in [r.number for r in database.read_sync(inbox.page, q).rows]

    assert found("75") and not found("93")
    # The file moves to another prefecture (its postcode changed): the trigger moves its search token.
    database.write_sync(lambda c: c.execute("UPDATE files SET departement = '93' WHERE id = ?", (file_id,)))
    assert found("93") and not found("75")
    database.close()


def test_answered_files_come_from_their_own_index_all_of_them_in_order(tmp_path: Path) -> None:
    info = national.build(tmp_path / "n", files=3000, events=3000)
    database = Database(tmp_path / "n" / "sesame.db")
    conn = database.reader()
    expected = [
        r[0]
        for r in conn.execute(
            "SELECT number FROM files WHERE departement = '75' AND submitted_at IS NOT NULL"
            " AND status IN ('submitted', 'locked') AND complement_state = 'answered'"
            " ORDER BY coalesce(right_until, '9999-12-31'), submitted_at, id"
        )
    ]
    q = inbox.Query(departement="75", reader=info["reader"], today=info["today"], answered=True, limit=1000)
    assert expected and [r.number for r in inbox.page(conn, q).rows] == expected
    database.close()
