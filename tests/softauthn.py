"""A software authenticator for unit tests: real keys, real signatures.

It produces the JSON a browser would post (`credential.toJSON()`), so the
server's passkey code is tested end to end without a browser. Flags follow
WebAuthn §6.1: UP, UV, BE (backup eligible), BS (backed up), AT.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str
    synced: bool = False  # a synced passkey: BE and BS set, counter stays 0
    credentials: dict[bytes, Credential] = field(default_factory=dict)

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """Answer `navigator.credentials.create()` with these options (JSON form)."""
        rp_id = options["rp"]["id"]
        excluded = {unb64url(c["id"]) for c in options.get("excludeCredentials", [])}
        if excluded & set(self.credentials):
            raise ValueError("InvalidStateError: already registered here")
        key = ec.generate_private_key(ec.SECP256R1())
        cred = Credential(
            id=os.urandom(32), key=key, rp_id=rp_id, user_handle=unb64url(options["user"]["id"])
        )
        self.credentials[cred.id] = cred
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        attested = bytes(16) + struct.pack(">H", len(cred.id)) + cred.id + cose
        auth_data = self._auth_data(rp_id, cred.sign_count, AT) + attested
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(cred.id),
            "rawId": b64url(cred.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential_id: bytes | None = None,
        user_handle: bytes | None = None,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """Answer `navigator.credentials.get()`; overrides let tests forge bad answers."""
        cred = self.credentials[credential_id] if credential_id else next(iter(self.credentials.values()))
        if sign_count is not None:
            cred.sign_count = sign_count
        elif not self.synced:
            cred.sign_count += 1
        auth_data = self._auth_data(options["rpId"], cred.sign_count, 0)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = cred.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(cred.id),
            "rawId": b64url(cred.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(user_handle if user_handle is not None else cred.user_handle),
            },
        }

    def _flags(self, extra: int) -> int:
        flags = UP | UV | extra
        if self.synced:
            flags |= BE | BS
        return flags

    def _auth_data(self, rp_id: str, sign_count: int, extra_flags: int) -> bytes:
        rp_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_hash + bytes([self._flags(extra_flags)]) + struct.pack(">I", sign_count)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()
