""" "I'm blocked": the report, its acknowledgement (page, PDF, link with a key),
the prefecture's answers and where they reach the person."""

from __future__ import annotations

import re
import uuid

from server.domain import blockages

from .test_letters import squash, text_of
from .test_prefecture_review import staff

ACK = re.compile(r"/blocked/(B-\d{4}-\d{6})\?key=([0-9a-f]{32})")


def report(client, **values: str):
    data = {"report_id": str(uuid.uuid4()), "kind": "account", "language": "fr", **values}
    return client.post("/blocked", data=data, follow_redirects=False)


def test_an_anonymous_person_gets_a_numbered_dated_acknowledgement(app, settings, client) -> None:
    sent = report(client, departement="93", details="Le site refuse mon numéro", contact="06 12 34 56 78")
    assert sent.status_code == 303
    number, key = ACK.search(sent.headers["location"]).groups()
    page = client.get(sent.headers["location"])
    assert page.status_code == 200
    assert f"Accusé de réception n° {number}" in page.text
    assert "Conseil d’État" in page.text and "3 juin 2022" in page.text
    assert "Seine-Saint-Denis" in page.text
    assert "/prefectures/93" in page.text  # no channel written yet: where it will be
    # Without the key, or with a wrong one, the report does not exist.
    assert client.get(f"/blocked/{number}").status_code == 404
    assert client.get(f"/blocked/{number}?key={'0' * 32}").status_code == 404
    pdf = client.get(f"/blocked/{number}.pdf?key={key}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = squash(text_of(pdf.content))
    assert number in text and "Conseil d’État" in text and "autrement qu’en ligne" in text
    found = app.state.db.read_sync(lambda c: blockages.by_number(c, number))
    assert found.account_id is None and found.due > found.created_at[:10]


def test_the_prefectures_own_channel_is_quoted(app, settings, client) -> None:
    def write(conn):
        conn.execute(
            "INSERT INTO prefecture_info (departement, block, lang, body, updated_at, updated_by, version)"
            " VALUES ('93', 'substitution', 'fr', 'Guichet 4, lundi 9 h', '2026-01-01T00:00:00Z', 'x', 1)"
        )

    app.state.db.write_sync(write)
    location = report(client, departement="93").headers["location"]
    assert "Guichet 4, lundi 9 h" in client.get(location).text


def test_the_same_report_sent_twice_is_recorded_once(app, client) -> None:
    report_id = str(uuid.uuid4())
    first = report(client, report_id=report_id, departement="75")
    again = report(client, report_id=report_id, departement="75")
    assert first.headers["location"] == again.headers["location"]
    body = {"report_id": report_id, "kind": "account", "departement": "75"}
    replay = client.post("/blocked/send", json=body)
    assert replay.status_code == 200 and first.headers["location"].startswith(replay.json()["url"])
    assert app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM blockages").fetchone()[0]) == 1


def test_a_refused_report_says_why_on_the_form(client) -> None:
    page = report(client, kind="nothing")
    assert page.status_code == 400 and "Une valeur envoyée n’est pas valide" in page.text
    page = report(client, departement="999")
    assert page.status_code == 400 and "Choisissez une préfecture de la liste." in page.text
    sent = client.post("/blocked/send", content=b"{not json")
    assert sent.status_code == 400 and sent.json()["error"] == "bad_request"


def test_the_prefecture_answers_and_the_anonymous_person_reads_it(app, settings, client) -> None:
    location = report(client, departement="93", kind="signin").headers["location"]
    number = ACK.search(location).group(1)
    found = app.state.db.read_sync(lambda c: blockages.by_number(c, number))
    agent = staff(app, settings, prefecture="93")
    listing = agent.get("/prefecture/reports")
    assert number in listing.text
    # Another prefecture neither lists it nor opens it nor answers it.
    paris = staff(app, settings, prefecture="75")
    assert number not in paris.get("/prefecture/reports?status=all").text
    assert paris.get(f"/prefecture/reports/{found.id}").status_code == 404
    refused = paris.post(f"/prefecture/reports/{found.id}/answer", data={"kind": "message", "body": "x"})
    assert refused.status_code == 404
    detail = agent.get(f"/prefecture/reports/{found.id}")
    assert detail.status_code == 200 and "Je ne peux pas me connecter" in detail.text
    empty = agent.post(f"/prefecture/reports/{found.id}/answer", data={"kind": "message", "body": " "})
    assert empty.status_code == 400 and "Écrivez la réponse" in empty.text
    answer = {
        "answer_id": str(uuid.uuid4()),
        "kind": "appointment",
        "body": "Venez le 12 mars à 9 h, guichet 4.",
    }
    assert agent.post(f"/prefecture/reports/{found.id}/answer", data=answer).status_code == 303
    page = client.get(location)
    assert "Venez le 12 mars à 9 h, guichet 4." in page.text
    assert "Était-ce clair" in page.text  # users' voice after the answer
    assert number not in agent.get("/prefecture/reports").text  # answered: out of "to handle"
    assert number in agent.get("/prefecture/reports?status=answered").text
    actions = app.state.db.read_sync(
        lambda c: [
            r[0] for r in c.execute("SELECT action FROM audit WHERE actor_id = ?", (agent.account_id,))
        ]
    )
    assert "blocked.answer" in actions and "report.view" in actions


def test_a_signed_in_person_sees_the_answer_in_timeline_and_feed(app, settings, make_person) -> None:
    person = make_person()
    person.signup("Aminata")
    sent = report(person.client, departement="93")
    assert sent.headers["location"].startswith("/blocked/B-") and "key=" not in sent.headers["location"]
    number = sent.headers["location"].split("/")[2].split("?")[0]
    assert person.client.get(sent.headers["location"]).status_code == 200
    found = app.state.db.read_sync(lambda c: blockages.by_number(c, number))
    agent = staff(app, settings, prefecture="93")
    body = {"answer_id": str(uuid.uuid4()), "kind": "paper", "body": "Déposez votre dossier par courrier."}
    agent.post(f"/prefecture/reports/{found.id}/answer", data=body)
    assert "Déposez votre dossier par courrier." in person.client.get(f"/blocked/{number}").text
    timeline = person.client.get("/timeline").text
    assert f"Signalement « Je suis bloqué·e » n° {number} envoyé" in timeline
    assert f"La préfecture a répondu à votre signalement n° {number}" in timeline
    pulled = person.client.get("/sync/pull?cursor=0").json()
    records = [r for r in pulled["records"] if r["type"] == "blockage"]
    assert records and records[0]["data"]["answers"][0]["body"] == "Déposez votre dossier par courrier."
    assert number in person.client.get("/blocked/mine").text
    # Someone else, signed in, does not see it.
    other = make_person()
    other.signup("Omar")
    assert other.client.get(f"/blocked/{number}").status_code == 404
    assert other.client.get(f"/blocked/by-id/{found.id}", follow_redirects=False).status_code == 404


def test_the_due_date_follows_the_prefectures_setting(app, settings, client) -> None:
    admin = staff(app, settings, role="admin", prefecture="93")
    assert admin.post("/prefecture/reports/settings", data={"report_days": "0"}).status_code == 400
    assert admin.post("/prefecture/reports/settings", data={"report_days": "5"}).status_code == 303
    location = report(client, departement="93").headers["location"]
    found = app.state.db.read_sync(lambda c: blockages.by_number(c, ACK.search(location).group(1)))
    from datetime import date, timedelta

    assert found.due == (date.fromisoformat(found.created_at[:10]) + timedelta(days=5)).isoformat()
