"""The applicant's way through, server side (issue 10): the declaration before
sending, the confirmation page and receipt (only for a file the server has
sent), and status words that say no more than is true."""

from __future__ import annotations

from .test_files_http import agent_command, complete, renewal_ground


def ready_renewal(make_person) -> tuple[object, str]:
    p = make_person()
    p.signup()
    ground = renewal_ground()
    file_id = p.start_file("renewal", [ground])
    complete(p, file_id, "renewal", [ground])
    return p, file_id


def test_sending_asks_for_the_declaration(app, make_person) -> None:
    p, file_id = ready_renewal(make_person)
    review = p.client.get(f"/files/{file_id}/review").text
    assert 'name="declaration"' in review and "required" in review
    refused = p.client.post(f"/files/{file_id}/submit", follow_redirects=False)
    assert refused.headers["location"].startswith(f"/files/{file_id}/review?refused=declaration")
    page = p.client.get(refused.headers["location"])
    assert "Cochez la déclaration" in page.text and 'href="#f-declaration"' in page.text
    assert p.client.get(f"/files/{file_id}").text.count("Brouillon") >= 1


def test_no_confirmation_nor_receipt_before_the_file_is_sent(app, make_person) -> None:
    p, file_id = ready_renewal(make_person)
    for page in ("confirmation", "receipt"):
        early = p.client.get(f"/files/{file_id}/{page}", follow_redirects=False)
        assert early.status_code == 303 and early.headers["location"] == f"/files/{file_id}"


def test_confirmation_and_receipt_after_sending(app, make_person) -> None:
    p, file_id = ready_renewal(make_person)
    sent = p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"}, follow_redirects=False)
    assert sent.headers["location"] == f"/files/{file_id}/confirmation"
    number = app.state.db.read_sync(
        lambda c: c.execute("SELECT number FROM files WHERE id = ?", (file_id,)).fetchone()[0]
    )
    confirmation = p.client.get(f"/files/{file_id}/confirmation").text
    assert "Dossier envoyé" in confirmation and f'<bdi dir="ltr">{number}</bdi>' in confirmation
    assert "Seine-Saint-Denis" in confirmation  # the prefecture, by name
    assert f"/files/{file_id}/receipt" in confirmation
    receipt = p.client.get(f"/files/{file_id}/receipt").text
    assert "<svg" in receipt and 'class="segno"' in receipt and number in receipt
    # Reachable later, from the file's page.
    assert f"/files/{file_id}/receipt" in p.client.get(f"/files/{file_id}").text


def test_status_words_say_sent_until_the_prefecture_opens_the_file(app, make_person) -> None:
    p, file_id = ready_renewal(make_person)
    p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"})
    for page in (f"/files/{file_id}", "/dashboard"):
        text = p.client.get(page).text
        assert "Envoyé — en attente de traitement" in text, page
        assert "Reçu par la préfecture" not in text and "Ouvert par la préfecture" not in text, page
    assert agent_command(app, "file.view", {"file_id": file_id}).applied
    for page in (f"/files/{file_id}", "/dashboard"):
        text = p.client.get(page).text
        assert "Ouvert par la préfecture" in text, page
        assert "Envoyé — en attente de traitement" not in text, page


def test_the_timeline_shows_no_seconds(app, make_person) -> None:
    p, file_id = ready_renewal(make_person)
    import re

    times = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', p.client.get(f"/files/{file_id}").text)
    assert times and all(
        re.search(r"\d{1,2}:\d{2}$", t) and not re.search(r"\d:\d{2}:\d{2}", t) for t in times
    )
