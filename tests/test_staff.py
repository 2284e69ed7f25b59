"""Prefecture staff: enrolment links, roles, session length."""

from __future__ import annotations

import json
import re

from server.cli import bootstrap_link

from .people import Person, ceremony, codes_in


def enrol(person: Person, link: str, name: str) -> object:
    path = link.split("localhost:8000", 1)[1]
    page = person.client.get(path)
    assert page.status_code == 200, page.text
    step_page = person.client.post(path, data={"display_name": name, "language": "fr"})
    step = ceremony(step_page.text)
    return person.client.post(
        f"{path}/finish",
        data={
            "flow": step["flow"],
            "credential": json.dumps(person.phone.create(step["publicKey"])),
            "display_name": name,
            "language": "fr",
        },
    )


def test_first_admin_then_an_agent(app, settings, make_person) -> None:
    link = bootstrap_link(settings, app.state.db)
    assert link
    admin = make_person()
    done = enrol(admin, link, "Claire")
    assert done.status_code == 200 and len(codes_in(done.text)) == 8
    assert bootstrap_link(settings, app.state.db) is None  # an administrator exists now
    assert make_person().client.get(link.split("8000", 1)[1]).status_code == 410  # used

    page = admin.client.post("/admin/invitations", data={"role": "agent", "prefecture": "75", "name": "Jean"})
    assert page.status_code == 200
    invite = re.search(r'id="invite-link" class="copy-field" value="([^"]+)"', page.text).group(1)
    assert "Jean" in page.text

    agent = make_person()
    done = enrol(agent, invite, "Jean")
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("sesame_session="))
    assert f"Max-Age={12 * 3600}" in cookie
    dashboard = agent.client.get("/dashboard").text
    assert "Dossiers de la préfecture (75)" in dashboard
    assert agent.client.get("/admin/invitations").status_code == 403


def test_a_prefecture_admin_invites_only_for_their_prefecture(app, settings, make_person) -> None:
    national = make_person()
    enrol(national, bootstrap_link(settings, app.state.db), "N")
    page = national.client.post("/admin/invitations", data={"role": "admin", "prefecture": "13", "name": "M"})
    link = re.search(r'id="invite-link" class="copy-field" value="([^"]+)"', page.text).group(1)
    marseille = make_person()
    enrol(marseille, link, "M")
    page = marseille.client.post("/admin/invitations", data={"role": "agent", "prefecture": "75"})
    assert page.status_code == 200
    pending = app.state.db.read_sync(
        lambda c: [
            r[0] for r in c.execute("SELECT prefecture FROM invitations WHERE created_by != 'bootstrap'")
        ]
    )
    assert "75" not in pending and pending.count("13") == 2


def test_invitation_form_validation(app, settings, make_person) -> None:
    admin = make_person()
    enrol(admin, bootstrap_link(settings, app.state.db), "A")
    bad = admin.client.post("/admin/invitations", data={"role": "boss", "prefecture": "75"})
    assert bad.status_code == 400 and "rôle" in bad.text
    bad = admin.client.post("/admin/invitations", data={"role": "agent", "prefecture": "99"})
    assert bad.status_code == 400 and "préfecture de la liste" in bad.text


def test_unknown_enrolment_link(client) -> None:
    assert client.get("/enrol/nothing-here").status_code == 410
