"""A synthetic national dataset, and the figures on it (docs/scale.md).

    python -m bench.national build DIR [--files 3000000] [--events 30000000]
    python -m bench.national measure DIR

`build` makes DIR/sesame.db: 3 million files over every département, Paris (75)
holding 10 %, 30 million timeline events, four fields per file, one message per
two files, about two files per applicant. It streams rows in batches through
`executemany` with the journal off (a throw-away database: built once, then
switched to WAL like the real one), so memory stays flat and it takes minutes,
not hours. It is never run by the tests.

`measure` reports the database size and, through the domain's queries and the
ASGI app in process: the applicant's dashboard and pull, the Paris inbox (the
same cases as bench/inbox.py), and push throughput against that database (the
real `sesame serve`, Litestream included, on a copy-on-write reflink or copy).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server import clock
from server.domain import catalogue, geography
from server.store import search_words
from server.store.db import Database
from server.store.migrations import migrate

from .inbox import FAMILY, GIVEN, STATUSES

PARIS = "75"
BATCH = 50_000
KINDS = ["created", "fields_changed", "piece_added", "submitted", "message", "viewed", "locked"]


def _departement_of(n: int, files: int, others: list[str]) -> str:
    """The first 10 % of files are Paris's; the rest spread over the others."""
    if n < files // 10:
        return PARIS
    return others[n % len(others)]


def _uuid(rnd: random.Random) -> str:
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))


def build(folder: Path, files: int, events: int, seed: int = 7) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sesame.db"
    if path.exists():
        raise SystemExit(f"{path} exists: build into an empty folder")
    database = Database(path)
    migrate(database)
    database.close()
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -4000000")  # 4 GB: random UUID keys go into big indexes
    conn.execute("PRAGMA temp_store = MEMORY")
    rnd = random.Random(seed)
    cat = catalogue.load()
    procedures = list(cat.procedures)
    grounds = {p: [g.id for g in cat.grounds_for(p)] for p in procedures}
    others = sorted(code for code in geography.departements() if code != PARIS)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    today = now.date()
    iso = clock.iso(now)
    owners = max(1, files // 2)
    version = 0
    owner_ids: list[str] = []

    conn.execute("BEGIN")
    for start in range(0, owners, BATCH):
        batch = [_uuid(rnd) for _ in range(min(BATCH, owners - start))]
        owner_ids.extend(batch)
        conn.executemany(
            "INSERT INTO accounts (id, user_handle, display_name, language, role, created_at, version)"
            " VALUES (?, ?, ?, 'fr', 'applicant', ?, 1)",
            ((o, uuid.UUID(o).bytes * 2, "P", iso) for o in batch),
        )
    agents = {dep: [_uuid(rnd) for _ in range(40 if dep == PARIS else 4)] for dep in [PARIS, *others]}
    conn.executemany(
        "INSERT INTO accounts (id, user_handle, display_name, language, role, prefecture, created_at, version)"
        " VALUES (?, ?, ?, 'fr', 'agent', ?, ?, 1)",
        (
            (a, uuid.UUID(a).bytes * 2, f"Agent {i}", dep, iso)
            for dep, ids in agents.items()
            for i, a in enumerate(ids)
        ),
    )
    conn.execute("COMMIT")
    print(f"national: {len(owner_ids):,} applicants in {time.perf_counter() - started:.0f} s", flush=True)

    sample: dict[str, Any] = {}
    per_file = events // files
    extra = events - per_file * files
    for start in range(0, files, BATCH):
        conn.execute("BEGIN")
        file_rows, field_rows, search_rows, doc_rows, event_rows, message_rows = [], [], [], [], [], []
        for n in range(start, min(files, start + BATCH)):
            version += 1
            file_id = _uuid(rnd)
            # Applicant k holds files 2k and 2k+1 of the same département block.
            owner = owner_ids[(n // 2) % len(owner_ids)]
            dep = _departement_of(n, files, others)
            status = rnd.choice(STATUSES)
            procedure = rnd.choice(procedures)
            chosen = [rnd.choice(grounds[procedure])] if grounds[procedure] else []
            created = now - timedelta(days=rnd.randint(0, 730), seconds=rnd.randint(0, 86400))
            submitted = None if status == "draft" else clock.iso(created + timedelta(days=rnd.randint(0, 20)))
            right = (
                (today + timedelta(days=rnd.randint(-60, 400))).isoformat() if rnd.random() < 0.7 else None
            )
            number = f"{created.year}-{n + 1:07d}"
            locked_by = rnd.choice(agents[dep]) if status == "locked" else None
            answered = "answered" if status in ("submitted", "locked") and rnd.random() < 0.02 else None
            family, given = rnd.choice(FAMILY), rnd.choice(GIVEN)
            foreign = f"{rnd.randrange(10**10):010d}"
            file_rows.append(
                (
                    file_id,
                    number,
                    owner,
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
                    version,
                )
            )
            values = {"family_name": family, "given_names": given, "foreign_number": foreign}
            if right:
                values["current_permit_expiry"] = right
            field_rows.extend((file_id, k, v, iso, version) for k, v in values.items())
            search_rows.append((n + 1, search_words.scoped(dep, f"{number} {family} {given} {foreign}")))
            doc_rows.append((file_id, n + 1))
            for e in range(per_file + (1 if n < extra else 0)):
                version += 1
                at = clock.iso(created + timedelta(hours=e * 7))
                event_rows.append((file_id, owner, at, KINDS[e % len(KINDS)], "{}", int(e > 3), version))
            if n % 2 == 0:
                version += 1
                message_rows.append((_uuid(rnd), file_id, owner, "Bonjour", iso, version))
            if n == files // 30 and not sample:
                sample = {"owner": owner, "file": file_id, "number": number, "foreign": foreign}
        conn.executemany(
            "INSERT INTO files (id, number, owner_id, procedure, grounds, status, departement, created_at,"
            " updated_at, submitted_at, right_until, locked_by, complement_state, version) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            file_rows,
        )
        conn.executemany(
            "INSERT INTO file_fields (file_id, name, value, at, version) VALUES (?, ?, ?, ?, ?)", field_rows
        )
        conn.executemany("INSERT INTO file_search (rowid, text) VALUES (?, ?)", search_rows)
        conn.executemany("INSERT INTO file_search_docs (file_id, doc) VALUES (?, ?)", doc_rows)
        conn.executemany(
            "INSERT INTO timeline (file_id, person_id, at, kind, data, after_submission, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            event_rows,
        )
        conn.executemany(
            "INSERT INTO messages (id, file_id, author_id, author_role, body, attachments, sent_at, version)"
            " VALUES (?, ?, ?, 'applicant', ?, '[]', ?, ?)",
            message_rows,
        )
        conn.execute("COMMIT")
        done = min(files, start + BATCH)
        if done % 100_000 == 0 or done == files:
            print(f"national: {done:,} files, {time.perf_counter() - started:.0f} s", flush=True)
    reader = agents[PARIS][0]
    visited = conn.execute(
        "SELECT id FROM files WHERE departement = ? ORDER BY random() LIMIT 5000", (PARIS,)
    ).fetchall()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO file_visits (account_id, file_id, seen_version, seen_at) VALUES (?, ?, ?, ?)",
        ((reader, f, rnd.randint(0, version), iso) for (f,) in visited),
    )
    conn.execute("UPDATE sync_clock SET value = ?", (version,))
    # The history was seen before (as m019 says of a real database's past): the
    # notifier starts after it, instead of reading 30 million old events.
    conn.execute("UPDATE notify_cursor SET position = (SELECT coalesce(max(id), 0) FROM timeline)")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    built = time.perf_counter() - started
    info = {
        "files": files,
        "events": events,
        "build_s": round(built, 1),
        "reader": reader,
        "today": today.isoformat(),
        **sample,
    }
    (folder / "national.json").write_text(json.dumps(info, indent=1))
    print(f"national: built in {built:.0f} s, {path.stat().st_size / 1e9:.2f} GB", flush=True)
    return info


def _batches(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(total, start + size))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.national")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("build")
    make.add_argument("folder", type=Path)
    make.add_argument("--files", type=int, default=3_000_000)
    make.add_argument("--events", type=int, default=30_000_000)
    measure = sub.add_parser("measure")
    measure.add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        build(args.folder, args.files, args.events)
        return 0
    from .national_measure import measure as run

    print(json.dumps(run(args.folder), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
