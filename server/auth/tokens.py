"""Random tokens and how we keep them: only their hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """SHA-256 of a high-entropy token (session, invitation): enough to store it."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_digest(key: str, value: str) -> str:
    """HMAC-SHA256 under the server's secret key (recovery codes)."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
