"""The signed QR payload (server/domain/seal.py, keys.py; ADR 0014)."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import cbor2
import pytest
import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import base45, catalogue, keys, seal

LONG_FAMILY = "Ben Abdelkader El Idrissi Al-Hassani"
LONG_GIVEN = "Mohamed Amine Abdelrahman Youssef"


def claims(
    family: str = "Diallo", given_names: str = "Awa", more: dict[int, Any] | None = None
) -> dict[int, Any]:
    base: dict[int, Any] = {
        seal.CODE: "7K3M9Q2XHD",
        seal.KIND: seal.KIND_PROVISIONAL,
        seal.FILE_NUMBER: "2026-000042",
        seal.FAMILY_NAME: family,
        seal.GIVEN_NAMES: given_names,
        seal.BIRTH_DATE: "1994-03-17",
        seal.PROCEDURE: "change_of_situation",
        seal.GROUNDS: ["young_adult_child_welfare", "personal_family_ties"],
        seal.WORK_ALLOWED: True,
        seal.ISSUED: seal.days(date(2026, 12, 2)),
        seal.VALID_UNTIL: seal.days(date(2027, 6, 2)),
    }
    base.update(more or {})
    return base


@pytest.fixture
def ring(tmp_path: Path) -> keys.KeyRing:
    return keys.KeyRing(folder=tmp_path / "keys", generate=True)


def resign(text: str, change: Any, ring: keys.KeyRing | None = None) -> str:
    """Decode the COSE message, let `change` alter it, and encode it again (no new signature)."""
    raw = base45.decode(text[len(seal.PREFIX) :])
    message = zlib.decompress(raw) if raw[:1] == b"\x78" else raw
    tag = cbor2.loads(message)
    parts = list(tag.value)
    change(parts)
    return seal.PREFIX + base45.encode(cbor2.dumps(cbor2.CBORTag(18, parts)))


def test_base45_matches_rfc_9285() -> None:
    assert base45.encode(b"AB") == "BB8"
    assert base45.encode(b"Hello!!") == "%69 VD92EX0"
    assert base45.encode(b"base-45") == "UJCLQE7W581"
    assert base45.decode("QED8WEX0") == b"ietf!"
    for bad in ("GGW", "ab", "A"):
        with pytest.raises(base45.Base45Error):
            base45.decode(bad)


def test_signed_claims_open_with_their_key_and_prefecture(ring: keys.KeyRing) -> None:
    text = seal.sign(claims(), "75", ring)
    assert text.startswith("SES1:")
    opened = seal.open(text, ring)
    assert opened.prefecture == "75"
    assert opened.kid == ring.signer("75").kid
    assert opened.claims == {**claims(), seal.PREFECTURE: "75"}
    assert opened.valid_until == date(2027, 6, 2)
    # Deterministic signatures (RFC 6979): the same claims, the same QR code.
    assert seal.sign(claims(), "75", ring) == text


def test_the_cose_message_is_a_standard_cose_sign1(ring: keys.KeyRing) -> None:
    raw = base45.decode(seal.sign(claims(), "75", ring)[5:])
    message = zlib.decompress(raw) if raw[:1] == b"\x78" else raw
    tag = cbor2.loads(message)
    assert tag.tag == 18
    protected, unprotected, payload, signature = tag.value
    assert cbor2.loads(protected) == {1: -7, 4: ring.signer("75").kid}
    assert len(signature) == 64 and len(ring.signer("75").kid) == 8
    assert cbor2.loads(payload)[seal.PROCEDURE] == 3  # ids as small numbers on the wire


def test_kid_is_the_eu_dcc_one(ring: keys.KeyRing) -> None:
    import hashlib

    from cryptography.hazmat.primitives import serialization

    key = ring.signer("75")
    spki = key.public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key.kid == hashlib.sha256(spki).digest()[:8]


def test_tampered_payload_is_not_genuine(ring: keys.KeyRing) -> None:
    text = seal.sign(claims(), "75", ring)

    def work(parts: list[Any]) -> None:
        payload = cbor2.loads(parts[2])
        payload[seal.WORK_ALLOWED] = False
        payload[seal.VALID_UNTIL] += 365
        parts[2] = cbor2.dumps(payload)

    with pytest.raises(seal.Invalid) as caught:
        seal.open(resign(text, work), ring)
    assert caught.value.code == "bad_signature"

    def flip(parts: list[Any]) -> None:
        parts[3] = bytes([parts[3][0] ^ 1]) + parts[3][1:]

    with pytest.raises(seal.Invalid) as caught:
        seal.open(resign(text, flip), ring)
    assert caught.value.code == "bad_signature"


def test_unknown_key_id(ring: keys.KeyRing, tmp_path: Path) -> None:
    stranger = keys.KeyRing(folder=tmp_path / "other", generate=True)
    text = seal.sign(claims(), "75", stranger)
    with pytest.raises(seal.Invalid) as caught:
        seal.open(text, ring)
    assert caught.value.code == "unknown_key"

    def other_kid(parts: list[Any]) -> None:
        parts[0] = cbor2.dumps({1: -7, 4: b"\x00" * 8})

    with pytest.raises(seal.Invalid) as caught:
        seal.open(resign(seal.sign(claims(), "75", ring), other_kid), ring)
    assert caught.value.code == "unknown_key"


def test_a_key_signs_only_for_its_prefecture(ring: keys.KeyRing) -> None:
    """Claims naming another prefecture than the one signing are refused, and a
    genuine signature by prefecture 93's key over claims saying 75 does not open."""
    with pytest.raises(ValueError):
        seal.sign(claims(more={seal.PREFECTURE: "93"}), "75", ring)
    key93 = ring.signer("93")
    key75 = ring.signer("75")
    # Sign by hand claims saying 75 with the 93 key.
    forged = seal._seal({**claims(), seal.PREFECTURE: "75"}, key93)
    with pytest.raises(seal.Invalid) as caught:
        seal.open(forged, ring)
    assert caught.value.code == "wrong_prefecture"
    assert key75.kid != key93.kid


def test_rotation_keeps_old_attestations_verifying(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    ring = keys.KeyRing(folder=folder, generate=True)
    old = seal.sign(claims(), "75", ring)
    old_kid = ring.signer("75").kid
    new_key = ring.rotate("75")
    assert ring.signer("75") is new_key and new_key.kid != old_kid
    new = seal.sign(claims(), "75", ring)
    assert seal.open(new, ring).kid == new_key.kid
    assert seal.open(old, ring).kid == old_kid
    # A fresh process reads the same folder: the newest signs, both verify.
    again = keys.KeyRing(keys.load_folder(folder), folder=folder, generate=False)
    assert again.signer("75").kid == new_key.kid
    assert seal.open(old, again).kid == old_kid
    # The retired key kept as its public half only still verifies, cannot sign.
    old_path = next(k.path for k in again.all() if k.kid == old_kid)
    assert old_path is not None
    from cryptography.hazmat.primitives import serialization

    old_path.write_bytes(
        next(k for k in again.all() if k.kid == old_kid).public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    public_only = keys.KeyRing(keys.load_folder(folder))
    assert seal.open(old, public_only).kid == old_kid
    assert public_only.signer("75").kid == new_key.kid


def test_keys_are_files_named_by_prefecture_and_date(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    ring = keys.KeyRing(folder=folder, generate=True)
    key = ring.signer("2A")
    assert key.path is not None and key.path.parent == folder
    assert keys.FILE_NAME.match(key.path.name)
    assert key.path.stat().st_mode & 0o777 == 0o600
    (folder / "notes.pem").write_text("x")
    with pytest.raises(keys.KeyFileError):
        keys.load_folder(folder)
    (folder / "notes.pem").unlink()
    (folder / "75.20260101T000000Z.pem").write_text("not a key")
    with pytest.raises(keys.KeyFileError):
        keys.load_folder(folder)


def test_a_managed_folder_never_makes_keys(tmp_path: Path) -> None:
    ring = keys.KeyRing(folder=tmp_path, generate=False)
    with pytest.raises(keys.NoKey):
        seal.sign(claims(), "75", ring)
    with pytest.raises(keys.NoKey):
        keys.KeyRing(folder=tmp_path, generate=True).signer("00")


def test_keyring_from_settings(tmp_path: Path) -> None:
    from server.settings import load

    default = load({"SESAME_DATA": str(tmp_path / "d")})
    assert default.attestation_keys_dir == (tmp_path / "d" / "keys").resolve()
    assert default.attestation_keys_generate
    managed = load({"SESAME_DATA": str(tmp_path / "d"), "SESAME_ATTESTATION_KEYS": str(tmp_path / "k")})
    assert managed.attestation_keys_dir == (tmp_path / "k").resolve()
    assert not managed.attestation_keys_generate
    ring = keys.keyring(default)
    assert keys.keyring(default) is ring
    assert seal.open(seal.sign(claims(), "13", ring), ring).prefecture == "13"


@pytest.mark.parametrize(
    ("family", "given_names", "shortened"),
    [
        ("Diallo", "Awa", False),
        ("Nguyen Thi", "Marie-Claire Fatima", False),
        (LONG_FAMILY, LONG_GIVEN, True),
        (
            "Wolfeschlegelsteinhausenbergerdorff-Ramanathapuram",
            "Hubert Blaine Venkatanarasimharajuvaripeta",
            True,
        ),
    ],
)
def test_qr_fits_version_10_at_medium_error_correction(
    ring: keys.KeyRing, family: str, given_names: str, shortened: bool
) -> None:
    text = seal.sign(claims(family, given_names), "75", ring)
    qr = segno.make(text, error="m", micro=False, boost_error=False)
    assert qr.version <= 10 and qr.mode == "alphanumeric"
    opened = seal.open(text, ring).claims
    assert ((opened[seal.FAMILY_NAME], opened[seal.GIVEN_NAMES]) != (family, given_names)) == shortened
    if shortened:
        assert (opened[seal.FAMILY_NAME], opened[seal.GIVEN_NAMES]) in seal.name_variants(family, given_names)


def test_names_shorten_in_the_documented_order() -> None:
    variants = seal.name_variants("El  Idrissi", "Marie-Claire Fatima Zahra")
    assert variants[:3] == [
        ("El Idrissi", "Marie-Claire Fatima Zahra"),
        ("El Idrissi", "Marie-Claire F. Z."),
        ("El Idrissi", "M.-C. F. Z."),
    ]
    assert variants[3] == ("El Idriss.", "M.-C. F. Z.")
    assert variants[-1] == ("El.", "M.-C. F. Z.")


def test_a_scanned_qr_image_opens(ring: keys.KeyRing, tmp_path: Path) -> None:
    """A real decoder (zxing-cpp) reading the image gives back a text that verifies."""
    text = seal.sign(claims(LONG_FAMILY, LONG_GIVEN), "75", ring)
    path = tmp_path / "qr.png"
    segno.make(text, error="m", micro=False, boost_error=False).save(path, scale=4)
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(path), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in found] == [text]
    assert seal.open(found[0].text, ring).claims[seal.CODE] == "7K3M9Q2XHD"


def test_every_catalogue_id_has_its_wire_number() -> None:
    """Append-only lists: a new catalogue id must be added at the end."""
    cat = catalogue.load()
    assert set(cat.procedures) <= set(seal.PROCEDURE_IDS)
    assert set(cat.grounds) <= set(seal.GROUND_IDS)


def test_bad_texts_give_stable_codes(ring: keys.KeyRing) -> None:
    good = seal.sign(claims(), "75", ring)
    cases = {
        "": "bad_prefix",
        "HC1:" + good[5:]: "bad_prefix",
        "SES1:abc": "bad_encoding",
        "SES1:" + base45.encode(b"\x78\x9c garbage"): "bad_compression",
        "SES1:" + base45.encode(b"\xff\xff"): "bad_cose",
        "SES1:" + base45.encode(cbor2.dumps([1, 2, 3, 4])): "bad_cose",
    }
    for text, code in cases.items():
        with pytest.raises(seal.Invalid) as caught:
            seal.open(text, ring)
        assert caught.value.code == code, text

    def ps256(parts: list[Any]) -> None:
        parts[0] = cbor2.dumps({1: -37, 4: ring.signer("75").kid})

    with pytest.raises(seal.Invalid) as caught:
        seal.open(resign(good, ps256), ring)
    assert caught.value.code == "unsupported_algorithm"
    assert seal.open(good + "\n", ring).claims[seal.CODE] == "7K3M9Q2XHD"


_RING = keys.KeyRing([keys.make_key("75", datetime(2026, 1, 1, tzinfo=UTC))])
_GOOD = seal.sign(claims(), "75", _RING)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=400),
        st.text(alphabet=base45.ALPHABET, max_size=400).map(lambda t: "SES1:" + t),
        st.binary(max_size=300).map(lambda b: "SES1:" + base45.encode(b)),
        st.binary(max_size=300).map(lambda b: "SES1:" + base45.encode(zlib.compress(b))),
        st.tuples(st.integers(0, len(_GOOD) - 1), st.sampled_from(base45.ALPHABET)).map(
            lambda p: _GOOD[: p[0]] + p[1] + _GOOD[p[0] + 1 :]
        ),
    )
)
def test_open_raises_nothing_but_invalid(text: str) -> None:
    try:
        opened = seal.open(text, _RING)
    except seal.Invalid:
        return
    assert opened.claims[seal.CODE] == "7K3M9Q2XHD"  # only the genuine one (or an equal re-encoding) opens


def test_cli_rotates_a_prefecture_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from server import cli

    monkeypatch.setenv("SESAME_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("SESAME_ATTESTATION_KEYS", raising=False)
    assert cli.main(["keys", "rotate", "--prefecture", "75"]) == 0
    folder = tmp_path / "data" / "keys"
    first = keys.KeyRing(keys.load_folder(folder))
    old = seal.sign(claims(), "75", first)
    assert cli.main(["keys", "rotate", "--prefecture", "75"]) == 0
    ring = keys.KeyRing(keys.load_folder(folder))
    assert ring.signer("75").kid != first.signer("75").kid
    assert seal.open(old, ring).prefecture == "75"
    capsys.readouterr()
    assert cli.main(["keys", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[3] for line in listed] == ["signs", "retired"]
    assert cli.main(["keys", "rotate", "--prefecture", "99"]) == 2
