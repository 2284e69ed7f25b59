"""The agents' pages for complements and decisions, and a prefecture's settings,
through HTTP: forms that work without JavaScript, errors on the form, never a 500."""

from __future__ import annotations

import re

from .test_complements import submitted_renewal
from .test_prefecture_review import staff


def test_ask_for_a_piece_again_from_the_agents_page(app, settings, make_person) -> None:
    person, file_id = submitted_renewal(app, make_person)
    agent = staff(app, settings)
    page = agent.get(f"/prefecture/files/{file_id}/complements/new?piece=passport")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert re.search(r'id="ask-piece-passport" name="ask:piece:passport" value="1" checked', page.text)

    # Ticked without a reason: the form comes back with the error beside that row.
    refused = agent.post(
        f"/prefecture/files/{file_id}/complements",
        data={"ask:piece:passport": "1", "reason:piece:passport": ""},
    )
    assert refused.status_code == 400
    assert 'id="reason-piece-passport-error"' in refused.text and "la personne lira ce motif" in refused.text
    nothing = agent.post(f"/prefecture/files/{file_id}/complements", data={})
    assert nothing.status_code == 400 and "Cochez au moins une pièce" in nothing.text

    sent = agent.post(
        f"/prefecture/files/{file_id}/complements",
        data={
            "ask:piece:passport": "1",
            "reason:piece:passport": "Illisible.",
            "ask:field:city": "1",
            "reason:field:city": "Précisez.",
            "due:field:city": "2000-01-01",
        },
    )
    assert sent.status_code == 400 and "dans le futur" in sent.text
    sent = agent.post(
        f"/prefecture/files/{file_id}/complements",
        data={
            "ask:piece:passport": "1",
            "reason:piece:passport": "Illisible.",
            "ask:field:city": "1",
            "reason:field:city": "Précisez.",
        },
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/prefecture/files/{file_id}?done=complement_requested"
    file_page = agent.get(sent.headers["location"]).text
    assert "La demande de complément est envoyée" in file_page and "Illisible." in file_page

    # The agent withdraws one item; the person no longer sees it.
    listed = agent.get(f"/prefecture/files/{file_id}/complements/new").text
    item_ids = re.findall(r"/complements/([0-9a-f-]{36})/settle", listed)
    assert len(set(item_ids)) == 2
    [city] = app.state.db.read_sync(
        lambda c: [r[0] for r in c.execute("SELECT id FROM complement_items WHERE target = 'city'")]
    )
    assert city in item_ids
    closed = agent.post(f"/prefecture/files/{file_id}/complements/{city}/settle", data={"status": "closed"})
    assert closed.status_code == 303
    shown = person.client.get(f"/files/{file_id}").text
    assert "Illisible." in shown and "Précisez." not in shown.split('id="history"')[0]
    assert (
        agent.post(
            f"/prefecture/files/{file_id}/complements/{city}/settle", data={"status": "closed"}
        ).status_code
        == 400
    )


def test_decide_from_the_agents_page(app, settings, make_person) -> None:
    person, file_id = submitted_renewal(app, make_person, lock=False)
    agent = staff(app, settings)
    page = agent.get(f"/prefecture/files/{file_id}/decision")
    assert page.status_code == 200 and "prenez d’abord le dossier en examen" in page.text
    assert agent.post(f"/prefecture/files/{file_id}/lock").status_code == 303
    page = agent.get(f"/prefecture/files/{file_id}/decision").text
    decision_id = re.search(r'name="decision_id" value="([0-9a-f-]{36})"', page).group(1)
    assert 'id="reason-conditions_not_met"' in page and 'id="reason-document_issued"' not in page

    empty = agent.post(f"/prefecture/files/{file_id}/decision", data={"decision_id": decision_id})
    assert empty.status_code == 400 and "Choisissez une décision et son motif" in empty.text
    bare = agent.post(
        f"/prefecture/files/{file_id}/decision", data={"decision_id": decision_id, "reason": "public_order"}
    )
    assert bare.status_code == 400 and "une décision négative doit être motivée" in bare.text
    assert 'value="public_order" aria-describedby="reason-public_order-hint" checked' in bare.text
    done = agent.post(
        f"/prefecture/files/{file_id}/decision",
        data={"decision_id": decision_id, "reason": "public_order", "details": "Condamnation du 2 mai."},
    )
    assert done.status_code == 303 and done.headers["location"].endswith("/decision?done=decided")
    page = agent.get(done.headers["location"]).text
    assert "La décision est enregistrée" in page and "Corriger la décision" in page
    assert f"/prefecture/files/{file_id}/decisions/{decision_id}.pdf" in page
    # Another agent of the prefecture cannot decide a file held by the first: only
    # through a correction once decided, and the person sees both.
    fix = agent.post(
        f"/prefecture/files/{file_id}/decision",
        data={
            "decision_id": re.search(r'name="decision_id" value="([0-9a-f-]{36})"', page).group(1),
            "corrects": decision_id,
            "reason": "conditions_met",
        },
    )
    assert fix.status_code == 303
    shown = person.client.get(f"/files/{file_id}").text
    assert shown.count("Lire la décision et ses motifs") == 2


def test_a_prefecture_sets_its_delay_on_its_settings_page(app, settings) -> None:
    admin = staff(app, settings, role="admin", prefecture="93")
    page = admin.get("/prefecture/settings")
    assert page.status_code == 200 and 'value="30"' in page.text
    wrong = admin.post("/prefecture/settings", data={"complement_days": "2"})
    assert wrong.status_code == 400 and "entre 8 et 120" in wrong.text and 'value="2"' in wrong.text
    saved = admin.post("/prefecture/settings", data={"complement_days": "45"})
    assert saved.status_code == 303
    assert 'value="45"' in admin.get(saved.headers["location"]).text
    national = staff(app, settings, role="admin", prefecture=None)
    assert "seuls ses administrateurs" in national.get("/prefecture/settings").text
    assert national.post("/prefecture/settings", data={"complement_days": "45"}).status_code == 400
