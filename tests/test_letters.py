"""Decision letters, read back from the PDF: the reason, the legal basis and the
appeal time limit are in it, in French and in Arabic."""

from __future__ import annotations

import re
import uuid

import pypdfium2 as pdfium
import pytest

from server.domain import decision_reasons, letters

from .test_complements import submitted_renewal
from .test_files_http import agent_command

DETAILS = "Aucune pièce ne justifie la communauté de vie depuis le 1er janvier."


def test_the_fonts_are_installed() -> None:
    # `make unit`, `make e2e` and `make run` install Debian's fonts-noto-core.
    assert letters.available()


def text_of(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def refused(app, make_person):
    person, file_id = submitted_renewal(app, make_person)
    decision_id = str(uuid.uuid4())
    result = agent_command(
        app,
        "file.decide",
        {
            "file_id": file_id,
            "decision_id": decision_id,
            "outcome": "refused",
            "reason": "public_order",
            "details": DETAILS,
        },
    )
    assert result.applied, result
    return person, file_id, decision_id


def test_the_letter_in_french_and_arabic(refused) -> None:
    person, file_id, decision_id = refused
    person.client.post("/language", data={"lang": "ar", "next": "/dashboard"})
    response = person.client.get(f"/files/{file_id}/decisions/{decision_id}.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")
    text = squash(text_of(response.content))
    reasons = decision_reasons.load()
    reason = reasons.reasons["public_order"]
    # French: the decision itself.
    assert reason.label.fr in text
    assert "Article L.432-1 du code de l’entrée et du séjour des étrangers" in text
    assert "Délai : 2 mois" in text and "tribunal administratif" in text
    assert DETAILS in text
    # Arabic: the same, beside it (shaped text reads back as the words it draws).
    assert reason.label.ar in text
    assert reasons.appeals[2].label.ar.split(" (")[0] in text
    assert "CESEDA L.432-1" in text
    assert reasons.codes["CESEDA"].ar.split(" (")[0] in text  # the legal basis, named in Arabic
    assert "المهلة: شهران" in text  # "time limit: two months"


def test_french_only_for_a_french_reader_and_the_agent_gets_the_same_letter(refused, app, settings) -> None:
    from starlette.testclient import TestClient

    from server import clock
    from server.auth import sessions
    from server.domain import accounts

    person, file_id, decision_id = refused
    mine = text_of(person.client.get(f"/files/{file_id}/decisions/{decision_id}.pdf").content)
    assert "Menace pour l’ordre public" in squash(mine) and "تهديد" not in mine

    def agent(conn, prefecture: str) -> str:
        account = accounts.create(
            conn,
            display_name="Agent",
            language="fr",
            user_handle=uuid.uuid4().bytes * 2,
            version=1,
            role="agent",
            prefecture=prefecture,
        )
        token, _ = sessions.create(
            conn, account.id, lifetime=3600, sliding=False, user_agent="", ip="", now=clock.now()
        )
        return token

    for prefecture, expected in (("93", 200), ("75", 404)):
        token = app.state.db.write_sync(lambda c, p=prefecture: agent(c, p))
        with TestClient(app, base_url=settings.origin, headers={"origin": settings.origin}) as client:
            client.cookies.set(sessions.COOKIE, token)
            response = client.get(f"/prefecture/files/{file_id}/decisions/{decision_id}.pdf")
            assert response.status_code == expected, prefecture
            if expected == 200:
                assert "Menace pour l’ordre public" in squash(text_of(response.content))
                # The letter names the person: the download is in the prefecture's audit trail.
                rows = app.state.db.read_sync(
                    lambda c: c.execute(
                        "SELECT outcome FROM audit WHERE action = 'decision.letter' AND file_id = ?",
                        (file_id,),
                    ).fetchall()
                )
                assert [r[0] for r in rows] == ["applied"]
            # Nor the applicant's own pages.
            assert client.get(f"/files/{file_id}/decisions/{decision_id}").status_code == 403


def test_nobody_else_reaches_a_decision(refused, make_person) -> None:
    _, file_id, decision_id = refused
    other = make_person()
    other.signup(name="Other")
    assert other.client.get(f"/files/{file_id}/decisions/{decision_id}").status_code == 404
    assert other.client.get(f"/files/{file_id}/decisions/{decision_id}.pdf").status_code == 404
    # A decision of one file is not reachable through another file.
    mine = other.start_file("duplicate")
    assert other.client.get(f"/files/{mine}/decisions/{decision_id}").status_code == 404
