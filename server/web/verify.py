"""/verify: anyone — an employer at 7 a.m., a CAF or France Travail desk, the
police — checks an attestation's QR code or its short code (ADR 0014).

A scanned QR code is checked in the browser (pwa/verify.js, WebCrypto) against
the public keys the page carries, so the page works offline once loaded; the
server only adds what needs it: whether the attestation was revoked or
replaced since (/verify/status/<code>, no personal data), and the typed-code
path, which answers only when the code and the date of birth both match.
The public keys are also published as a JWKS for other verifiers.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import clock, translation
from server.domain import attestations, catalogue, geography, keys, seal
from server.templating import static
from server.translation import N_, gettext

from .common import db, form, limit, settings, templates

CODE_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{10}$")  # Crockford base32, no I L O U
# Crockford: the letters a person may misread or mistype map to their digit.
_CROCKFORD = str.maketrans({"I": "1", "L": "1", "O": "0"})

NOT_FOUND = N_(
    "Aucune attestation ne correspond à ce code et à cette date de naissance. Vérifiez les deux :"
    " le code a 10 caractères, il est écrit sous le QR code."
)
BAD_CODE = N_("Le code a 10 lettres et chiffres, par exemple 7K3M-9Q2X-HD (les tirets ne comptent pas).")
BAD_DATE = N_("Indiquez la date de naissance au format jour/mois/année, par exemple 17/03/1994.")


def normalise_code(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "").upper().translate(_CROCKFORD)


def jwks(ring: keys.KeyRing) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in ring.all()]}


def ring(request: Request) -> keys.KeyRing:
    return keys.keyring(settings(request))


def page_data(request: Request, lang: str) -> dict[str, Any]:
    """What pwa/verify.js needs offline: keys, the wire tables, labels."""
    cat = catalogue.load()
    ring_ = ring(request)
    prefectures = {key.prefecture for key in ring_.all()}
    return {
        "prefix": seal.PREFIX,
        "keys": jwks(ring_)["keys"],
        "keys_at": clock.iso(clock.now()),
        "procedures": list(seal.PROCEDURE_IDS),
        "procedure_labels": {pid: p.label(lang) for pid, p in cat.procedures.items()},
        "prefectures": {code: _prefecture_name(code) for code in sorted(prefectures)},
        "decoder": static("vendor/jsQR.js"),
    }


def _prefecture_name(code: str) -> str:
    found = geography.get(code)
    return f"{found.name} ({code})" if found else code


async def page(request: Request) -> Response:
    return await _render(request)


async def _render(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    lang = translation.current.get()
    return templates(request).render(
        request,
        "verify/page.html",
        {
            "verify_data": page_data(request, lang),
            "errors": errors or {},
            "values": values or {},
            "result": result,
            "key_dates": {key.kid_b64: key.created for key in ring(request).all()},
        },
        status_code=status_code,
        # A result names a person: never kept by a cache or the service worker.
        headers={"cache-control": "no-store" if result else "no-cache"},
    )


async def keys_json(request: Request) -> Response:
    return JSONResponse(
        jwks(ring(request)),
        headers={"cache-control": "public, max-age=3600", "access-control-allow-origin": "*"},
    )


def verdict(claims: dict[int, Any], status: str | None, today: date) -> str:
    """valid | expired | revoked | not_yet_valid, from the signed dates and, when
    known, the server's status (superseded is still valid: said beside it)."""
    if status == "revoked":
        return "revoked"
    if today > seal.day(claims[seal.VALID_UNTIL]) or status == "expired":
        return "expired"
    if today < seal.day(claims[seal.ISSUED]):
        return "not_yet_valid"
    return "valid"


def describe(claims: dict[int, Any], prefecture: str, status: str | None, today: date) -> dict[str, Any]:
    """What the page shows of an attestation: never the grounds (ADR 0014)."""
    lang = translation.current.get()
    procedure = catalogue.load().procedures.get(claims[seal.PROCEDURE])
    return {
        "verdict": verdict(claims, status, today),
        "superseded": status == "superseded",
        "status_known": status is not None,
        "kind": claims[seal.KIND],
        "code": claims[seal.CODE],
        "family_name": claims[seal.FAMILY_NAME],
        "given_names": claims[seal.GIVEN_NAMES],
        "birth_date": date.fromisoformat(claims[seal.BIRTH_DATE]),
        "file_number": claims[seal.FILE_NUMBER],
        "procedure": procedure.label(lang) if procedure else claims[seal.PROCEDURE],
        "prefecture": _prefecture_name(prefecture),
        "work_allowed": claims[seal.WORK_ALLOWED],
        "issued": seal.day(claims[seal.ISSUED]),
        "valid_until": seal.day(claims[seal.VALID_UNTIL]),
    }


def _birth_date(value: str) -> date | None:
    value = (value or "").strip()
    iso = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", value)
    french = re.match(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$", value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if french:
            return date(int(french[3]), int(french[2]), int(french[1]))
    except ValueError:
        return None
    return None


async def by_code(request: Request) -> Response:
    """The typed path: code + date of birth, both must match. Rate limited per
    address and per code: a code alone must not be enough to read a name, and
    a wrong code and a wrong date get the same answer."""
    values = await form(request)
    code = normalise_code(values.get("code", ""))
    born = _birth_date(values.get("birth_date", ""))
    kept = {"code": values.get("code", "")[:40], "birth_date": values.get("birth_date", "")[:20]}
    errors = {}
    if not CODE_PATTERN.match(code):
        errors["code"] = gettext(BAD_CODE)
    if born is None:
        errors["birth_date"] = gettext(BAD_DATE)
    if errors or born is None:
        return await _render(request, errors=errors, values=kept, status_code=400)
    limit(request, "verify", code=code)
    today = attestations.today()

    def load(conn: Any) -> tuple[Any, str | None]:
        return attestations.get(conn, code), attestations.public_status(conn, code)

    found, status = await db(request).read(load)
    if found is None or found.claims.get(seal.BIRTH_DATE) != born.isoformat():
        return await _render(request, errors={"form": gettext(NOT_FOUND)}, values=kept, status_code=404)
    result = describe(found.claims, found.departement or "", status, today)
    return await _render(request, result=result, values={})


async def status(request: Request) -> Response:
    """valid | superseded | expired | revoked | unknown: no personal data."""
    code = normalise_code(request.path_params["code"])
    found = None
    if CODE_PATTERN.match(code):
        limit(request, "verify_status")
        found = await db(request).read(lambda conn: attestations.public_status(conn, code))
    return JSONResponse(
        {"code": code, "status": found or "unknown", "checked_at": clock.iso(clock.now())},
        headers={"cache-control": "no-store", "access-control-allow-origin": "*"},
    )
