"""E-mail over SMTP (the standard library's smtplib).

`SESAME_SMTP_URL` says where and how: `smtp://host:25` (plain, a local relay),
`smtp+starttls://user:password@host:587`, `smtps://user:password@host:465`.
The e-mail says what the SMS says (a neutral sentence and the address of the
app, never a name or a file number); its Message-ID derives from the send's
idempotency key, the same on every attempt.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from server.translation import gettext, language

from . import contacts
from .channels import SIGN, Message, Outcome

if TYPE_CHECKING:
    from server.store.db import Database

TIMEOUT = 20.0


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    mode: str  # plain | starttls | tls
    user: str
    password: str

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        modes = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}
        if parts.scheme not in modes or not parts.hostname:
            raise ValueError(
                f"SESAME_SMTP_URL: {url!r} is not smtp://, smtp+starttls:// or smtps://host[:port]"
            )
        mode = modes[parts.scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or {"plain": 25, "starttls": 587, "tls": 465}[mode],
            mode=mode,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


def compose(message: Message, sender: str, to: str, origin: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].strip(">") or "localhost"
    mail["Message-ID"] = f"<{message.key}@{domain}>"
    if message.discreet:
        mail["Subject"] = SIGN
        mail.set_content(SIGN)
        return mail
    with language(message.language):
        mail["Subject"] = message.title
        link = gettext("Ouvrir Sésame : %(link)s") % {"link": origin + "/"}
    mail.set_content(f"{message.text}\n\n{link}\n")
    return mail


class EmailSender:
    kind = "email"

    def __init__(self, url: str, sender: str, origin: str) -> None:
        self.target = SmtpTarget.parse(url)
        self.sender = sender
        self.origin = origin

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        if t.mode == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                t.host, t.port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(t.host, t.port, timeout=TIMEOUT)
            if t.mode == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if t.user:
            smtp.login(t.user, t.password)
        return smtp

    def send(self, db: Database, account_id: str, message: Message) -> list[Outcome]:
        to = contacts.confirmed_address(db, account_id, "email")
        if to is None:  # none, or not confirmed (ADR 0029): nothing to reach
            return []
        return self.deliver(to, message)

    def deliver(self, to: str, message: Message) -> list[Outcome]:
        """One message to one address (the organisation channel uses it too)."""
        mail = compose(message, self.sender, to, self.origin)
        try:
            with self._connect() as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused:
            return [Outcome(self.kind, "email", delivered=False, error="smtp_refused")]
        except smtplib.SMTPResponseException as error:
            # 4xx: try again later; 5xx: the server said no for good.
            code = error.smtp_code
            return [Outcome(self.kind, "email", False, f"smtp_{code}", retryable=400 <= code < 500)]
        except (TimeoutError, OSError, smtplib.SMTPException):
            return [Outcome(self.kind, "email", delivered=False, error="smtp_unreachable", retryable=True)]
        return [Outcome(self.kind, "email", delivered=True)]
