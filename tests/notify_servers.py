"""Local servers the notification tests send to: a real SMTP server (aiosmtpd)
and an HTTP SMS provider that checks every request it gets; and a sender that
records what the dispatcher hands it."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from server.notify import smsparts
from server.notify.channels import Message, Outcome


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.times: list[float] = []  # when each arrived (time.time())
        self.refuse: set[str] = set()  # recipients answered 550
        self.busy = 0  # answer 451 this many times

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.busy:
            self.busy -= 1
            return "451 try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        self.times.append(time.time())
        return "250 Message accepted"


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = _Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@dataclass
class SmsProviderServer:
    """A provider speaking the JSON API of server/notify/sms.py. It checks the
    token, the sender and every part (encoding, lengths), answers 202, and
    keeps one copy per Idempotency-Key, as a provider that honours keys does."""

    token: str = "test-token"
    sender: str = "Sesame"
    requests: list[dict[str, Any]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # when each request arrived
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # status codes to answer first
    hold: threading.Event | None = None  # when set: wait for it before answering
    arrived: threading.Event = field(default_factory=threading.Event)

    def check(self, headers: Any, body: dict[str, Any]) -> None:
        if headers.get("Authorization") != f"Bearer {self.token}":
            self.problems.append("token")
        if headers.get("Idempotency-Key") != body.get("reference"):
            self.problems.append("key")
        if body.get("from") != self.sender or not str(body.get("to", "")).startswith("+"):
            self.problems.append("addresses")
        parts = body.get("parts") or []
        encoding = body.get("encoding")
        if encoding not in ("GSM-7", "UCS-2") or not parts:
            self.problems.append("encoding")
            return
        text = "".join(parts)
        if encoding == "GSM-7" and not smsparts.is_gsm7(text):
            self.problems.append("not gsm-7")
        if encoding == "UCS-2" and smsparts.is_gsm7(text):
            self.problems.append("ucs-2 for a gsm-7 text")
        limit = smsparts.SINGLE[encoding] if len(parts) == 1 else smsparts.PART[encoding]
        if any(smsparts.length(p, encoding) > limit for p in parts):
            self.problems.append("part too long")

    def __enter__(self) -> SmsProviderServer:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                size = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(size).decode())
                provider.requests.append(body)
                provider.times.append(time.time())
                provider.check(self.headers, body)
                provider.arrived.set()
                if provider.hold is not None:
                    provider.hold.wait(60)
                    return  # no answer: the test killed the caller
                if provider.fail_next:
                    self.send_response(provider.fail_next.pop(0))
                    self.end_headers()
                    return
                provider.accepted.setdefault(body["reference"], body)
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status":"queued"}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/messages"

    def __exit__(self, *exc: object) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Recorder:
    """A sender that keeps what it is handed (for the dispatcher's own rules)."""

    kind: str
    sent: list[tuple[str, Message]] = field(default_factory=list)
    answers: list[Outcome] = field(default_factory=list)  # the next outcomes, in order

    def send(self, db: Any, account_id: str, message: Message) -> list[Outcome]:
        self.sent.append((account_id, message))
        if self.answers:
            return [self.answers.pop(0)]
        return [Outcome(self.kind, self.kind, delivered=True)]
