"""Signing keys of the attestations (ADR 0014): one current key per prefecture.

The keys live in a folder (SESAME_ATTESTATION_KEYS, by default
`$SESAME_DATA/keys/`), one PEM file per key, named
`<prefecture>.<YYYYMMDDTHHMMSSZ>.pem`: the newest private key of a prefecture
signs; every key, current or retired, verifies — so a rotation never voids an
attestation already printed. A retired key may be kept as its public half
only (a PEM holding a public key): it still verifies, it can no longer sign.

The key id (kid) is, as in the EU digital COVID certificates, the first
8 bytes of the SHA-256 of the public key's SubjectPublicKeyInfo (DER).

When the folder is the default one, a prefecture's first key is made on first
use (mode 0600), as secret.key is: `make run` and the tests need no set-up.
An operator who names the folder manages the keys (`sesame keys rotate`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.domain import geography

if TYPE_CHECKING:
    from server.settings import Settings

FILE_NAME = re.compile(r"^(?P<prefecture>[0-9][0-9AB][0-9]?)\.(?P<stamp>\d{8}T\d{6}Z)\.pem$")
STAMP = "%Y%m%dT%H%M%SZ"


class NoKey(LookupError):
    """No key may sign for this prefecture (none in a folder the operator manages)."""


class KeyFileError(ValueError):
    """A file in the keys folder is not a P-256 key named as expected."""


@dataclass(frozen=True)
class Key:
    kid: bytes
    prefecture: str
    created: datetime
    public: ec.EllipticCurvePublicKey
    private: ec.EllipticCurvePrivateKey | None
    path: Path | None = None

    @property
    def kid_b64(self) -> str:
        return base64.urlsafe_b64encode(self.kid).rstrip(b"=").decode()

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 7517), plus the prefecture and the date
        the key was made (not JWK members; readers ignore them)."""
        numbers = self.public.public_numbers()

        def b64(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64(numbers.x),
            "y": b64(numbers.y),
            "alg": "ES256",
            "use": "sig",
            "kid": self.kid_b64,
            "prefecture": self.prefecture,
            "created": self.created.strftime("%Y-%m-%d"),
        }


def kid_of(public: ec.EllipticCurvePublicKey) -> bytes:
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8]


def make_key(prefecture: str, created: datetime, private: ec.EllipticCurvePrivateKey | None = None) -> Key:
    private = private or ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()
    return Key(kid_of(public), prefecture, created, public, private)


def read_key(path: Path) -> Key:
    match = FILE_NAME.match(path.name)
    if not match or geography.get(match["prefecture"]) is None:
        raise KeyFileError(
            f"{path}: expected <prefecture>.<YYYYMMDDTHHMMSSZ>.pem, e.g. 75.20260101T000000Z.pem"
        )
    created = datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)
    data = path.read_bytes()
    private: ec.EllipticCurvePrivateKey | None = None
    try:
        if b"PRIVATE KEY" in data:
            loaded_private = serialization.load_pem_private_key(data, password=None)
            if not isinstance(loaded_private, ec.EllipticCurvePrivateKey):
                raise KeyFileError(f"{path}: not an elliptic-curve key")
            private = loaded_private
            public = private.public_key()
        else:
            loaded_public = serialization.load_pem_public_key(data)
            if not isinstance(loaded_public, ec.EllipticCurvePublicKey):
                raise KeyFileError(f"{path}: not an elliptic-curve key")
            public = loaded_public
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"{path}: not a PEM key ({error})") from None
    if not isinstance(public.curve, ec.SECP256R1):
        raise KeyFileError(f"{path}: the curve must be P-256 (ES256), not {public.curve.name}")
    return Key(kid_of(public), match["prefecture"], created, public, private, path)


def write_key(folder: Path, key: Key) -> Path:
    """Save a new private key (0600, never overwriting)."""
    assert key.private is not None
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{key.prefecture}.{key.created.strftime(STAMP)}.pem"
    pem = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return path


class KeyRing:
    """Every known key by kid, and the current signing key per prefecture.

    `folder` and `generate`: where a missing prefecture key is made on first
    use (None: never; the ring is then what it was given).
    """

    def __init__(self, keys: Iterable[Key] = (), folder: Path | None = None, generate: bool = False) -> None:
        self._lock = threading.Lock()
        self._by_kid: dict[bytes, Key] = {}
        self._signing: dict[str, Key] = {}
        self.folder = folder
        self.generate = generate and folder is not None
        for key in keys:
            self.add(key)

    def add(self, key: Key) -> None:
        with self._lock:
            self._add(key)

    def _add(self, key: Key) -> None:
        known = self._by_kid.get(key.kid)
        if known is not None and known.prefecture != key.prefecture:
            raise KeyFileError(
                f"the same key is filed under prefectures {known.prefecture} and {key.prefecture}"
            )
        if known is None or (key.private is not None and known.private is None):
            self._by_kid[key.kid] = key
        if key.private is not None:
            current = self._signing.get(key.prefecture)
            if current is None or key.created > current.created:
                self._signing[key.prefecture] = key

    def public(self, kid: bytes) -> Key | None:
        return self._by_kid.get(kid)

    def all(self) -> list[Key]:
        """Every key, by prefecture then newest first."""
        with self._lock:
            keys = list(self._by_kid.values())
        return sorted(keys, key=lambda k: (k.prefecture, -k.created.timestamp()))

    def signer(self, prefecture: str) -> Key:
        """The key that signs for this prefecture now (made on first use when allowed)."""
        with self._lock:
            key = self._signing.get(prefecture)
            if key is not None:
                return key
            if geography.get(prefecture) is None:
                raise NoKey(f"unknown prefecture: {prefecture!r}")
            if not self.generate or self.folder is None:
                raise NoKey(f"no signing key for prefecture {prefecture} in {self.folder}")
            made = self._rotate(prefecture)
            return made

    def rotate(self, prefecture: str) -> Key:
        """Make and save a new signing key; the previous ones keep verifying."""
        if geography.get(prefecture) is None:
            raise NoKey(f"unknown prefecture: {prefecture!r}")
        if self.folder is None:
            raise NoKey("this key ring has no folder to save a key in")
        with self._lock:
            return self._rotate(prefecture)

    def _rotate(self, prefecture: str) -> Key:
        assert self.folder is not None
        created = datetime.now(UTC).replace(microsecond=0)
        previous = self._signing.get(prefecture)
        if previous is not None and created <= previous.created:
            # Two rotations in one second: the file name (and the order) needs a later stamp.
            created = previous.created + timedelta(seconds=1)
        key = make_key(prefecture, created)
        path = write_key(self.folder, key)
        key = Key(key.kid, key.prefecture, key.created, key.public, key.private, path)
        self._add(key)
        return key


def load_folder(folder: Path) -> list[Key]:
    if not folder.is_dir():
        return []
    return [read_key(path) for path in sorted(folder.iterdir()) if path.suffix == ".pem"]


_RINGS: dict[tuple[Path, bool], tuple[int, KeyRing]] = {}
_RINGS_LOCK = threading.Lock()


def _stamp(folder: Path) -> int:
    try:
        return folder.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def keyring(settings: Settings) -> KeyRing:
    """The key ring of these settings, read again whenever a key file is added
    to or removed from the folder (`sesame keys rotate` while the server runs)."""
    folder = settings.attestation_keys_dir
    generate = settings.attestation_keys_generate
    stamp = _stamp(folder)
    with _RINGS_LOCK:
        found = _RINGS.get((folder, generate))
        if found is not None and found[0] == stamp:
            return found[1]
        ring = KeyRing(load_folder(folder), folder=folder, generate=generate)
        _RINGS[(folder, generate)] = (stamp, ring)
        return ring
