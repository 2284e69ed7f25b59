"""The prefecture's inbox on a synthetic prefecture: 200,000 files sent to it and
2,000,000 timeline events (plus fields, messages, visits, a few thousand files of
other prefectures and drafts). Built straight into a throw-away database with
`executemany` in one transaction, then measured through the domain's query
functions and once through HTTP (the ASGI app in process: routing, session,
template; no socket).

Budget (DESIGN.md): p95 ≤ 50 ms.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server import clock
from server.auth import sessions
from server.domain import catalogue, inbox
from server.store import search_words
from server.store.db import Database
from server.store.migrations import migrate

DEPARTEMENT = "75"
FAMILY = [
    "Diallo",
    "Traoré",
    "Nguyen",
    "Benali",
    "Kone",
    "Haddad",
    "Popescu",
    "Silva",
    "Mensah",
    "Zhang",
    "Camara",
    "Sissoko",
    "Ahmadi",
    "Kowalski",
    "Okafor",
    "Mendes",
    "Rahman",
    "Petrov",
    "Sow",
    "Cissé",
]
GIVEN = [
    "Aminata",
    "Moussa",
    "Fatou",
    "Karim",
    "Leïla",
    "Yusuf",
    "Mariam",
    "Oksana",
    "Tenzin",
    "Farida",
    "Ibrahima",
    "Awa",
    "Omar",
    "Nadia",
    "Sergei",
    "Ana",
    "Kofi",
    "Li",
    "Samir",
    "Aïcha",
]
STATUSES = ["submitted"] * 45 + ["locked"] * 15 + ["decided"] * 30 + ["withdrawn"] * 5 + ["draft"] * 5


def populate(
    conn: Any, files: int, events: int, *, departement: str = DEPARTEMENT, seed: int = 1
) -> dict[str, Any]:
    """Fill an empty, migrated database (inside the caller's transaction).
    Returns what the measures need: the reader's id, a name, a number, a foreign number."""
    rnd = random.Random(seed)
    cat = catalogue.load()
    procedures = list(cat.procedures)
    grounds = {p: [g.id for g in cat.grounds_for(p)] for p in procedures}
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    today = now.date()
    iso = clock.iso(now)
    owners = max(1, files // 4)
    owner_ids = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(owners)]
    conn.executemany(
        "INSERT INTO accounts (id, user_handle, display_name, language, role, created_at, version)"
        " VALUES (?, ?, ?, 'fr', 'applicant', ?, 1)",
        ((o, uuid.UUID(o).bytes * 2, "P", iso) for o in owner_ids),
    )
    reader = str(uuid.uuid4())
    agents = [reader] + [str(uuid.uuid4()) for _ in range(19)]
    conn.executemany(
        "INSERT INTO accounts (id, user_handle, display_name, language, role, prefecture, created_at, version)"
        " VALUES (?, ?, ?, 'fr', 'agent', ?, ?, 1)",
        ((a, uuid.UUID(a).bytes * 2, f"Agent {i}", departement, iso) for i, a in enumerate(agents)),
    )
    file_rows, field_rows, search_rows, doc_rows = [], [], [], []
    ids = []
    total = files + files // 20  # a few files of other prefectures too
    for n in range(total):
        file_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        dep = departement if n < files else rnd.choice(["93", "13", "69"])
        status = rnd.choice(STATUSES)
        procedure = rnd.choice(procedures)
        chosen = [rnd.choice(grounds[procedure])] if grounds[procedure] else []
        created = now - timedelta(days=rnd.randint(0, 730), seconds=rnd.randint(0, 86400))
        submitted = None if status == "draft" else clock.iso(created + timedelta(days=rnd.randint(0, 20)))
        right = (today + timedelta(days=rnd.randint(-60, 400))).isoformat() if rnd.random() < 0.7 else None
        number = f"{created.year}-{n + 1:06d}"
        locked_by = rnd.choice(agents) if status == "locked" else None
        answered = "answered" if status in ("submitted", "locked") and rnd.random() < 0.02 else None
        family, given = rnd.choice(FAMILY), rnd.choice(GIVEN)
        foreign = f"{rnd.randrange(10**10):010d}"
        file_rows.append(
            (
                file_id,
                number,
                rnd.choice(owner_ids),
                procedure,
                json.dumps(chosen),
                status,
                dep,
                clock.iso(created),
                submitted or clock.iso(created),
                submitted,
                right,
                locked_by,
                answered,
                n + 1,
            )
        )
        values = {"family_name": family, "given_names": given, "foreign_number": foreign}
        if right:
            values["current_permit_expiry"] = right
        field_rows.extend((file_id, k, v, iso, n + 1) for k, v in values.items())
        search_rows.append((n + 1, search_words.scoped(dep, f"{number} {family} {given} {foreign}")))
        doc_rows.append((file_id, n + 1))
        ids.append(file_id)
    conn.executemany(
        "INSERT INTO files (id, number, owner_id, procedure, grounds, status, departement, created_at, updated_at,"
        " submitted_at, right_until, locked_by, complement_state, version) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        file_rows,
    )
    conn.executemany(
        "INSERT INTO file_fields (file_id, name, value, at, version) VALUES (?, ?, ?, ?, ?)", field_rows
    )
    conn.executemany("INSERT INTO file_search (rowid, text) VALUES (?, ?)", search_rows)
    conn.executemany("INSERT INTO file_search_docs (file_id, doc) VALUES (?, ?)", doc_rows)
    owner_of = {r[0]: r[2] for r in file_rows}
    kinds = ["created", "fields_changed", "piece_added", "submitted", "message", "viewed", "locked"]

    def timeline_rows() -> Any:
        for i in range(events):
            file_id = ids[i % len(ids)]
            yield (file_id, owner_of[file_id], iso, rnd.choice(kinds), "{}", 1, total + i)

    conn.executemany(
        "INSERT INTO timeline (file_id, person_id, at, kind, data, after_submission, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        timeline_rows(),
    )
    conn.executemany(
        "INSERT INTO messages (id, file_id, author_id, author_role, body, attachments, sent_at, version)"
        " VALUES (?, ?, ?, 'applicant', 'Bonjour', '[]', ?, ?)",
        (
            (str(uuid.uuid4()), ids[rnd.randrange(files)], owner_ids[0], iso, total + events + i)
            for i in range(files // 2)
        ),
    )
    # The reader opened a few thousand files, some of them before they changed.
    visited = rnd.sample(ids[:files], min(files, 5000))
    conn.executemany(
        "INSERT INTO file_visits (account_id, file_id, seen_version, seen_at) VALUES (?, ?, ?, ?)",
        ((reader, f, rnd.randint(0, total), iso) for f in visited),
    )
    conn.execute("UPDATE sync_clock SET value = ?", (total + events + files,))
    # A file of the inbox (sent, open) to search for by number and foreign number.
    sample = next(
        r for r in file_rows[files // 3 :] if r[5] in ("submitted", "locked") and r[6] == departement
    )
    return {
        "reader": reader,
        "today": today.isoformat(),
        "family": FAMILY[3],
        "number": sample[1],
        "foreign": next(r[2] for r in field_rows if r[0] == sample[0] and r[1] == "foreign_number"),
        "procedure": procedures[0],
    }


def _timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm the page cache
    spent = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        spent.append((time.perf_counter() - start) * 1000)
    spent.sort()
    return {
        "p50_ms": round(statistics.median(spent), 2),
        "p95_ms": round(spent[int(len(spent) * 0.95) - 1], 2),
        "runs": runs,
    }


def build(folder: Path, files: int, events: int) -> tuple[Database, dict[str, Any], float]:
    database = Database(folder / "sesame.db")
    migrate(database)
    start = time.perf_counter()
    with database.transaction() as conn:
        info = populate(conn, files, events)
    return database, info, time.perf_counter() - start


def measure(files: int = 200_000, events: int = 2_000_000, runs: int = 200) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-inbox-") as tmp:
        folder = Path(tmp) / "data"
        database, info, built = build(folder, files, events)
        print(f"inbox: built {files:,} files and {events:,} events in {built:.1f} s")
        conn = database.reader()
        q = inbox.Query(departement=DEPARTEMENT, reader=info["reader"], today=info["today"])
        first = inbox.page(conn, q)
        deep = q
        for _ in range(100):
            deep = inbox.Query(**{**deep.__dict__, "after": inbox.parse_cursor(inbox.page(conn, deep).after)})
        cases: dict[str, Callable[[], Any]] = {
            "first page": lambda: inbox.page(conn, q),
            "counts per status": lambda: inbox.counts(conn, DEPARTEMENT),
            "first page + counts": lambda: (inbox.page(conn, q), inbox.counts(conn, DEPARTEMENT)),
            "page 101 (keyset)": lambda: inbox.page(conn, deep),
            "filtered: procedure + ground": lambda: inbox.page(
                conn,
                inbox.Query(
                    **{
                        **q.__dict__,
                        "procedure": info["procedure"],
                        "ground": catalogue.load().grounds_for(info["procedure"])[0].id,
                    }
                ),
            ),
            "filtered: changed since my visit": lambda: inbox.page(
                conn, inbox.Query(**{**q.__dict__, "changed": True})
            ),
            "filtered: complement answered": lambda: inbox.page(
                conn, inbox.Query(**{**q.__dict__, "answered": True})
            ),
            "filtered: decided, older than 90 days": lambda: inbox.page(
                conn, inbox.Query(**{**q.__dict__, "status": "decided", "older_than_days": 90})
            ),
            "search: family name (1 file in 20)": lambda: inbox.page(
                conn, inbox.Query(**{**q.__dict__, "search": info["family"]})
            ),
            "search: file number": lambda: inbox.page(
                conn, inbox.Query(**{**q.__dict__, "search": info["number"]})
            ),
            "search: foreign number": lambda: inbox.page(
                conn, inbox.Query(**{**q.__dict__, "search": info["foreign"]})
            ),
        }
        spaced = f"{info['foreign'][:3]} {info['foreign'][3:6]} {info['foreign'][6:]}"
        cases["search: foreign number typed in groups"] = lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "search": spaced})
        )
        cases["search: name + given name"] = lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "search": f"{info['family']} {GIVEN[0]}"})
        )
        cases["search: a year (half the files match)"] = lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "search": "2025"})
        )
        results: dict[str, Any] = {"files": files, "events": events, "build_s": round(built, 1)}
        assert first.rows, "the synthetic inbox is empty"
        for label, fn in cases.items():
            results[label] = _timed(fn, runs)
            print(
                f"  {label:<40} p50 {results[label]['p50_ms']:>7} ms   p95 {results[label]['p95_ms']:>7} ms"
            )
        results["GET /prefecture (in-process HTTP)"] = _http(folder, database, info, max(20, runs // 4))
        r = results["GET /prefecture (in-process HTTP)"]
        print(
            f"  {'GET /prefecture (in-process HTTP)':<40} p50 {r['p50_ms']:>7} ms   p95 {r['p95_ms']:>7} ms"
        )
        print("  budget: p95 ≤ 50 ms")
        database.close()
        return results


def _http(folder: Path, database: Database, info: dict[str, Any], runs: int) -> dict[str, float]:
    from starlette.testclient import TestClient

    from server.app import create_app
    from server.settings import load

    def session(conn: Any) -> str:
        token, _ = sessions.create(
            conn, info["reader"], lifetime=3600, sliding=False, user_agent="", ip="", now=clock.now()
        )
        return token

    token = database.write_sync(session)
    settings = load({"SESAME_DATA": str(folder)})
    app = create_app(settings)
    with TestClient(app, base_url=settings.origin, headers={"origin": settings.origin}) as client:
        client.cookies.set(sessions.COOKIE, token)

        def get() -> None:
            response = client.get("/prefecture")
            assert response.status_code == 200, response.status_code

        figures = _timed(get, runs)
    app.state.db.close()
    return figures
