"""The VAPID key (RFC 8292) that signs every request to a push service.

One P-256 key for the whole service: its public half is the
`applicationServerKey` a browser binds each subscription to, so a new key voids
every subscription. It comes from SESAME_VAPID_PRIVATE_KEY (PEM, or the
base64url of the raw 32-byte scalar); without it, one is made on first use and
kept beside the database (`$SESAME_DATA/vapid.pem`, mode 0600), as secret.key
and the attestation keys are: `make run` and the tests need no set-up.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

if TYPE_CHECKING:
    from server.settings import Settings

log = logging.getLogger("sesame")

# A VAPID token may live 24 hours (RFC 8292 §2); ours live 12 and are made
# again after 6, so one in use never expires while it travels.
TOKEN_SECONDS = 12 * 3600
RENEW_AFTER = 6 * 3600


class VapidKeyError(ValueError):
    """SESAME_VAPID_PRIVATE_KEY (or the kept file) is not a P-256 private key."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_key(value: str) -> ec.EllipticCurvePrivateKey:
    """A private key from PEM text, or from the base64url of its raw scalar or DER."""
    value = value.strip().replace("\\n", "\n")
    try:
        if value.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(value.encode(), password=None)
        else:
            raw = b64url_decode("".join(value.split()))
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError) as error:
        raise VapidKeyError(f"not a VAPID private key ({error})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise VapidKeyError("the VAPID key must be a P-256 (prime256v1) private key")
    return key


def _kept(path: Path) -> ec.EllipticCurvePrivateKey:
    """The key kept in the data folder, made now if there is none (never overwritten)."""
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            log.info(
                "Web Push: made the VAPID key %s (keep it with the database: a new key voids every subscription)",
                path,
            )
    return parse_key(path.read_text())


class Keys:
    """The key, its public half for pages, and the Authorization headers."""

    def __init__(self, private: ec.EllipticCurvePrivateKey, subject: str) -> None:
        self.private = private
        self.subject = subject
        self._vapid = Vapid02(private)
        point = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        # What `pushManager.subscribe({applicationServerKey})` takes.
        self.public_b64 = b64url(point)
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, dict[str, str]]] = {}

    def headers(self, endpoint: str, now: float | None = None) -> dict[str, str]:
        """`Authorization: vapid t=<JWT>,k=<public key>` for this endpoint's
        push service (the JWT's audience is its origin). One signature per
        push service every few hours, not one per push."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time() if now is None else now
        with self._lock:
            found = self._tokens.get(audience)
            if found is not None and now - found[0] < RENEW_AFTER:
                return found[1]
            claims: dict[str, str | int] = {
                "aud": audience,
                "exp": int(now) + TOKEN_SECONDS,
                "sub": self.subject,
            }
            made = dict(self._vapid.sign(claims))
            self._tokens[audience] = (now, made)
            return made


_KEYS: dict[tuple[str, str, str], Keys] = {}
_KEYS_LOCK = threading.Lock()


def keys(settings: Settings) -> Keys:
    """The VAPID keys of these settings (read or made once per process)."""
    configured = str(settings.vapid_private_key)
    slot = (configured, str(settings.vapid_key_path), settings.vapid_subject)
    with _KEYS_LOCK:
        found = _KEYS.get(slot)
        if found is None:
            private = parse_key(configured) if configured else _kept(settings.vapid_key_path)
            found = _KEYS[slot] = Keys(private, settings.vapid_subject)
        return found
