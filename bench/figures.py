"""Service figures on the inbox benchmark's data: 200,000 files of one prefecture
(plus a few thousand of others), with review, decision and card dates spread over
two years, some complements awaited. Measures `figures.compute` for the prefecture
and for the whole country, and the public page over in-process HTTP.

Budget (DESIGN.md, pages read by people): p95 ≤ 50 ms.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from server import clock
from server.domain import figures

from .inbox import DEPARTEMENT, _timed, build


def _dates(conn: Any) -> None:
    """Review, decision and card dates for the files the inbox benchmark made."""
    rnd = random.Random(11)
    now = clock.now()
    rows = conn.execute(
        "SELECT id, status, submitted_at, departement FROM files WHERE status IN ('locked', 'decided')"
    ).fetchall()
    updates, cards = [], []
    for file_id, status, submitted, departement in rows:
        sent = clock.parse(submitted)
        locked = min(now, sent + timedelta(days=rnd.randint(1, 120)))
        decided = min(now, locked + timedelta(days=rnd.randint(1, 90))) if status == "decided" else None
        updates.append((clock.iso(locked), clock.iso(decided) if decided else None, file_id))
        if decided and rnd.random() < 0.4:
            handed = min(now, decided + timedelta(days=rnd.randint(5, 60)))
            cards.append((file_id, departement, clock.iso(decided), clock.iso(handed), submitted))
    conn.executemany("UPDATE files SET locked_at = ?, decided_at = ? WHERE id = ?", updates)
    conn.executemany(
        "INSERT INTO cards (file_id, departement, status, ready_at, handed_over_at, submitted_at, version)"
        " VALUES (?, ?, 'handed_over', ?, ?, ?, 1)",
        cards,
    )
    open_files = conn.execute(
        "SELECT id FROM files WHERE status IN ('submitted', 'locked') LIMIT 5000"
    ).fetchall()
    today = now.date()
    conn.executemany(
        "UPDATE files SET complement_state = 'asked', complement_due = ? WHERE id = ?",
        (((today + timedelta(days=rnd.randint(-30, 60))).isoformat(), f[0]) for f in open_files),
    )
    conn.executemany(
        "INSERT INTO complement_items (id, request_id, file_id, kind, target, reason, due, status, asked_at,"
        " version) VALUES (?, ?, ?, 'field', 'city', 'Commune ?', ?, 'asked', ?, 1)",
        (
            (
                str(uuid.uuid4()),
                str(uuid.uuid4()),
                f[0],
                (today + timedelta(days=rnd.randint(-30, 60))).isoformat(),
                clock.iso(now),
            )
            for f in open_files
        ),
    )


def measure(files: int = 200_000, runs: int = 100) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as tmp:
        folder = Path(tmp) / "data"
        database, _, built = build(folder, files, events=0)
        with database.transaction() as conn:
            _dates(conn)
        print(f"figures: built {files:,} files in {built:.1f} s")
        conn = database.reader()
        found = figures.compute(conn, DEPARTEMENT)
        print(
            f"  {DEPARTEMENT}: to decision n={found.to_decision.count} median={found.to_decision.median} d"
            f" p90={found.to_decision.p90} d; to card n={found.to_card.count}"
        )
        results: dict[str, Any] = {}
        for label, code in (
            (f"prefecture {DEPARTEMENT}", DEPARTEMENT),
            ("national", None),
            ("small prefecture", "93"),
        ):
            results[label] = _timed(lambda code=code: figures.compute(conn, code), runs)
            r = results[label]
            print(f"  {'figures ' + label:<40} p50 {r['p50_ms']:>7} ms   p95 {r['p95_ms']:>7} ms")
        results["GET /prefectures/75/figures (in-process HTTP)"] = _http(folder, max(20, runs // 4))
        r = results["GET /prefectures/75/figures (in-process HTTP)"]
        print(
            f"  {'GET /prefectures/75/figures (HTTP)':<40} p50 {r['p50_ms']:>7} ms   p95 {r['p95_ms']:>7} ms"
        )
        print("  budget: p95 ≤ 50 ms")
        database.close()
        return results


def _http(folder: Path, runs: int) -> dict[str, float]:
    from starlette.testclient import TestClient

    from server.app import create_app
    from server.settings import load

    settings = load({"SESAME_DATA": str(folder)})
    app = create_app(settings)
    with TestClient(app, base_url=settings.origin, headers={"origin": settings.origin}) as client:

        def get() -> None:
            response = client.get(f"/prefectures/{DEPARTEMENT}/figures")
            assert response.status_code == 200, response.status_code

        timed = _timed(get, runs)
    app.state.db.close()
    return timed


if __name__ == "__main__":
    measure()
