"""Shelter mode's page (ADR 0021): the one worker page kept on the device holds no
personal data; every other page rendered to a worker is never kept (no-store)."""

from __future__ import annotations

import json
import re

from server import clock
from server.domain import mandates

from .orgs import account_id_of, approved_organisation, grant, signed_in_client, worker_account


def _worker(app, settings):
    org = app.state.db.write_sync(approved_organisation)
    account = app.state.db.write_sync(lambda c: worker_account(c, org.id))
    client = signed_in_client(app, settings, account.id)
    client.__enter__()
    client.follow_redirects = False
    return org, client


def test_the_shelter_page_is_a_device_shell_without_anyone_in_it(app, settings, make_person):
    amina = make_person()
    amina.signup("Amina Diallo")
    org, karim = _worker(app, settings)
    grant(app, account_id_of(app, "Amina Diallo"), org.id)
    assert app.state.db.read_sync(lambda c: mandates.people_followed(c, org.id, clock.now()))

    page = karim.get("/shelter")
    assert page.status_code == 200
    assert "no-store" not in page.headers["cache-control"]
    assert "Amina" not in page.text
    data = json.loads(re.search(r'id="shelter-data">(.*?)</script>', page.text, re.S).group(1))
    assert {p["id"] for p in data["procedures"]} >= {"duplicate", "change_of_situation"}
    assert data["default_lock_minutes"] == 5

    # The worker's own pages name the people they follow: never kept on the device.
    home = karim.get("/worker")
    assert home.status_code == 200 and "Amina" in home.text
    assert "no-store" in home.headers["cache-control"]


def test_only_workers_open_the_shelter_page(app, settings, make_person):
    amina = make_person()
    amina.signup("Amina Diallo")
    assert amina.client.get("/shelter", follow_redirects=False).status_code == 403
    applicant_page = amina.client.get("/dashboard")
    assert "no-store" not in applicant_page.headers["cache-control"]
