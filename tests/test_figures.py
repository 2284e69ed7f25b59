"""Service figures: exact for staff, without small counts in public, from Sésame's data."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server import clock
from server.domain import figures

from .test_prefecture_review import staff


def _files(app, n: int, departement: str, days: int, status: str = "decided") -> None:
    now = clock.now()

    def make(conn) -> None:
        owner = conn.execute("SELECT id FROM accounts LIMIT 1").fetchone()
        for i in range(n):
            submitted = clock.iso(now - timedelta(days=days + 10))
            decided = clock.iso(now - timedelta(days=10)) if status == "decided" else None
            conn.execute(
                "INSERT INTO files (id, number, owner_id, procedure, grounds, status, departement, created_at,"
                " updated_at, submitted_at, locked_at, decided_at, version) VALUES (?, ?, ?, 'renewal', '[]', ?, ?,"
                " ?, ?, ?, ?, ?, 1)",
                (
                    str(uuid.uuid4()),
                    f"2026-{departement}{days:03d}{i:03d}",
                    owner[0],
                    status,
                    departement,
                    submitted,
                    submitted,
                    submitted,
                    decided,
                    decided,
                ),
            )

    app.state.db.write_sync(make)


def test_percentiles_are_nearest_rank(app) -> None:
    def ranked(values: list[int]) -> figures.Duration:
        rows = " UNION ALL ".join(f"SELECT {v} AS v" for v in values) or "SELECT 1 AS v WHERE 0"
        return app.state.db.read_sync(lambda c: figures._percentiles(c, "v", f"FROM ({rows})", ()))

    assert ranked([]) == figures.Duration(0, None, None)
    assert ranked([4]) == figures.Duration(1, 4.0, 4.0)
    assert ranked(list(range(10, 0, -1))) == figures.Duration(10, 5.0, 9.0)
    assert ranked([1, 2, 3]) == figures.Duration(3, 2.0, 3.0)
    assert ranked([-2, 7]) == figures.Duration(1, 7.0, 7.0)  # a negative span (bad clock) is left out


def test_staff_see_exact_figures_and_the_public_no_small_counts(app, settings, client) -> None:
    agent = staff(app, settings)  # makes an account the files can belong to
    _files(app, 3, "93", days=20)
    _files(app, 6, "75", days=30)
    _files(app, 4, "75", days=50)
    found = app.state.db.read_sync(figures.compute, "75")
    assert found.backlog["decided"] == 10 and found.to_decision.count == 10
    assert found.to_decision.median == 30.0 and found.to_decision.p90 == 50.0
    national = app.state.db.read_sync(figures.compute, None)
    assert national.backlog["decided"] == 13 and national.to_decision.count == 13
    small = app.state.db.read_sync(figures.compute, "93")
    assert small.to_decision.count == 3 and figures.public(small).to_decision.median is None
    page = agent.get("/prefecture/figures")
    assert page.status_code == 200 and '<td data-status="decided">3</td>' in page.text
    public = client.get("/prefectures/93/figures")
    assert public.status_code == 200 and '<td data-status="decided">&lt; 5</td>' in public.text
    assert "20.0" not in public.text
    paris = client.get("/prefectures/75/figures").text
    assert '<td data-status="decided">10</td>' in paris and "30.0" in paris and "50.0" in paris
    assert '<td data-status="decided">13</td>' in client.get("/figures").text
    info = client.get("/prefectures/75").text
    assert "30.0 jours en médiane" in info
    assert "Trop peu de décisions" in client.get("/prefectures/93").text
    assert client.get("/prefectures/99/figures").status_code == 404


def test_reports_past_due_and_what_people_said_are_counted(app, settings, client) -> None:
    agent = staff(app, settings)
    today = clock.now().date()

    def make(conn) -> None:
        for n, (dep, due, status) in enumerate(
            [
                ("93", today - timedelta(days=2), "open"),
                ("93", today + timedelta(days=5), "open"),
                ("93", today - timedelta(days=9), "answered"),
                ("75", today - timedelta(days=1), "open"),
            ]
        ):
            conn.execute(
                "INSERT INTO blockages (id, number, kind, language, departement, created_at, due, status, version)"
                " VALUES (?, ?, 'account', 'fr', ?, ?, ?, ?, 1)",
                (str(uuid.uuid4()), f"B-2026-{n:06d}", dep, clock.iso(clock.now()), due.isoformat(), status),
            )
        for clear in ("yes", "yes", "no"):
            conn.execute(
                "INSERT INTO voice (departement, context, month, clear, text, version) VALUES ('93', 'appointment',"
                " '2026-12', ?, '', 1)",
                (clear,),
            )

    app.state.db.write_sync(make)
    found = app.state.db.read_sync(figures.compute, "93")
    assert (found.reports_open, found.reports_overdue) == (2, 1)
    assert found.voice["appointment"] == {"total": 3, "yes": 2, "partly": 0, "no": 1}
    national = app.state.db.read_sync(figures.compute, None)
    assert (national.reports_open, national.reports_overdue) == (3, 2)
    page = agent.get("/prefecture/figures").text
    assert "<strong data-reports-overdue>1</strong>" in page and "Après un rendez-vous" in page
    public = client.get("/prefectures/93/figures").text
    assert "<strong data-reports-overdue>&lt; 5</strong>" in public
