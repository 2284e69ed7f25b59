"""SMS: one sender, an adapter per provider behind one interface.

`SmsSender` finds the person's number, makes the text (the neutral sentence,
or one sign when discreet), encodes and splits it (smsparts.py), and hands it
to the provider adapter. `HttpSmsProvider` speaks a generic JSON API: one POST
per message with a bearer token,

    POST $SESAME_SMS_URL
    Authorization: Bearer $SESAME_SMS_TOKEN
    Idempotency-Key: <send id, the same on every attempt>
    {"from": $SESAME_SMS_SENDER, "to": "+33612345678", "encoding": "GSM-7",
     "parts": ["…"], "reference": "<send id>"}

2xx: accepted; 408, 429 and 5xx, a timeout, a refused connection: try again
later; any other answer: refused for good (a number that does not exist).
Another provider is another class with the same `submit`.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from . import contacts, smsparts
from .channels import Message, Outcome

if TYPE_CHECKING:
    from server.store.db import Database

TIMEOUT = 20.0


@dataclass(frozen=True)
class Answer:
    accepted: bool
    error: str | None = None
    retryable: bool = False


class SmsProvider(Protocol):
    def submit(self, to: str, sms: smsparts.Sms, key: str) -> Answer: ...


def international(phone: str, country_code: str = "33") -> str:
    """+E.164 from what a person typed: "06 12 34 56 78" → "+33612345678"."""
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("+"):
        return "+" + digits[1:].replace("+", "")
    if digits.startswith("0") and len(digits) == 10:
        return f"+{country_code}{digits[1:]}"
    return "+" + digits


class HttpSmsProvider:
    def __init__(self, url: str, token: str, sender: str) -> None:
        self.url = url
        self.token = token
        self.sender = sender

    def submit(self, to: str, sms: smsparts.Sms, key: str) -> Answer:
        body = json.dumps(
            {
                "from": self.sender,
                "to": to,
                "encoding": sms.encoding,
                "parts": list(sms.parts),
                "reference": key,
            },
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as error:
            code = error.code
            error.close()
            return Answer(False, f"http_{code}", retryable=code in (408, 429) or code >= 500)
        except (urllib.error.URLError, OSError):
            return Answer(False, "sms_unreachable", retryable=True)
        return Answer(True)


class SmsSender:
    kind = "sms"

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    def send(self, db: Database, account_id: str, message: Message) -> list[Outcome]:
        phone = contacts.confirmed_address(db, account_id, "sms")
        if phone is None:  # none, or not confirmed (ADR 0029): nothing to reach
            return []
        return self.deliver(phone, message)

    def deliver(self, phone: str, message: Message) -> list[Outcome]:
        """One message to one number (a confirmation code goes to a number not yet confirmed)."""
        answer = self.provider.submit(international(phone), smsparts.split(message.body), message.key)
        return [Outcome(self.kind, "sms", answer.accepted, answer.error, answer.retryable)]
