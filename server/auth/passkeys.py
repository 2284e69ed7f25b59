"""Passkeys, wrapped thinly over py_webauthn: one function per ceremony step.

Registration: `registration_options` → (browser) → `verify_registration`.
Authentication: `authentication_options` → (browser) → `read_assertion` (which
passkey, which user handle) → `verify_authentication`.

Failures raise `PasskeyError` with a stable code; the web layer translates it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.parse_authentication_credential_json import (
    parse_authentication_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from sync import bounded_json

TIMEOUT_MS = 180_000  # a slow phone, a person who reads the prompt twice

# Codes: invalid_response, unknown_passkey, user_handle_mismatch, expired.


class PasskeyError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str  # base64url
    public_key: bytes
    sign_count: int
    transports: list[str]
    device_type: str  # single_device | multi_device
    backed_up: bool
    aaguid: str


@dataclass(frozen=True)
class Assertion:
    credential_id: str
    user_handle: bytes | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class VerifiedUse:
    sign_count: int
    device_type: str
    backed_up: bool
    counter_regressed: bool


def registration_options(
    rp: RelyingParty,
    *,
    user_handle: bytes,
    user_name: str,
    exclude: Sequence[str] = (),
) -> tuple[bytes, dict[str, Any]]:
    """A discoverable credential, user verification preferred. Returns (challenge, options JSON)."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=user_name,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid)) for cid in exclude],
    )
    return options.challenge, options_to_json_dict(options)


def verify_registration(rp: RelyingParty, credential: str | dict[str, Any], challenge: bytes) -> NewPasskey:
    data = _as_dict(credential)
    try:
        verified = verify_registration_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as e:
        raise PasskeyError("invalid_response", str(e)) from e
    transports = (data.get("response") or {}).get("transports") or []
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t) for t in transports if isinstance(t, str)][:8],
        device_type=verified.credential_device_type.value,
        backed_up=verified.credential_backed_up,
        aaguid=verified.aaguid,
    )


def authentication_options(rp: RelyingParty) -> tuple[bytes, dict[str, Any]]:
    """Usernameless: no allowCredentials, the authenticator offers its passkeys."""
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options.challenge, options_to_json_dict(options)


def read_assertion(credential: str | dict[str, Any]) -> Assertion:
    """Which passkey answered, and the user handle it claims (checked by the caller)."""
    data = _as_dict(credential)
    try:
        parsed = parse_authentication_credential_json(json.dumps(data))
    except (WebAuthnException, ValueError, KeyError, TypeError) as e:
        raise PasskeyError("invalid_response", str(e)) from e
    return Assertion(
        credential_id=bytes_to_base64url(parsed.raw_id),
        user_handle=parsed.response.user_handle,
        raw=data,
    )


def verify_authentication(
    rp: RelyingParty,
    assertion: Assertion,
    challenge: bytes,
    *,
    public_key: bytes,
    stored_sign_count: int,
) -> VerifiedUse:
    """Verify the signature. The counter is checked here, not by the library.

    WebAuthn §6.1.1: a counter that does not grow may mean a cloned
    authenticator, and it is for the relying party to decide. Synced passkeys
    always report 0; a phone restored from backup may go back. We note the
    regression (the caller journals it) and do not lock the person out.
    """
    try:
        verified = verify_authentication_response(
            credential=assertion.raw,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as e:
        raise PasskeyError("invalid_response", str(e)) from e
    new = verified.new_sign_count
    regressed = (new > 0 or stored_sign_count > 0) and new <= stored_sign_count
    return VerifiedUse(
        sign_count=new,
        device_type=verified.credential_device_type.value,
        backed_up=verified.credential_backed_up,
        counter_regressed=regressed,
    )


def _as_dict(credential: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(credential, dict):
        return credential
    try:
        # Bounded: a credential nested 10,000 deep is refused, not a RecursionError.
        data = bounded_json.loads(credential)
    except (TypeError, ValueError) as e:
        raise PasskeyError("invalid_response", "not JSON") from e
    if not isinstance(data, dict):
        raise PasskeyError("invalid_response", "not an object")
    return data
