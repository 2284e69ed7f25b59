"""Figures on the national dataset built by `python -m bench.national build`.

- database size (main file and WAL);
- the applicant's dashboard and pull (`GET /dashboard`, `GET /sync/pull?cursor=0`)
  and the Paris agent's inbox (`GET /prefecture`) through the ASGI app in
  process (routing, session, queries, template; no socket);
- the Paris inbox through the domain's queries (the cases of bench/inbox.py);
- push throughput of the one writer on that database: batches of 50 and single
  commands through `commands.apply_pushed`, each in its own write transaction
  and commit (the HTTP share is measured on a small database by `bench push`).
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server import clock
from server import commands as command_registry
from server.auth import sessions
from server.auth.policy import Actor
from server.domain import inbox
from server.store.db import Database
from server.store.migrations import migrate
from sync.protocol import Command

from .national import PARIS


def _timed(fn: Callable[[], Any], runs: int) -> dict[str, Any]:
    """Wall-clock and CPU milliseconds per call, one thread, warm cache (a first
    call and then every run reads pages already in memory), with the machine's
    load average (1 min) before and after: on a shared machine the wall-clock
    p95 mostly measures the wait for a core, the CPU time does not."""
    fn()
    fn()  # warm: the pages this call reads are in SQLite's and the OS's caches
    load_before = os.getloadavg()[0]
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - began_cpu) * 1000)
        wall.append((time.perf_counter() - began) * 1000)
    wall.sort()
    cpu.sort()
    return {
        "p50_ms": round(statistics.median(wall), 2),
        "p95_ms": round(wall[int(len(wall) * 0.95) - 1], 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(cpu[int(len(cpu) * 0.95) - 1], 2),
        "runs": runs,
        "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def _line(label: str, f: dict[str, Any]) -> str:
    return (
        f"  {label:<40} p50 {f['p50_ms']:>7} ms  p95 {f['p95_ms']:>7} ms   CPU p50 {f['cpu_p50_ms']:>6}"
        f"  p95 {f['cpu_p95_ms']:>6} ms   load {f['load'][0]}–{f['load'][1]}"
    )


def _session(database: Database, account_id: str) -> str:
    def make(conn: Any) -> str:
        token, _ = sessions.create(
            conn, account_id, lifetime=3600, sliding=False, user_agent="bench", ip="", now=clock.now()
        )
        return token

    return database.write_sync(make)


def _http(folder: Path, database: Database, account_id: str, paths: list[str], runs: int) -> dict[str, Any]:
    from starlette.testclient import TestClient

    from server.app import create_app
    from server.settings import load

    token = _session(database, account_id)
    settings = load({"SESAME_DATA": str(folder)})
    app = create_app(settings)
    found: dict[str, Any] = {}
    with TestClient(app, base_url=settings.origin, headers={"origin": settings.origin}) as client:
        client.cookies.set(sessions.COOKIE, token)
        for path in paths:

            def get(path: str = path) -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            found[f"GET {path}"] = _timed(get, runs)
    app.state.db.close()
    return found


def _push(database: Database, owner: str) -> dict[str, float]:
    """Field changes to a draft the applicant starts now (a file of theirs
    already sent to the prefecture would refuse them)."""
    actor = Actor(role="applicant", account_id=owner)
    seq = [0]
    file_id = str(uuid.uuid4())
    create = Command.from_json(
        {
            "id": str(uuid.uuid4()),
            "client": "bench-national",
            "seq": 0,
            "op": "file.create",
            "args": {"file_id": file_id, "procedure": "change_of_situation", "grounds": []},
        }
    )
    database.write_sync(command_registry.apply_pushed, [create], actor, None)

    def batch(size: int) -> list[Command]:
        made = []
        for _ in range(size):
            seq[0] += 1
            made.append(
                Command.from_json(
                    {
                        "id": str(uuid.uuid4()),
                        "client": "bench-national",
                        "seq": seq[0],
                        "op": "file.update",
                        "args": {"file_id": file_id, "fields": {"notes": f"note {seq[0]}"}},
                    }
                )
            )
        return made

    result: dict[str, float] = {}
    for size, rounds in ((50, 40), (1, 400)):
        prepared = [batch(size) for _ in range(rounds)]
        began = time.perf_counter()
        for commands in prepared:
            outcome = database.write_sync(command_registry.apply_pushed, commands, actor, None)
            assert not isinstance(outcome, str) and all(r.applied for r in outcome[0]), outcome
        elapsed = time.perf_counter() - began
        result[f"batched_{size}_per_s" if size > 1 else "single_per_s"] = round(size * rounds / elapsed, 1)
    return result


def _info(folder: Path, conn: Any) -> dict[str, Any]:
    """What the build wrote down; for a build stopped part-way (each batch is
    committed), the same read back from the database."""
    written = folder / "national.json"
    if written.exists():
        return dict(json.loads(written.read_text()))
    reader = conn.execute(
        "SELECT id FROM accounts WHERE role = 'agent' AND prefecture = ? ORDER BY rowid LIMIT 1", (PARIS,)
    ).fetchone()[0]
    sample = conn.execute(
        "SELECT f.id, f.number, f.owner_id, v.value FROM files f JOIN file_fields v ON v.file_id = f.id"
        " AND v.name = 'foreign_number' WHERE f.rowid = (SELECT max(rowid) / 30 FROM files)"
    ).fetchone()
    return {
        "files": conn.execute("SELECT count(*) FROM files").fetchone()[0],
        "events": conn.execute("SELECT count(*) FROM timeline").fetchone()[0],
        "build_s": None,
        "reader": reader,
        "today": "2026-12-01",
        "file": sample[0],
        "number": sample[1],
        "owner": sample[2],
        "foreign": sample[3],
        "partial": True,
    }


def measure(folder: Path, runs: int = 200) -> dict[str, Any]:
    db_path = folder / "sesame.db"
    database = Database(db_path)
    began = time.perf_counter()
    applied = migrate(database)  # a database built by an older version gets the newer steps, timed
    migrated = round(time.perf_counter() - began, 1)
    conn = database.reader()
    info = _info(folder, conn)
    results: dict[str, Any] = {
        "files": info["files"],
        "events": info["events"],
        "build_s": info["build_s"],
        "partial_build": bool(info.get("partial")),
        "migrations_applied": applied,
        "migration_s": migrated,
        "db_bytes": db_path.stat().st_size,
        "db_gb": round(db_path.stat().st_size / 1e9, 2),
        "paris_files": conn.execute("SELECT count(*) FROM files WHERE departement = ?", (PARIS,)).fetchone()[
            0
        ],
    }
    q = inbox.Query(departement=PARIS, reader=info["reader"], today=info["today"])
    deep = q
    for _ in range(100):
        deep = inbox.Query(**{**deep.__dict__, "after": inbox.parse_cursor(inbox.page(conn, deep).after)})
    cases = {
        "inbox: first page + counts": lambda: (inbox.page(conn, q), inbox.counts(conn, PARIS)),
        "inbox: page 101 (keyset)": lambda: inbox.page(conn, deep),
        "inbox: changed since my visit": lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "changed": True})
        ),
        "inbox: complement answered": lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "answered": True})
        ),
        "inbox: decided, older than 90 days": lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "status": "decided", "older_than_days": 90})
        ),
        "inbox: search family name": lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "search": "Benali"})
        ),
        "inbox: search name + given name": lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "search": "Benali Aminata"})
        ),
        "inbox: search file number": lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "search": info["number"]})
        ),
        "inbox: search foreign number": lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "search": info["foreign"]})
        ),
    }
    for label, fn in cases.items():
        results[label] = _timed(fn, runs)
        print(_line(label, results[label]), flush=True)
    applicant = _http(
        folder, database, info["owner"], ["/dashboard", "/sync/pull?cursor=0"], max(50, runs // 2)
    )
    # the inbox page, and a search through the whole page (query, counts, template)
    agent_paths = ["/prefecture", "/prefecture?q=Benali", "/prefecture?q=Benali+Aminata"]
    agent = _http(folder, database, info["reader"], agent_paths, max(50, runs // 2))
    for label, figures in {**applicant, **agent}.items():
        results[label] = figures
        print(_line(label, figures), flush=True)
    load_before = os.getloadavg()[0]
    results["push (one writer, in process)"] = {
        **_push(database, info["owner"]),
        "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
    print("  push:", results["push (one writer, in process)"], flush=True)
    database.close()
    return results


def cpu_per_call(folder: Path, runs: int = 60) -> dict[str, float]:
    """CPU milliseconds per call (p50, p95) of the slowest cases: on a machine
    shared with other work, wall time mostly measures the wait for a core."""
    database = Database(folder / "sesame.db")
    migrate(database)
    conn = database.reader()
    info = _info(folder, conn)
    q = inbox.Query(departement=PARIS, reader=info["reader"], today=info["today"])
    cases = {
        "inbox: complement answered": lambda: inbox.page(conn, inbox.Query(**{**q.__dict__, "answered": True})),
        "inbox: changed since my visit": lambda: inbox.page(conn, inbox.Query(**{**q.__dict__, "changed": True})),
        "inbox: search family name": lambda: inbox.page(conn, inbox.Query(**{**q.__dict__, "search": "Benali"})),
        "inbox: search name + given name": lambda: inbox.page(
            conn, inbox.Query(**{**q.__dict__, "search": "Benali Aminata"})
        ),
    }
    found: dict[str, float] = {}
    for label, fn in cases.items():
        fn()
        spent = []
        for _ in range(runs):
            began = time.process_time()
            fn()
            spent.append((time.process_time() - began) * 1000)
        spent.sort()
        found[f"{label} cpu p50_ms"] = round(spent[len(spent) // 2], 2)
        found[f"{label} cpu p95_ms"] = round(spent[int(len(spent) * 0.95) - 1], 2)
        print(f"  {label:<40} CPU p50 {found[f'{label} cpu p50_ms']} ms, p95 {found[f'{label} cpu p95_ms']} ms")
    database.close()
    return found
