"""The service worker as served, the editor shells and the device-only pages."""

from __future__ import annotations

import json
import re

from server.web import sw


def test_worker_is_versioned_with_its_precache(client) -> None:
    response = client.get("/sw.js")
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cache-control"] == "no-cache"
    body = response.text
    assert not re.search(r"__(VERSION|PRECACHE|SCRIPTS)__", body)
    assert f'var VERSION = "{sw.version()}"' in body
    precache = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", body).group(1))
    assert "/offline" in precache
    assert "/verify" in precache  # an employer checks QR codes offline (ADR 0014)
    assert all(u.startswith("/static/") and "?v=" in u for u in precache if u not in ("/offline", "/verify"))
    for url in precache:
        assert client.get(url).status_code == 200, url


def test_shells_for_every_procedure_and_step(make_person) -> None:
    p = make_person()
    p.signup()
    from server.domain import catalogue

    for procedure in catalogue.load().procedures:
        for step in ("situation", "identity", "address", "checklist"):
            page = p.client.get(f"/files/shell/{procedure}/{step}")
            assert page.status_code == 200, (procedure, step)
            assert "data-shell" in page.text and 'data-served="network"' in page.text
    checklist = p.client.get("/files/shell/renewal/checklist").text
    mapping = json.loads(re.search(r'id="checklist-map">(.*?)</script>', checklist).group(1))
    assert mapping["grounds"]["parent_of_french_child"]
    assert p.client.get("/files/shell/nothing/situation").status_code == 404


def test_dashboard_lists_pages_to_keep_offline(make_person) -> None:
    p = make_person()
    p.signup()
    page = p.client.get("/dashboard").text
    warm = json.loads(re.search(r'id="sesame-warm">(.*?)</script>', page).group(1))
    assert "/files/new" in warm and "/files/shell/renewal/checklist" in warm
    for url in warm:
        assert p.client.get(url).status_code == 200, url


def test_offline_and_outbox_pages(client, person) -> None:
    assert "Hors connexion" in client.get("/offline").text
    person.signup()
    outbox = person.client.get("/outbox").text
    assert "data-outbox-pending" in outbox and "outbox-page.js" in outbox


def test_pages_carry_what_the_worker_and_scripts_need(make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("change_of_situation")
    page = p.client.get(f"/files/{file_id}/identity").text
    assert f'data-file-id="{file_id}"' in page and "data-account=" in page and "data-rendered-at=" in page
    assert 'data-op="file.update"' in page
    for script in ("idb.js", "outbox.js", "sync.js", "forms.js", "autosave.js"):
        assert script in page
