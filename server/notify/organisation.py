"""The person's outreach organisation as a channel (issue 12's mandates).

A person who gave an organisation a live mandate, and ticked "tell my
organisation too", has each notice also sent to that organisation: an e-mail
to its contact address, over the same SMTP settings, saying only that a person
it follows has news — never who (the e-mail crosses networks the person never
chose). The workers see who, signed in, on `/worker/reach`, with the messages
that could not reach the people they follow.

One outcome per organisation (the channel id is the organisation's id); an
organisation suspended, a mandate revoked or expired: nothing to reach.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from server import clock
from server.translation import N_, gettext, language

from .channels import Message, Outcome
from .mail import EmailSender

if TYPE_CHECKING:
    from server.store.db import Database

TEXT = N_("Sésame : une personne que vous accompagnez a du nouveau. Ouvrez l’application.")
LIVE = (
    "SELECT DISTINCT o.id, o.contact_email FROM mandates m JOIN organisations o ON o.id = m.organisation_id"
    " WHERE m.person_id = ? AND o.status = 'approved' AND m.revoked_at IS NULL AND m.expires_at > ?"
    " ORDER BY o.id"
)


def live_organisations(conn: sqlite3.Connection, person_id: str) -> list[sqlite3.Row]:
    return list(conn.execute(LIVE, (person_id, clock.iso(clock.now()))))


class OrganisationSender:
    kind = "organisation"

    def __init__(self, mail: EmailSender) -> None:
        self.mail = mail

    def send(self, db: Database, account_id: str, message: Message) -> list[Outcome]:
        found = db.read_sync(live_organisations, account_id)
        outcomes = []
        for org in found:
            if not org["contact_email"]:
                outcomes.append(Outcome(self.kind, org["id"], delivered=False, error="no_address"))
                continue
            # The organisation reads French (its workers' pages are in their own language).
            with language("fr"):
                title, text = gettext("Sésame"), gettext(TEXT)
            relayed = Message(
                key=f"{message.key}:{org['id']}",
                language="fr",
                title=title,
                text=text,
                path="/worker/reach",
                topics=message.topics,
            )
            (sent,) = self.mail.deliver(org["contact_email"], relayed)
            outcomes.append(Outcome(self.kind, org["id"], sent.delivered, sent.error, sent.retryable))
        return outcomes
