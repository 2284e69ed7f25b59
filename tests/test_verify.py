"""/verify over HTTP (ADR 0014): the page and its keys, the public status of a
real attestation through its life (valid, superseded, expired, revoked), and the
typed path (code + date of birth, both needed, rate limited)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from server.domain import attestations, keys, seal
from server.web import verify

from .test_attestations import FakeClock, of, run
from .test_complements import submitted_renewal
from .test_files_http import agent_command


def signed(app, settings, att: attestations.Attestation) -> str:
    return seal.sign(att.claims, att.departement or "", keys.keyring(settings))


def status_of(client, code: str) -> str:
    response = client.get(f"/verify/status/{code}")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"code", "status", "checked_at"}  # nothing personal
    return body["status"]


def test_the_page_carries_the_keys_and_the_jwks_publishes_them(app, client, settings) -> None:
    ring = keys.keyring(settings)
    kid = ring.signer("75").kid_b64
    page = client.get("/verify")
    assert page.status_code == 200
    data = json.loads(
        re.search(r'<script type="application/json" id="verify-data">(.*?)</script>', page.text, re.S)[1]
    )
    assert [k["kid"] for k in data["keys"]] == [kid]
    assert data["procedures"] == list(seal.PROCEDURE_IDS) and data["prefix"] == "SES1:"
    assert data["decoder"].startswith("/static/vendor/jsQR.js?v=")
    assert "Paris (75)" in page.text and kid in page.text
    for url in ("/verify/keys.json", "/.well-known/jwks.json"):
        jwks = client.get(url)
        assert jwks.headers["access-control-allow-origin"] == "*"
        [jwk] = jwks.json()["keys"]
        assert (
            jwk["kid"] == kid and jwk["crv"] == "P-256" and jwk["kty"] == "EC" and jwk["prefecture"] == "75"
        )
        assert "d" not in jwk  # never the private part


def test_public_status_through_an_attestations_life(app, client, settings, make_person, monkeypatch) -> None:
    fake_clock = FakeClock(monkeypatch)
    _, file_id = submitted_renewal(app, make_person, lock=True)
    first_id = agent_command(app, "file.mark_complete", {"file_id": file_id}).data["attestation_id"]
    first = next(a for a in of(app, file_id) if a.id == first_id)
    text = signed(app, settings, first)
    assert seal.open(text, keys.keyring(settings)).claims[seal.CODE] == first.id
    assert status_of(client, first.id) == "valid"
    assert status_of(client, first.code.lower()) == "valid"  # as typed: dashes, lower case
    # Renewed 30 days before its end: the old one is superseded (still in force to its end).
    end = date.fromisoformat(first.valid_until or "")
    fake_clock.to(end - timedelta(days=30))
    assert run(app) == {"renewed": 1}
    assert status_of(client, first.id) == "superseded"
    new = of(app, file_id)[0]
    assert status_of(client, new.id) == "valid"
    # Past its end date.
    fake_clock.to(end + timedelta(days=1))
    assert status_of(client, first.id) == "expired"
    assert verify.verdict(first.claims, "expired", end + timedelta(days=1)) == "expired"
    # A refusal ends it: revoked, whatever its dates; the signature is still genuine,
    # the verdict is not.
    agent_command(app, "file.decide", _refusal(file_id))
    assert status_of(client, new.id) == "revoked"
    opened = seal.open(signed(app, settings, new), keys.keyring(settings))
    assert verify.verdict(opened.claims, "revoked", attestations.today()) == "revoked"
    assert status_of(client, "ZZZZZZZZZZ") == "unknown"
    assert status_of(client, "not-a-code") == "unknown"


def _refusal(file_id: str) -> dict[str, object]:
    import uuid

    from server.domain import decision_reasons

    reason = decision_reasons.load().for_file("renewal", "refused")[0]
    return {
        "file_id": file_id,
        "decision_id": str(uuid.uuid4()),
        "outcome": "refused",
        "reason": reason.id,
        "details": "Les conditions ne sont pas remplies : aucun contrat de travail n’est présenté.",
    }


def test_the_typed_code_needs_the_birth_date_too(app, client, make_person) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=False)
    proof = of(app, file_id)[0]
    born = date.fromisoformat(proof.claims[seal.BIRTH_DATE])
    right = client.post(
        "/verify/code", data={"code": proof.code.lower(), "birth_date": born.strftime("%d/%m/%Y")}
    )
    assert right.status_code == 200 and right.headers["cache-control"] == "no-store"
    assert proof.claims[seal.FAMILY_NAME] in right.text and 'data-verify-verdict="valid"' in right.text
    assert "Preuve de dépôt d’une demande" in right.text
    # A ground never shows (an employer has no need to know why someone applied).
    assert proof.claims[seal.GROUNDS][0] not in right.text
    wrong_date = client.post(
        "/verify/code", data={"code": proof.id, "birth_date": (born + timedelta(days=1)).isoformat()}
    )
    wrong_code = client.post("/verify/code", data={"code": "ZZZZZZZZZZ", "birth_date": born.isoformat()})
    for response in (wrong_date, wrong_code):
        assert response.status_code == 404
        assert "Aucune attestation ne correspond" in response.text
        assert proof.claims[seal.FAMILY_NAME] not in response.text
    bad = client.post("/verify/code", data={"code": "123", "birth_date": "31/02/1990"})
    assert bad.status_code == 400 and "10 lettres et chiffres" in bad.text and "jour/mois/année" in bad.text
    assert 'value="123"' in bad.text  # what was typed stays


def test_guessing_a_birth_date_is_rate_limited_per_code(app, client, make_person) -> None:
    _, file_id = submitted_renewal(app, make_person, lock=False)
    proof = of(app, file_id)[0]
    codes = []
    for day in range(1, 12):
        response = client.post("/verify/code", data={"code": proof.id, "birth_date": f"{day:02d}/01/1950"})
        codes.append(response.status_code)
    assert codes[:8] == [404] * 8 and codes[-1] == 429


def test_birth_dates_as_people_type_them() -> None:
    assert verify._birth_date("17/03/1994") == date(1994, 3, 17)
    assert verify._birth_date(" 1994-03-17 ") == date(1994, 3, 17)
    assert verify._birth_date("17.3.1994") == date(1994, 3, 17)
    assert verify._birth_date("31/02/1994") is None
    assert verify._birth_date("1994") is None
    assert verify.normalise_code("7k3m-9q2x-hd") == "7K3M9Q2XHD"
    assert verify.normalise_code("OIL") == "011"
