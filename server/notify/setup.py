"""The senders this process uses, by its settings: e-mail when SESAME_SMTP_URL
is set, SMS when SESAME_SMS_URL is, Web Push always (its VAPID key is made on
first use when none is set, ADR 0024). Other channels (organisations) register
theirs here too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import channels, webpush
from .dispatch import Policy
from .mail import EmailSender
from .organisation import OrganisationSender
from .sms import HttpSmsProvider, SmsSender

if TYPE_CHECKING:
    from server.settings import Settings


def configure(settings: Settings) -> Policy:
    """Register the senders the settings allow; return the dispatcher's policy."""
    if settings.smtp_url:
        mail = EmailSender(settings.smtp_url, settings.mail_from, settings.origin)
        channels.register(mail)
        # The person's organisation, by e-mail to its contact address (with a live mandate).
        channels.register(OrganisationSender(mail))
    else:
        channels.unregister("email")
        channels.unregister("organisation")
    if settings.sms_url:
        channels.register(
            SmsSender(HttpSmsProvider(settings.sms_url, str(settings.sms_token), settings.sms_sender))
        )
    else:
        channels.unregister("sms")
    # A bad SESAME_VAPID_PRIVATE_KEY stops the start here, with why.
    webpush.register(settings)
    return policy(settings)


def policy(settings: Settings) -> Policy:
    return Policy(
        digest_minutes=settings.notify_digest_minutes,
        max_attempts=settings.notify_max_attempts,
        retry_seconds=settings.notify_retry_seconds,
        lease_seconds=settings.notify_lease_seconds,
    )
