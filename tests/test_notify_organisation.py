"""The person's organisation as a channel (with their mandate), and the
messages that could not reach a person shown to the workers who follow them."""

from __future__ import annotations

from datetime import timedelta

from server.notify import channels, dispatch
from server.notify.channels import Outcome
from server.notify.mail import EmailSender
from server.notify.organisation import OrganisationSender

from .notify_servers import Recorder, SmtpServer
from .orgs import approved_organisation, grant, person_actor, run, signed_in_client, worker_account
from .test_complements import submitted_renewal
from .test_notify import START, as_person, ask, owner

NO_DIGEST = dispatch.Policy(digest_minutes=0)


def test_the_organisation_is_told_without_a_name_and_its_workers_see_who_was_not_reached(
    app, settings, make_person, monkeypatch
) -> None:
    from .test_attestations import FakeClock

    clock = FakeClock(monkeypatch, START)
    sms = Recorder("sms", answers=[Outcome("sms", "sms", False, "http_400")])
    with SmtpServer() as smtp:
        mail = EmailSender(smtp.url, "Sésame <sesame@example.org>", "https://sesame.example")
        channels.register(sms)
        channels.register(OrganisationSender(mail))
        try:
            p, file_id = submitted_renewal(app, make_person)
            person = owner(app, file_id)
            org = app.state.db.write_sync(approved_organisation)
            worker = app.state.db.write_sync(lambda c: worker_account(c, org.id))
            # Without a mandate, no box to tick on the account page.
            assert "Prévenir aussi mon organisation" not in p.client.get("/account").text
            mandate = grant(app, person, org.id)
            page = p.client.get("/account").text
            assert "Prévenir aussi mon organisation d’accompagnement\u00a0: Abri Solidaire" in page
            prefs = {"phone": "0612345678", "by_organisation": "1"}
            assert as_person(app, person, "notify.preferences", prefs).applied

            ask(app, file_id, START.date() + timedelta(days=20))
            dispatch.run(app.state.db, NO_DIGEST)
            ((rcpt, sent),) = smtp.mailbox.messages
            assert rcpt == ["claire@abri.example"]
            body = sent.get_content()
            assert "Sésame\u00a0: une personne que vous accompagnez a du nouveau." in body
            assert p.name not in body and "Aminata" not in body
            states = app.state.db.read_sync(
                # (push too is a channel: with no device its send is dropped)
                lambda c: dict(c.execute("SELECT channel, state FROM notify_sends WHERE channel != 'push'").fetchall())
            )
            assert states == {"sms": "failed", "organisation": "sent"}

            # The worker sees who, signed in: the failure first, and when the organisation was told.
            with signed_in_client(app, settings, worker.id) as client:
                reach = client.get("/worker/reach")
            assert reach.status_code == 200
            assert p.name in reach.text
            assert "Sésame n’a pas pu joindre cette personne par SMS le 2 mars 2026." in reach.text
            assert "Votre organisation a été prévenue d’une nouvelle le" in reach.text
            # The number was never confirmed (ADR 0029): the worker can help the person do it.
            assert 'data-unconfirmed="sms"' in reach.text and 'data-unconfirmed="email"' not in reach.text

            # The mandate withdrawn: the organisation hears nothing more, its workers see nothing.
            assert run(app, person_actor(person), "mandate.revoke", mandate_id=mandate).applied
            clock.moment += timedelta(hours=1)
            message = {"file_id": file_id, "message_id": "6b3f8c9e-2d41-4c5a-9e7b-1f0a2b3c4d5e", "body": "x"}
            from .test_files_http import agent_command

            assert agent_command(app, "message.send", message).applied
            dispatch.run(app.state.db, NO_DIGEST)
            assert len(smtp.mailbox.messages) == 1
            with signed_in_client(app, settings, worker.id) as client:
                assert p.name not in client.get("/worker/reach").text
        finally:
            channels.unregister("sms")
            channels.unregister("organisation")
