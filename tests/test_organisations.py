"""Organisations: the public request, approval by an administrator with the
organisation administrator's enrolment link, workers invited and removed."""

from __future__ import annotations

import re

from server import clock
from server.domain import mandates, organisations

from .orgs import account_id_of, grant
from .test_prefecture_review import staff
from .test_staff import enrol

LINK = re.compile(r'id="invite-link" class="copy-field" value="([^"]+)"')
REQUEST = {
    "name": "Abri Solidaire",
    "kind": "shelter",
    "departement": "93",
    "contact_name": "Claire Martin",
    "contact_email": "claire@abri.example",
    "contact_phone": "",
}


def _request(client, **values: str):
    return client.post("/organisations/new", data={**REQUEST, **values}, follow_redirects=False)


def _only(app) -> organisations.Organisation:
    rows = app.state.db.read_sync(lambda c: organisations.listed(c, None))
    assert len(rows) == 1
    return rows[0]


def test_the_request_form_says_what_is_wrong(client) -> None:
    assert client.get("/organisations/new").status_code == 200
    for values, expected in (
        ({"name": ""}, "Indiquez le nom de l’organisation."),
        ({"kind": "club"}, "Choisissez le genre d’organisation"),
        ({"departement": "99"}, "Choisissez une préfecture de la liste."),
        ({"contact_name": " "}, "Indiquez le nom de la personne à contacter."),
        ({"contact_email": ""}, "Indiquez une adresse électronique ou un numéro de téléphone."),
        ({"contact_email": "pas-une-adresse"}, "ne semble pas valide"),
    ):
        page = _request(client, **values)
        assert page.status_code == 400 and expected in page.text, values
        assert "Abri Solidaire" in page.text or values.get("name") == ""  # what was typed is kept
    # Corrected after a refusal: the same form goes through.
    cid = re.search(r'name="cid" value="([^"]+)"', page.text).group(1)
    assert _request(client, cid=cid).status_code == 200


def test_request_approve_enrol_invite_remove(app, settings, client, make_person) -> None:
    page = _request(client, cid="00000000-0000-4000-8000-00000000000a")
    assert page.status_code == 200 and "attend l’accord" in page.text
    # Sent twice (a double click): one request.
    _request(client, cid="00000000-0000-4000-8000-00000000000a")
    org = _only(app)
    assert org.status == "pending" and org.contact_name == "Claire Martin" and len(org.code) == 6

    # The administrator of another département neither sees nor approves it.
    paris = staff(app, settings, role="admin", prefecture="75")
    assert "Abri Solidaire" not in paris.get("/admin/organisations").text
    assert paris.post(f"/admin/organisations/{org.id}/approve").status_code == 404
    # An agent has no say.
    agent = staff(app, settings, role="agent", prefecture="93")
    assert agent.get("/admin/organisations").status_code == 403
    # The administrator of 93 approves: the organisation administrator's link, once.
    admin93 = staff(app, settings, role="admin", prefecture="93")
    assert "Abri Solidaire" in admin93.get("/admin/organisations").text
    approved = admin93.post(f"/admin/organisations/{org.id}/approve")
    assert approved.status_code == 200
    link = LINK.search(approved.text).group(1)
    assert _only(app).status == "approved"
    audit = app.state.db.read_sync(
        lambda c: c.execute("SELECT count(*) FROM audit WHERE action = 'organisation.approve' AND outcome = 'applied'").fetchone()[0]
    )
    assert audit == 1

    claire = make_person()
    enrol_page = claire.client.get(link.split("8000", 1)[1])
    assert "administrateur de l’organisation Abri Solidaire" in enrol_page.text
    done = enrol(claire, link, "Claire Martin")
    assert done.status_code == 200
    row = app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT role, organisation, organisation_admin FROM accounts WHERE display_name = 'Claire Martin'"
        ).fetchone()
    )
    assert tuple(row) == ("worker", org.id, 1)

    manage = claire.client.get("/organisation")
    assert manage.status_code == 200 and org.code in manage.text
    invited = claire.client.post("/organisation/invitations", data={"name": "Karim"})
    karim_link = LINK.search(invited.text).group(1)
    karim = make_person()
    assert enrol(karim, karim_link, "Karim").status_code == 200
    karim_id = account_id_of(app, "Karim")
    # A worker who is not the administrator manages nothing.
    assert karim.client.get("/organisation").status_code == 404
    assert karim.client.post("/organisation/invitations", data={"name": "X"}).status_code == 404

    # A person gives a mandate; Karim follows them.
    amina = make_person()
    amina.signup("Amina")
    grant(app, account_id_of(app, "Amina"), org.id)
    assert [p["display_name"] for p in karim.client.get("/sync/people").json()["people"]] == ["Amina"]

    # Removed: out of the organisation, signed out everywhere at once.
    removed = claire.client.post(f"/organisation/workers/{karim_id}/remove", follow_redirects=False)
    assert removed.status_code == 303
    assert karim.client.get("/sync/people").status_code == 401
    assert (
        app.state.db.read_sync(
            lambda c: c.execute("SELECT organisation FROM accounts WHERE id = ?", (karim_id,)).fetchone()[0]
        )
        is None
    )
    # The administrator cannot remove themself, nor someone of another organisation.
    claire_id = account_id_of(app, "Claire Martin")
    assert claire.client.post(f"/organisation/workers/{claire_id}/remove").status_code == 403

    # Suspended: its mandates count for nothing at once.
    admin93.post(f"/admin/organisations/{org.id}/suspend")
    assert _only(app).status == "suspended"
    followed = app.state.db.read_sync(lambda c: mandates.people_followed(c, org.id, clock.now()))
    assert followed == []
    assert claire.client.get("/sync/people").json() == {"people": []}
    refused = claire.client.post("/organisation/invitations", data={"name": "Nouvelle"})
    assert refused.status_code == 403 and "ne peut pas inviter" in refused.text
    assert "invite-link" not in refused.text


def test_a_national_administrator_approves_anywhere(app, settings, client) -> None:
    _request(client, departement="13")
    national = staff(app, settings, role="admin", prefecture=None)
    org = _only(app)
    assert national.post(f"/admin/organisations/{org.id}/approve").status_code == 200
    assert _only(app).status == "approved"
