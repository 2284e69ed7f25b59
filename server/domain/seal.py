"""The signed payload of an attestation's QR code (ADR 0014).

    claims (CBOR map, integer keys) → COSE_Sign1 (RFC 9052, tag 18, ES256)
    → zlib when it is shorter → base45 (RFC 9285) → "SES1:" + text

as the EU digital COVID certificates do, so that a phone camera reads it
(QR version ≤ 10 at medium error correction) and anyone can check it with no
network: the verifier needs only the prefectures' public keys (keys.py).

`sign` makes the text, `open` checks it and gives the claims back or raises
`Invalid(code)` with a stable code (the /verify page and its script say the
same thing for the same code).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from server.domain import base45
from server.domain.keys import Key, KeyRing

PREFIX = "SES1:"

# Claim keys (agreed with the attestations module; never renumber, only add).
CODE = 1  # the attestation's short code, 10 Crockford base32 characters
KIND = 2  # 1 proof of submission, 2 provisional attestation
PREFECTURE = 3  # département code of the issuing prefecture
FILE_NUMBER = 4  # e.g. "2026-000042"
FAMILY_NAME = 5
GIVEN_NAMES = 6
BIRTH_DATE = 7  # "YYYY-MM-DD"
PROCEDURE = 8  # catalogue procedure id
GROUNDS = 9  # list of catalogue ground ids
WORK_ALLOWED = 10  # bool
ISSUED = 11  # days since 1970-01-01
VALID_UNTIL = 12  # days since 1970-01-01

KIND_PROOF_OF_SUBMISSION = 1
KIND_PROVISIONAL = 2
KINDS = (KIND_PROOF_OF_SUBMISSION, KIND_PROVISIONAL)

# On the wire, catalogue ids known here travel as small integers (index + 1):
# "young_adult_child_welfare" costs 26 bytes, 1 as a number, and a QR code
# has about 115 bytes for all the claims. Append only: a number, once given,
# means that id forever (tests/test_seal.py checks every catalogue id is here).
# An id missing from these lists travels as its text.
PROCEDURE_IDS = (
    "first_application",
    "renewal",
    "change_of_situation",
    "duplicate",
    "travel_document",
    "change_of_status",
)
GROUND_IDS = (
    "parent_of_french_child",
    "spouse_of_french_national",
    "personal_family_ties",
    "refugee",
    "family_of_refugee",
    "subsidiary_protection",
    "stateless",
    "student",
    "employee",
    "temporary_worker",
    "health",
    "exceptional_admission",
    "long_term_resident",
    "asylum_pending",
    "young_adult_child_welfare",
    "domestic_violence_victim",
)

# COSE: header labels and ES256.
ALG, KID, ES256 = 1, 4, -7
COSE_SIGN1_TAG = 18

# Largest text a version-10 QR code holds at medium error correction in
# alphanumeric mode (base45 uses only that alphabet). The QR then has 57×57
# modules: a cheap phone camera reads it from a printed A4 page or a screen.
MAX_TEXT = 311
MAX_INFLATED = 4096  # a genuine payload is ~200 bytes: refuse to inflate a bomb

EPOCH = date(1970, 1, 1)


class Invalid(Exception):
    """The text is not a genuine attestation. `code` is stable:
    bad_prefix, bad_encoding, bad_compression, bad_cose, unsupported_algorithm,
    unknown_key, bad_signature, bad_claims, wrong_prefecture."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class TooLong(ValueError):
    """Even with the names shortened, the claims do not fit in the QR code."""


@dataclass(frozen=True)
class Opened:
    claims: dict[int, Any]
    kid: bytes
    prefecture: str
    key: Key

    @property
    def issued(self) -> date:
        return day(self.claims[ISSUED])

    @property
    def valid_until(self) -> date:
        return day(self.claims[VALID_UNTIL])


def days(d: date) -> int:
    """A date as claims carry it: days since 1970-01-01."""
    return (d - EPOCH).days


def day(n: int) -> date:
    return EPOCH + timedelta(days=n)


# -- names ----------------------------------------------------------------------


def _initials(names: str) -> str:
    """'Marie-Claire Fatima' → 'M.-C. F.' (hyphenated names keep their shape)."""
    words = []
    for word in names.split():
        parts = [p for p in word.split("-") if p]
        words.append("-".join(p[0] + "." for p in parts))
    return " ".join(words)


def name_variants(family: str, given: str) -> list[tuple[str, str]]:
    """The names, then shorter and shorter forms of them, always in this order
    (documented in ADR 0014 and on /verify):
    1. as written;
    2. first given name kept, the other given names as initials;
    3. every given name as initials;
    4. then the family name cut, one character at a time, ending with '.'
       (at least its first 3 characters are kept)."""
    family, given = " ".join(family.split()), " ".join(given.split())
    variants = [(family, given)]
    words = given.split()
    if len(words) > 1:
        variants.append((family, " ".join([words[0], _initials(" ".join(words[1:]))])))
    if words:
        variants.append((family, _initials(given)))
    short_given = variants[-1][1]
    for length in range(len(family) - 1, 2, -1):
        variants.append((family[:length].rstrip(" -'") + ".", short_given))
    # Keep each form once, in order.
    seen: set[tuple[str, str]] = set()
    return [v for v in variants if not (v in seen or seen.add(v))]


# -- encoding -------------------------------------------------------------------


def _wire_claims(claims: dict[int, Any]) -> dict[int, Any]:
    wire = dict(claims)
    if isinstance(wire.get(PROCEDURE), str) and wire[PROCEDURE] in PROCEDURE_IDS:
        wire[PROCEDURE] = PROCEDURE_IDS.index(wire[PROCEDURE]) + 1
    if isinstance(wire.get(GROUNDS), list | tuple):
        wire[GROUNDS] = [GROUND_IDS.index(g) + 1 if g in GROUND_IDS else g for g in wire[GROUNDS]]
    return wire


def _read_claims(wire: Mapping[int, Any]) -> dict[int, Any]:
    claims = dict(wire)
    if isinstance(claims.get(GROUNDS), tuple):
        claims[GROUNDS] = list(claims[GROUNDS])
    procedure = claims.get(PROCEDURE)
    if isinstance(procedure, int) and not isinstance(procedure, bool):
        if not 1 <= procedure <= len(PROCEDURE_IDS):
            raise Invalid("bad_claims", "unknown procedure number")
        claims[PROCEDURE] = PROCEDURE_IDS[procedure - 1]
    grounds = []
    if not isinstance(claims.get(GROUNDS), list):
        raise Invalid("bad_claims", "grounds must be a list")
    for g in claims[GROUNDS]:
        if isinstance(g, int) and not isinstance(g, bool):
            if not 1 <= g <= len(GROUND_IDS):
                raise Invalid("bad_claims", "unknown ground number")
            grounds.append(GROUND_IDS[g - 1])
        else:
            grounds.append(g)
    claims[GROUNDS] = grounds
    return claims


def _raw_signature(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _seal(claims: dict[int, Any], key: Key) -> str:
    assert key.private is not None
    protected = cbor2.dumps({ALG: ES256, KID: key.kid})
    payload = cbor2.dumps(_wire_claims(claims), canonical=True)
    # RFC 6979 deterministic ECDSA: the same claims give the same QR code.
    der = key.private.sign(
        _sig_structure(protected, payload), ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    )
    message = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, _raw_signature(der)]))
    packed = zlib.compress(message, 9)
    # Like the EU certificates, compression is optional: 64 random bytes of
    # signature barely compress and zlib adds 6, so keep the shorter.
    return PREFIX + base45.encode(packed if len(packed) < len(message) else message)


def _check_claims(claims: dict[int, Any]) -> None:
    required = {
        CODE: str,
        KIND: int,
        PREFECTURE: str,
        FILE_NUMBER: str,
        FAMILY_NAME: str,
        GIVEN_NAMES: str,
        BIRTH_DATE: str,
        PROCEDURE: str,
        GROUNDS: list,
        WORK_ALLOWED: bool,
        ISSUED: int,
        VALID_UNTIL: int,
    }
    for label, kind in required.items():
        value = claims.get(label)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise Invalid("bad_claims", f"claim {label} must be {kind.__name__}")
    if claims[KIND] not in KINDS:
        raise Invalid("bad_claims", "unknown kind")
    if not all(isinstance(g, str) for g in claims[GROUNDS]):
        raise Invalid("bad_claims", "grounds must be ids")
    try:
        date.fromisoformat(claims[BIRTH_DATE])
    except ValueError:
        raise Invalid("bad_claims", "birth date must be YYYY-MM-DD") from None
    if not (0 <= claims[ISSUED] <= claims[VALID_UNTIL] < 200_000):
        raise Invalid("bad_claims", "dates out of order")


def sign(claims: dict[int, Any], prefecture: str, keys: KeyRing) -> str:
    """The QR text of these claims, signed with the prefecture's current key.

    Names are shortened (see name_variants) only as far as the QR code needs;
    raises TooLong if even the shortest form does not fit, ValueError if the
    claims are not complete, NoKey if the prefecture has no signing key."""
    claims = dict(claims)
    if claims.setdefault(PREFECTURE, prefecture) != prefecture:
        raise ValueError(f"claims of prefecture {claims[PREFECTURE]} signed for {prefecture}")
    if isinstance(claims.get(GROUNDS), tuple):
        claims[GROUNDS] = list(claims[GROUNDS])
    try:
        _check_claims(claims)
    except Invalid as error:
        raise ValueError(str(error)) from None
    key = keys.signer(prefecture)
    for family, given in name_variants(claims[FAMILY_NAME], claims[GIVEN_NAMES]):
        text = _seal({**claims, FAMILY_NAME: family, GIVEN_NAMES: given}, key)
        if len(text) <= MAX_TEXT:
            return text
    raise TooLong(f"the claims do not fit a version-10 QR code ({len(text)} > {MAX_TEXT} characters)")


# -- decoding -------------------------------------------------------------------


def _inflate(data: bytes) -> bytes:
    if data[:1] != b"\x78":  # not a zlib stream: a bare COSE message (starts 0xD2)
        return data
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED)
    except zlib.error:
        raise Invalid("bad_compression") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise Invalid("bad_compression", "truncated or too large")
    return out


def open(text: str, keys: KeyRing) -> Opened:  # noqa: A001 - the verb of the module
    """Check a QR text and give its claims, or raise Invalid(code)."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise Invalid("bad_prefix")
    # Some scanners add a line end; nothing else is forgiven.
    body = text[len(PREFIX) :].rstrip("\r\n")
    if len(body) > 2 * MAX_TEXT:
        raise Invalid("bad_encoding", "too long")
    try:
        raw = base45.decode(body)
    except base45.Base45Error:
        raise Invalid("bad_encoding") from None
    message = _inflate(raw)
    try:
        decoded = cbor2.loads(message)
    except Exception:  # cbor2 raises many kinds on garbage; all mean the same here
        raise Invalid("bad_cose") from None
    if not (
        isinstance(decoded, cbor2.CBORTag)
        and decoded.tag == COSE_SIGN1_TAG
        and isinstance(decoded.value, list | tuple)  # cbor2 6 gives tuples inside tags
        and len(decoded.value) == 4
    ):
        raise Invalid("bad_cose", "not a tagged COSE_Sign1")
    protected, _unprotected, payload, signature = decoded.value
    if not (isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise Invalid("bad_cose")
    try:
        header = cbor2.loads(protected)
    except Exception:
        raise Invalid("bad_cose", "protected header") from None
    if not isinstance(header, Mapping):
        raise Invalid("bad_cose", "protected header")
    if header.get(ALG) != ES256:
        raise Invalid("unsupported_algorithm")
    kid = header.get(KID)
    if not isinstance(kid, bytes):
        raise Invalid("bad_cose", "no key id")
    key = keys.public(kid)
    if key is None:
        raise Invalid("unknown_key")
    if len(signature) != 64:
        raise Invalid("bad_signature")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.public.verify(der, _sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Invalid("bad_signature") from None
    try:
        wire = cbor2.loads(payload)
    except Exception:
        raise Invalid("bad_claims") from None
    if not isinstance(wire, Mapping) or not all(isinstance(k, int) and not isinstance(k, bool) for k in wire):
        raise Invalid("bad_claims")
    claims = _read_claims(wire)
    _check_claims(claims)
    if claims[PREFECTURE] != key.prefecture:
        raise Invalid("wrong_prefecture")
    return Opened(claims, kid, key.prefecture, key)
