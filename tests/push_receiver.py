"""A push service on the loopback, for tests and benchmarks: the push-service
side of RFC 8030, nothing outside the machine.

`new_subscription()` makes what a browser makes when it subscribes — a P-256
key pair and a 16-byte auth secret (RFC 8291 §2) — and an endpoint URL on this
receiver; the private half stays here, so the receiver can decrypt what it is
sent, as the browser would. Each POST to an endpoint is checked as a push
service checks it:

- `Authorization: vapid t=<JWT>,k=<key>` (RFC 8292 §3): the JWT is ES256 and
  verifies with k; its `aud` is this receiver's origin, its `exp` is in the
  future and at most 24 hours away, its `sub` a mailto: or https: URI; and k is
  the key the subscription was made for (when one was given);
- a `TTL` header (RFC 8030 §5.2, required), an `Urgency` among the four values
  if present, a `Topic` of at most 32 base64url characters if present;
- `Content-Encoding: aes128gcm` and a body of at most 4096 bytes (§7.2).

A good push is answered 201 with a `Location` (§5); a bad one 400/401/403/413;
an endpoint marked gone, 410. Received pushes are kept in `received`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

URGENCIES = ("very-low", "low", "normal", "high")
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One subscription as the browser holds it: the endpoint and both keys."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    server_key: str | None = None  # the applicationServerKey it was made for

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth_b64(self) -> str:
        return b64url(self.auth)

    def json(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives in a browser."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth_b64}}


@dataclass
class Push:
    token: str
    headers: dict[str, str]
    body: bytes
    at: float
    claims: dict[str, Any] = field(default_factory=dict)


class Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_vapid(header: str, audience: str, now: float) -> tuple[dict[str, Any], str]:
    """The claims and the public key of a valid `vapid` Authorization header."""
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "vapid":
        raise Refusal(401, f"authorization scheme {scheme!r} is not vapid")
    params = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
    token, key = params.get("t", ""), params.get("k", "")
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        jwt_header = json.loads(unb64url(header_b64))
        claims = json.loads(unb64url(claims_b64))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        signature = unb64url(signature_b64)
    except (ValueError, TypeError) as error:
        raise Refusal(401, f"malformed VAPID token ({error})") from None
    if jwt_header.get("alg") != "ES256" or len(signature) != 64:
        raise Refusal(401, "the VAPID token must be ES256 (raw r||s)")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refusal(403, "the VAPID signature does not verify") from None
    if claims.get("aud") != audience:
        raise Refusal(403, f"aud {claims.get('aud')!r} is not {audience!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now or exp > now + 24 * 3600:
        raise Refusal(403, "exp must be in the next 24 hours")
    sub = str(claims.get("sub", ""))
    if not (sub.startswith("mailto:") or sub.startswith("https://")):
        raise Refusal(403, "sub must be a mailto: or https: URI")
    return claims, key


class Receiver:
    """The push service, on 127.0.0.1 in a thread: `with Receiver() as r: …`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.browsers: dict[str, Browser] = {}
        self.gone: set[str] = set()
        self.received: list[Push] = []
        self.refused: list[tuple[int, str]] = []
        self.answer_status: int | None = None  # forced answer (e.g. 503), for failure tests
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                status, headers = receiver._receive(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.origin = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def new_subscription(self, server_key: str | None = None) -> Browser:
        token = secrets.token_urlsafe(16)
        browser = Browser(
            token=token,
            endpoint=f"{self.origin}/push/{token}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=secrets.token_bytes(16),
            server_key=server_key,
        )
        self.browsers[token] = browser
        return browser

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        lower = {k.lower(): v for k, v in headers.items()}
        token = path.removeprefix("/push/")
        try:
            if not path.startswith("/push/") or token not in self.browsers:
                raise Refusal(404, "no such subscription")
            if token in self.gone:
                raise Refusal(410, "subscription expired")
            claims, key = check_vapid(lower.get("authorization", ""), self.origin, time.time())
            browser = self.browsers[token]
            if browser.server_key is not None and key != browser.server_key:
                raise Refusal(403, "VAPID key is not the one the subscription was made with")
            ttl = lower.get("ttl", "")
            if not ttl.isdigit():
                raise Refusal(400, "TTL header missing or not a number")
            if "urgency" in lower and lower["urgency"] not in URGENCIES:
                raise Refusal(400, "bad Urgency")
            if "topic" in lower and not TOPIC.match(lower["topic"]):
                raise Refusal(400, "bad Topic")
            if body and lower.get("content-encoding") != "aes128gcm":
                raise Refusal(415, "Content-Encoding must be aes128gcm")
            if len(body) > 4096:
                raise Refusal(413, "payload larger than 4096 bytes")
            if self.answer_status is not None:
                raise Refusal(self.answer_status, "forced")
        except Refusal as refusal:
            with self._lock:
                self.refused.append((refusal.status, refusal.reason))
                self._lock.notify_all()
            return refusal.status, {}
        with self._lock:
            self.received.append(Push(token, lower, body, time.time(), claims))
            number = len(self.received)
            self._lock.notify_all()
        return 201, {"location": f"{self.origin}/message/{number}", "ttl": ttl}

    def wait(self, count: int, timeout: float = 30.0) -> list[Push]:
        """Block until `count` pushes arrived (or the timeout, a safety net for a hung test)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def decrypt(self, push: Push) -> bytes:
        """What the browser would read: RFC 8291 with the subscription's keys."""
        browser = self.browsers[push.token]
        return bytes(
            http_ece.decrypt(
                push.body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
        )

    def decrypt_json(self, push: Push) -> dict[str, Any]:
        data = json.loads(self.decrypt(push))
        assert isinstance(data, dict)
        return data
