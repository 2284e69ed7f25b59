"""The audit trail page: a prefecture's administrators, with names; filters;
pages by key; nobody else."""

from __future__ import annotations

import re

from server.auth.policy import Actor
from server.domain import audit

from .test_prefecture_review import staff, submitted_file


def test_administrators_read_their_trail_with_names_and_filters(app, settings, make_person):
    _, file_id = submitted_file(make_person)
    number = app.state.db.read_sync(
        lambda c: c.execute("SELECT number FROM files WHERE id = ?", (file_id,)).fetchone()[0]
    )
    jeanne = staff(app, settings, name="Jeanne Agent")
    jeanne.get(f"/prefecture/files/{file_id}")
    jeanne.post(f"/prefecture/files/{file_id}/lock", data={})
    boss = staff(app, settings, role="admin", name="Claire Admin")
    page = boss.get("/prefecture/audit")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Jeanne Agent" in page.text
    assert "a consulté le dossier" in page.text and "a pris le dossier en examen" in page.text
    assert f"Dossier n° {number}" in page.text
    by_file = boss.get("/prefecture/audit", params={"file": number}).text
    assert "a pris le dossier en examen" in by_file
    by_agent = boss.get("/prefecture/audit", params={"agent": boss.account_id}).text
    assert "a consulté le dossier" not in by_agent and "Aucune entrée." in by_agent
    unknown = boss.get("/prefecture/audit", params={"file": "2020-999999", "from": "2026-02-31"})
    assert (
        unknown.status_code == 400 and "Aucun dossier de votre préfecture ne porte ce numéro." in unknown.text
    )
    today = boss.get("/prefecture/audit", params={"from": "2000-01-01", "to": "2100-01-01"}).text
    assert "a consulté le dossier" in today
    none = boss.get("/prefecture/audit", params={"to": "2000-01-01"}).text
    assert "Aucune entrée." in none
    assert "Journal vérifié : 2 entrées" in boss.get("/prefecture/audit?verify=1").text
    app.state.db.write_sync(lambda c: c.execute("UPDATE audit SET action = 'file.unlock' WHERE id = 2"))
    assert "l’entrée n° 2 ne suit pas" in boss.get("/prefecture/audit?verify=1").text
    # Agents do not read the trail; a national administrator reads no prefecture's.
    assert jeanne.get("/prefecture/audit").status_code == 403
    national = staff(app, settings, role="admin", prefecture=None)
    assert "votre compte n’est rattaché à aucune" in national.get("/prefecture/audit").text
    paris = staff(app, settings, role="admin", prefecture="75")
    assert "Aucune entrée." in paris.get("/prefecture/audit").text


def test_pages_by_key(app, settings):
    who = Actor(role="agent", account_id="someone", prefecture="93")

    def write(conn):
        for n in range(120):
            audit.record(
                conn, actor=who, action="file.view", outcome="applied", departement="93", file_id=f"f{n}"
            )

    app.state.db.write_sync(write)
    boss = staff(app, settings, role="admin")
    seen, url = [], "/prefecture/audit"
    while url:
        page = boss.get(url).text
        seen += re.findall(r"<li>\s*<time", page)
        found = re.search(r'href="(/prefecture/audit\?[^"]*before=\d+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert len(seen) == 120
    first = app.state.db.read_sync(lambda c: audit.for_prefecture(c, "93", limit=50))
    second = app.state.db.read_sync(
        lambda c: audit.for_prefecture(c, "93", before=first.next_before, limit=50)
    )
    assert first.entries[-1].id > second.entries[0].id
    assert [e.id for e in first.entries] == sorted((e.id for e in first.entries), reverse=True)
