"""The pages of mandates and of outreach workers: the person gives and
withdraws a mandate from their account; the worker follows them, acts for
them through the person's own pages under a banner, and every act is shown."""

from __future__ import annotations

import csv
import io
import re

from server import clock
from server.domain import mandates

from . import samples
from .orgs import account_id_of, approved_organisation, signed_in_client, worker_account

BANNER = "Vous agissez pour"


def _world(app, settings, make_person):
    amina = make_person()
    amina.signup("Amina Diallo")
    file_id = amina.start_file("change_of_situation")
    org = app.state.db.write_sync(approved_organisation)
    karim_account = app.state.db.write_sync(lambda c: worker_account(c, org.id))
    karim = signed_in_client(app, settings, karim_account.id)
    karim.__enter__()
    karim.follow_redirects = False
    return amina, file_id, org, karim


def _give(amina, org, can_act: str = "1", scope: str = "all"):
    found = amina.client.get("/account/mandates/new", params={"q": org.code.lower()[:3] + "-" + org.code[3:]})
    assert found.status_code == 200 and org.name in found.text
    return amina.client.post(
        "/account/mandates",
        data={"organisation_id": org.id, "scope": scope, "can_act": can_act, "expires_at": ""},
        follow_redirects=False,
    )


def test_the_person_gives_sees_and_withdraws_a_mandate(app, settings, make_person) -> None:
    amina, file_id, org, karim = _world(app, settings, make_person)
    page = amina.client.get("/account")
    assert "Vous n’avez donné aucun mandat." in page.text
    # Search by name works too; nothing for an unknown code.
    assert org.name in amina.client.get("/account/mandates/new", params={"q": "abri"}).text
    assert (
        "Aucune organisation agréée ne correspond" in amina.client.get("/account/mandates/new?q=ZZZZZZ").text
    )
    refused = amina.client.post(
        "/account/mandates",
        data={"organisation_id": org.id, "scope": "all", "can_act": "1", "expires_at": "2001-01-01"},
    )
    assert refused.status_code == 400 and "date de fin à venir" in refused.text
    given = _give(amina, org)
    assert given.status_code == 303 and given.headers["location"].startswith("/account?done=mandate_granted")
    page = amina.client.get("/account").text
    assert "Abri Solidaire" in page and "Tous mes dossiers" in page and "peut agir pour moi" in page
    mandate_id = re.search(r'data-mandate="([^"]+)"', page).group(1)
    # The worker follows Amina now.
    home = karim.get("/worker").text
    assert "Amina Diallo" in home and "Agir pour Amina Diallo" in home
    # The worker never reaches the person's mandate pages.
    assert karim.get("/account/mandates/new").status_code in (403, 404)
    # Withdrawn: at once.
    assert (
        amina.client.post(f"/account/mandates/{mandate_id}/revoke", follow_redirects=False).status_code == 303
    )
    assert "retiré le" in amina.client.get("/account").text
    assert "Amina Diallo" not in karim.get("/worker").text


def test_the_worker_acts_for_the_person_visibly(app, settings, make_person) -> None:
    amina, file_id, org, karim = _world(app, settings, make_person)
    _give(amina, org)
    person_id = account_id_of(app, "Amina Diallo")
    chose = karim.post(f"/worker/people/{person_id}/act")
    assert chose.status_code == 303 and chose.headers["location"] == "/dashboard"
    dashboard = karim.get("/dashboard")
    assert BANNER + " Amina Diallo — mandat tous les dossiers, pour agir" in dashboard.text
    assert dashboard.headers["cache-control"] == "no-store"  # never kept on a shared device
    assert file_id in dashboard.text
    # Through the person's own pages.
    assert (
        karim.post(
            f"/files/{file_id}/identity", data={"family_name": "Diallo", "given_names": "Amina"}
        ).status_code
        == 303
    )
    form = karim.get("/files/new/for/change_of_situation").text
    new_file = re.search(r'name="file_id" value="([^"]+)"', form).group(1)
    made = karim.post("/files", data={"procedure": "change_of_situation", "file_id": new_file})
    assert made.status_code == 303, made.text
    shown = amina.client.get(f"/files/{new_file}").text
    assert "par Karim (Abri Solidaire), mandat du" in shown
    assert "par Karim (Abri Solidaire), mandat du" in amina.client.get("/timeline").text
    # The mandate's owner's other pages stay hers: Karim's own account page is his.
    assert BANNER not in karim.get("/account").text
    # Withdrawn: the very next request of the worker is refused.
    mandate_id = app.state.db.read_sync(lambda c: mandates.for_person(c, person_id))[0].id
    amina.client.post(f"/account/mandates/{mandate_id}/revoke")
    assert karim.post(f"/files/{file_id}/identity", data={"family_name": "X"}).status_code == 403
    assert karim.get(f"/files/{file_id}").status_code == 403
    assert karim.get("/dashboard").headers["location"] == "/worker"
    # Stop acting: back to the list.
    stopped = karim.post("/worker/stop")
    assert stopped.headers["location"] == "/worker" and "sesame_for=;" in stopped.headers["set-cookie"]
    # Signing out forgets the choice too (a shared device).
    karim.cookies.set("sesame_for", person_id)
    assert "sesame_for=;" in ",".join(karim.post("/signout").headers.get_list("set-cookie"))


def test_view_only_shows_without_acting(app, settings, make_person) -> None:
    amina, file_id, org, karim = _world(app, settings, make_person)
    _give(amina, org, can_act="0")
    person_id = account_id_of(app, "Amina Diallo")
    karim.post(f"/worker/people/{person_id}/act")
    page = karim.get(f"/files/{file_id}")
    assert page.status_code == 200 and "consultation seulement" in page.text
    assert 'class="wrap view-only"' in page.text
    refused = karim.post(f"/files/{file_id}/identity", data={"family_name": "Changed"})
    assert refused.status_code == 400 and "pas (ou plus) de mandat" in refused.text
    values = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT value FROM file_fields WHERE file_id = ? AND name = 'family_name'", (file_id,)
        ).fetchall()
    )
    assert values == []


def test_a_worker_of_another_organisation_and_another_person(app, settings, make_person) -> None:
    amina, file_id, org, karim = _world(app, settings, make_person)
    bea = make_person()
    bea.signup("Bea")
    bea_file = bea.start_file("change_of_situation")
    bea_id = account_id_of(app, "Bea")
    _give(amina, org)
    # No mandate from Bea: choosing her is not found, and a forged choice acts for no one.
    assert karim.post(f"/worker/people/{bea_id}/act").status_code == 404
    karim.cookies.set("sesame_for", bea_id)
    assert karim.get(f"/files/{bea_file}").status_code == 403
    assert karim.post(f"/files/{bea_file}/identity", data={"family_name": "X"}).status_code == 403
    # A worker of another organisation reaches nothing of Amina.
    other = app.state.db.write_sync(lambda c: approved_organisation(c, "Autre asso", "93"))
    stranger = signed_in_client(
        app, settings, app.state.db.write_sync(lambda c: worker_account(c, other.id, "S")).id
    )
    with stranger:
        amina_id = account_id_of(app, "Amina Diallo")
        assert stranger.post(f"/worker/people/{amina_id}/act", follow_redirects=False).status_code == 404
        stranger.cookies.set("sesame_for", amina_id)
        assert stranger.get(f"/files/{file_id}", follow_redirects=False).status_code == 403
        assert "Amina" not in stranger.get("/worker").text


def test_paper_mandate_dashboard_and_counts(app, settings, make_person) -> None:
    amina, file_id, org, karim = _world(app, settings, make_person)
    _give(amina, org)
    assert org.code in karim.get("/worker/mandate-form").text
    form = karim.get("/worker/people/new").text
    person_id = re.search(r'name="person_id" value="([^"]+)"', form).group(1)
    data = {
        "person_id": person_id,
        "display_name": "Moussa Keita",
        "language": "ar",
        "can_act": "1",
        "expires_at": "",
    }
    missing = karim.post("/worker/people/new", data=data)
    assert (
        missing.status_code == 400
        and "scan du mandat signé" in missing.text
        and "Moussa Keita" in missing.text
    )
    wrong = karim.post(
        "/worker/people/new", data=data, files={"scan": ("m.exe", samples.exe(), "application/octet-stream")}
    )
    assert wrong.status_code == 400
    done = karim.post(
        "/worker/people/new", data=data, files={"scan": ("mandat.pdf", samples.pdf(), "application/pdf")}
    )
    assert done.status_code == 303, done.text
    home = karim.get("/worker").text
    assert "Moussa Keita" in home and "mandat papier" in home
    assert (
        mandates.active_for(app.state.db.reader(), org.id, person_id, None, clock.now(), act=True) is not None
    )
    export = karim.get("/worker/export.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = {r["indicator"]: int(r["count"]) for r in csv.DictReader(io.StringIO(export.text))}
    assert rows["people_followed"] == 2 and rows["people_on_paper_mandate"] == 1 and rows["files_draft"] == 1
    for name in ("Amina", "Diallo", "Moussa", "Keita", person_id, file_id):
        assert name not in export.text


def test_the_prefecture_sees_who_acted_under_which_mandate(app, settings, make_person) -> None:
    from .test_prefecture_review import staff, submitted_file

    person, file_id = submitted_file(make_person)  # Aminata, Saint-Denis (93)
    org = app.state.db.write_sync(approved_organisation)
    karim = signed_in_client(app, settings, app.state.db.write_sync(lambda c: worker_account(c, org.id)).id)
    with karim:
        person_id = account_id_of(app, "Aminata")
        _give(person, org, scope=file_id)  # this one file only
        chose = karim.post(f"/worker/people/{person_id}/act", follow_redirects=False)
        assert chose.headers["location"] == f"/files/{file_id}"
        # A one-file mandate: that file's pages, not the person's home page.
        assert karim.get("/dashboard", follow_redirects=False).headers["location"] == "/worker"
        sent = karim.post(
            f"/files/{file_id}/messages",
            data={"body": "Bonjour, je complète pour Aminata."},
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text
    agent = staff(app, settings, prefecture="93")
    page = agent.get(f"/prefecture/files/{file_id}").text
    assert "par Karim (Abri Solidaire), mandat du" in page


def test_what_needs_action_is_on_the_worker_home(app, settings, make_person) -> None:
    import uuid

    from server import commands
    from server.auth.policy import Actor
    from sync.protocol import Command

    from .test_prefecture_review import submitted_file

    person, file_id = submitted_file(make_person)
    org = app.state.db.write_sync(approved_organisation)
    _give(person, org)
    agent = Actor(role="agent", account_id="agent-93", prefecture="93")
    item = {"kind": "field", "target": "city", "reason": "Commune ?"}
    command = Command(
        id=str(uuid.uuid4()),
        client="t",
        seq=0,
        op="complement.request",
        args={"file_id": file_id, "items": [item]},
    )
    assert app.state.db.write_sync(lambda c: commands.apply(c, command, agent)).applied
    due = app.state.db.read_sync(lambda c: c.execute("SELECT due FROM complement_items").fetchone()[0])
    karim = signed_in_client(app, settings, app.state.db.write_sync(lambda c: worker_account(c, org.id)).id)
    with karim:
        home = karim.get("/worker").text
    todo = home.split("data-actions", 1)[1].split("</ul>", 1)[0]
    assert "Aminata" in todo and "Complément demandé par la préfecture" in todo
    from datetime import date

    from babel.dates import format_date

    assert format_date(date.fromisoformat(due), format="long", locale="fr") in todo


def test_the_worker_stops_following_a_person(app, settings, make_person) -> None:
    amina, file_id, org, karim = _world(app, settings, make_person)
    _give(amina, org)
    _give(amina, org, can_act="0")
    person_id = account_id_of(app, "Amina Diallo")
    released = karim.post(f"/worker/people/{person_id}/release")
    assert released.status_code == 303 and released.headers["location"] == "/worker?done=person_released"
    live = [m for m in app.state.db.read_sync(lambda c: mandates.for_person(c, person_id)) if m.revoked_at is None]
    assert live == []
    assert "Amina Diallo" not in karim.get("/worker").text.split('id="people"', 1)[1]
    assert karim.post(f"/worker/people/{person_id}/release").status_code == 404
    # She reads it in her history.
    assert "Mandat retiré à Abri Solidaire" in amina.client.get("/timeline").text
