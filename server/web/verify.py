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
from server.domain import catalogue, geography, keys, seal
from server.templating import static
from server.translation import N_, gettext

from .common import db, form, limit, settings, templates

CODE_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{10}$")  # Crockford base32, no I L O U
# Crockford: the letters a person may misread or mistype map to their digit.
_CROCKFORD = str.maketrans({"I": "1", "L": "1", "O": "0"})

NOT_FOUND = N_(
    "Aucune attestation ne correspond à ce code et à cette date de naissance. Vérifiez les deux :"
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
        headers={"cache-control": "no-cache"},
    )


async def keys_json(request: Request) -> Response:
    return JSONResponse(
        jwks(ring(request)),
        headers={"cache-control": "public, max-age=3600", "access-control-allow-origin": "*"},
    )


def verdict(opened: seal.Opened, status: str | None, today: date) -> str:
    """valid | expired | revoked | superseded | not_yet_valid, from the signed
    dates and, when known, the server's status."""
    if status in ("revoked", "superseded"):
        return status
    if today > opened.valid_until or status == "expired":
        return "expired"
    if today < opened.issued:
        return "not_yet_valid"
    return "valid"


def describe(opened: seal.Opened, status: str | None, lang: str) -> dict[str, Any]:
    """What the page shows of an attestation (server-rendered path): never the grounds."""
    cat = catalogue.load()
    claims = opened.claims
    procedure = cat.procedures.get(claims[seal.PROCEDURE])
    return {
        "verdict": verdict(opened, status, clock.now().date()),
        "status_known": status is not None,
        "kind": claims[seal.KIND],
        "code": claims[seal.CODE],
        "family_name": claims[seal.FAMILY_NAME],
        "given_names": claims[seal.GIVEN_NAMES],
        "birth_date": date.fromisoformat(claims[seal.BIRTH_DATE]),
        "file_number": claims[seal.FILE_NUMBER],
        "procedure": procedure.label(lang) if procedure else claims[seal.PROCEDURE],
        "prefecture": _prefecture_name(opened.prefecture),
        "work_allowed": claims[seal.WORK_ALLOWED],
        "issued": opened.issued,
        "valid_until": opened.valid_until,
        "key_created": opened.key.created.date(),
    }


def _birth_date(value: str) -> date | None:
    value = (value or "").strip()
    for pattern in (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$"):
        match = re.match(pattern, value)
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if pattern.startswith(r"^(\d{4})") else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


async def by_code(request: Request) -> Response:
    """The typed path: code + date of birth, both must match (rate limited:
    a code alone must not be enough to read someone's name)."""
    from server.domain import attestations

    values = await form(request)
    code = normalise_code(values.get("code", ""))
    born = _birth_date(values.get("birth_date", ""))
    kept = {"code": values.get("code", "")[:40], "birth_date": values.get("birth_date", "")[:20]}
    errors = {}
    if not CODE_PATTERN.match(code):
        errors["code"] = gettext(BAD_CODE)
    if born is None:
        errors["birth_date"] = gettext(BAD_DATE)
    if errors:
        return await _render(request, errors=errors, values=kept, status_code=400)
    limit(request, "verify", code=code)

    def load(conn: Any) -> tuple[str | None, str | None]:
        return attestations.signed_text(conn, code), attestations.public_status(conn, code)

    text, status = await db(request).read(load)
    opened = _open(request, text) if text else None
    if opened is None or opened.claims[seal.BIRTH_DATE] != born.isoformat():  # type: ignore[union-attr]
        return await _render(request, errors={"form": gettext(NOT_FOUND)}, values=kept, status_code=404)
    return await _render(request, result=describe(opened, status, translation.current.get()), values=kept)


def _open(request: Request, text: str) -> seal.Opened | None:
    try:
        return seal.open(text, ring(request))
    except seal.Invalid:
        return None


async def status(request: Request) -> Response:
    """valid | revoked | expired | superseded | unknown: no personal data."""
    from server.domain import attestations

    code = normalise_code(request.path_params["code"])
    found = None
    if CODE_PATTERN.match(code):
        limit(request, "verify_status")
        found = await db(request).read(lambda conn: attestations.public_status(conn, code))
    return JSONResponse(
        {"code": code, "status": found or "unknown", "checked_at": clock.iso(clock.now())},
        headers={"cache-control": "no-store", "access-control-allow-origin": "*"},
    )
