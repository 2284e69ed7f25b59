"""The channels over real protocols: e-mail to a real SMTP server (aiosmtpd),
SMS to a local HTTP provider that checks each request; SMS encoding and
splitting (unit and property tests); and, through both, nothing sensitive
leaves whatever the trigger."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import i18n
from server.notify import channels, dispatch, smsparts, texts
from server.notify.channels import Message
from server.notify.mail import EmailSender, SmtpTarget
from server.notify.sms import HttpSmsProvider, SmsSender, international

from .notify_servers import SmsProviderServer, SmtpServer
from .test_attestations import FakeClock, decide
from .test_complements import a_piece, submitted_renewal
from .test_files_http import agent_command, file_row
from .test_notify import as_person, confirmed, owner

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- SMS encoding and splitting ------------------------------------------------


def test_every_sentence_is_one_sms_gsm7_in_french_and_english_ucs2_in_arabic() -> None:
    for lang in i18n.LANGUAGES:
        for topics in [[t] for t in texts.TOPICS] + [list(texts.TOPICS)]:
            sms = smsparts.split(texts.sentence(topics, lang))
            assert len(sms.parts) == 1, (lang, topics, sms)
            assert sms.encoding == ("UCS-2" if lang == "ar" else "GSM-7"), (lang, topics)
    # The apostrophe and no-break spaces of French typography cost nothing.
    assert smsparts.split("l’application\u00a0: «\u202foui\u202f»").parts == ('l\'application : " oui "',)


def test_splitting_at_the_limits() -> None:
    assert smsparts.split("a" * 160) == smsparts.Sms("GSM-7", ("a" * 160,))
    assert [len(p) for p in smsparts.split("a" * 161).parts] == [153, 8]
    # An extension character takes two septets and never straddles two parts.
    assert smsparts.length("€", "GSM-7") == 2 and smsparts.split("€" * 80).parts == ("€" * 80,)
    parts = smsparts.split("a" * 152 + "€" + "b" * 10).parts  # 164 septets: two parts
    assert parts == ("a" * 152, "€" + "b" * 10)
    arabic = "ب" * 70
    assert smsparts.split(arabic) == smsparts.Sms("UCS-2", (arabic,))
    assert [len(p) for p in smsparts.split("ب" * 71).parts] == [67, 4]
    # One character outside GSM-7 makes the whole message UCS-2.
    assert smsparts.split("a" * 100 + "ç").encoding == "UCS-2"
    # A character outside the BMP is two UTF-16 units, never split.
    emoji = "a" * 66 + "😀" + "b" * 10
    assert smsparts.split(emoji).parts == ("a" * 66, "😀" + "b" * 10)


ALPHABET = st.sampled_from(
    list(smsparts.GSM7_BASIC + smsparts.GSM7_EXTENSION) + list("بتثجحخدذرزسشصضطظعغفقكلمنهوي😀çê’ ")
)


@given(st.text(alphabet=ALPHABET, max_size=700))
def test_parts_join_back_and_each_fits(text: str) -> None:
    sms = smsparts.split(text)
    assert sms.text == smsparts.plain(text)
    assert sms.encoding == ("GSM-7" if smsparts.is_gsm7(sms.text) else "UCS-2")
    if len(sms.parts) == 1:
        assert smsparts.length(sms.parts[0], sms.encoding) <= smsparts.SINGLE[sms.encoding]
    else:
        assert all(0 < smsparts.length(p, sms.encoding) <= smsparts.PART[sms.encoding] for p in sms.parts)
        # As few parts as the limit allows: each but the last is full or next char would overflow it.
        for part, after in zip(sms.parts, sms.parts[1:], strict=False):
            room = smsparts.PART[sms.encoding] - smsparts.length(part, sms.encoding)
            assert smsparts.length(after[0], sms.encoding) > room


def test_numbers_become_international() -> None:
    assert international("06 12 34 56 78") == "+33612345678"
    assert international("0033 6 12 34 56 78") == "+33612345678"
    assert international("+213 (5) 55-12-34-56") == "+213555123456"


# -- the channels against local servers ------------------------------------------


def message(lang: str = "fr", discreet: bool = False) -> Message:
    return texts.message(
        key=str(uuid.uuid4()), topics=["prefecture_message"], lang=lang, path="/", discreet=discreet
    )


class Contacts:
    """A Database stand-in for the senders: they only read the account's address, and
    whether the person confirmed it (ADR 0029; confirmed unless told otherwise)."""

    def __init__(self, email: str | None = None, phone: str | None = None, confirmed: bool = True) -> None:
        self.addresses = {"email": email, "phone": phone}
        self.confirmed = confirmed

    def read_sync(self, fn):  # noqa: ANN001, ANN201
        class Conn:
            def execute(_self, sql, args):  # noqa: ANN001, ANN202, N805
                address = self.addresses["phone" if "phone" in sql else "email"]

                class Rows:
                    def fetchone(_rows):  # noqa: ANN202, N805
                        return {"address": address, "confirmed": address if self.confirmed else None}

                return Rows()

        return fn(Conn())


def test_smtp_urls() -> None:
    assert SmtpTarget.parse("smtp://127.0.0.1:2525") == SmtpTarget("127.0.0.1", 2525, "plain", "", "")
    assert SmtpTarget.parse("smtps://u%40x:p%3Aw@mail.example") == SmtpTarget(
        "mail.example", 465, "tls", "u@x", "p:w"
    )
    assert SmtpTarget.parse("smtp+starttls://mail.example").port == 587
    with pytest.raises(ValueError):
        SmtpTarget.parse("http://mail.example")


def test_email_through_a_real_smtp_server() -> None:
    with SmtpServer() as smtp:
        sender = EmailSender(smtp.url, "Sésame <sesame@example.org>", "https://sesame.example")
        sent = message("ar")
        outcome = sender.send(Contacts(email="amina@example.org"), "a1", sent)  # type: ignore[arg-type]
        assert [o.delivered for o in outcome] == [True]
        ((rcpt, mail),) = smtp.mailbox.messages
        assert rcpt == ["amina@example.org"]
        assert mail["Message-ID"] == f"<{sent.key}@example.org>"
        assert mail["Subject"] == "Sésame"
        body = mail.get_content()
        assert body.startswith(sent.text) and "https://sesame.example/" in body
        # Discreet: a sign, nothing to read.
        sender.send(Contacts(email="amina@example.org"), "a1", message(discreet=True))  # type: ignore[arg-type]
        discreet = smtp.mailbox.messages[1][1]
        assert discreet["Subject"] == channels.SIGN and discreet.get_content().strip() == channels.SIGN
        # No address, or one not confirmed: nothing to reach; a refused address: failed for
        # good; busy: try later.
        assert sender.send(Contacts(), "a1", sent) == []  # type: ignore[arg-type]
        assert sender.send(Contacts(email="amina@example.org", confirmed=False), "a1", sent) == []  # type: ignore[arg-type]
        smtp.mailbox.refuse.add("gone@example.org")
        (refused,) = sender.send(Contacts(email="gone@example.org"), "a1", sent)  # type: ignore[arg-type]
        assert (refused.delivered, refused.error, refused.retryable) == (False, "smtp_refused", False)
        smtp.mailbox.busy = 1
        (busy,) = sender.send(Contacts(email="amina@example.org"), "a1", sent)  # type: ignore[arg-type]
        assert (busy.delivered, busy.error, busy.retryable) == (False, "smtp_451", True)
    (down,) = sender.send(Contacts(email="amina@example.org"), "a1", sent)  # type: ignore[arg-type]
    assert (down.delivered, down.error, down.retryable) == (False, "smtp_unreachable", True)


def test_sms_through_a_local_provider_that_checks_requests() -> None:
    with SmsProviderServer() as provider:
        sender = SmsSender(HttpSmsProvider(provider.url, provider.token, provider.sender))
        fr, ar = message("fr"), message("ar")
        assert [o.delivered for o in sender.send(Contacts(phone="06 12 34 56 78"), "a1", fr)] == [True]  # type: ignore[arg-type]
        assert [o.delivered for o in sender.send(Contacts(phone="+213555123456"), "a1", ar)] == [True]  # type: ignore[arg-type]
        assert provider.problems == []
        first, second = provider.requests
        assert first["to"] == "+33612345678" and first["encoding"] == "GSM-7"
        assert first["parts"] == ["Sésame : la préfecture vous a écrit. Ouvrez l'application."]
        assert second["encoding"] == "UCS-2" and "".join(second["parts"]) == ar.text
        # A long text is cut into concatenated parts the provider accepts.
        long = Message(key="k-long", language="fr", title="Sésame", text="é" * 200, path="/")
        sender.send(Contacts(phone="0612345678"), "a1", long)  # type: ignore[arg-type]
        assert [len(p) for p in provider.requests[-1]["parts"]] == [153, 47] and provider.problems == []
        # Discreet: one sign.
        sender.send(Contacts(phone="0612345678"), "a1", message(discreet=True))  # type: ignore[arg-type]
        assert provider.requests[-1]["parts"] == [channels.SIGN]
        # Busy: try later; a bad request: refused for good; a wrong token is seen by the provider.
        provider.fail_next = [503, 400]
        (busy,) = sender.send(Contacts(phone="0612345678"), "a1", fr)  # type: ignore[arg-type]
        (bad,) = sender.send(Contacts(phone="0612345678"), "a1", fr)  # type: ignore[arg-type]
        assert (busy.error, busy.retryable, bad.error, bad.retryable) == ("http_503", True, "http_400", False)
        SmsSender(HttpSmsProvider(provider.url, "wrong", provider.sender)).send(
            Contacts(phone="0612345678"),
            "a1",
            fr,  # type: ignore[arg-type]
        )
        assert provider.problems == ["token"]
        assert sender.send(Contacts(), "a1", fr) == []  # type: ignore[arg-type]
        assert sender.send(Contacts(phone="0612345678", confirmed=False), "a1", fr) == []  # type: ignore[arg-type]


# -- nothing sensitive leaves, whatever the trigger ------------------------------------


def test_what_leaves_on_the_wire_names_nothing(app, make_person, monkeypatch) -> None:
    clock = FakeClock(monkeypatch, START)
    with SmtpServer() as smtp, SmsProviderServer() as provider:
        channels.register(EmailSender(smtp.url, "Sésame <sesame@example.org>", "https://sesame.example"))
        channels.register(SmsSender(HttpSmsProvider(provider.url, provider.token, provider.sender)))
        try:
            p, file_id = submitted_renewal(app, make_person)
            account_id = owner(app, file_id)
            prefs = {"phone": "06 12 34 56 78", "email": "a.d@example.org"}
            assert as_person(app, account_id, "notify.preferences", prefs).applied
            confirmed(app.state.db, account_id, "email", "sms")
            secrets = [
                "Aminata",
                p.name,
                file_row(app, file_id)["number"],
                a_piece(file_id),
                "Page illisible",
                "passeport",
                "contrat de travail",
            ]
            item = {
                "kind": "piece",
                "target": a_piece(file_id),
                "reason": "Page illisible.",
                "due": "2026-03-22",
            }
            assert agent_command(app, "complement.request", {"file_id": file_id, "items": [item]}).applied
            body = "Venez avec votre passeport."
            agent_command(
                app, "message.send", {"file_id": file_id, "message_id": str(uuid.uuid4()), "body": body}
            )
            policy = dispatch.Policy(digest_minutes=0)
            dispatch.run(app.state.db, policy)
            clock.moment += timedelta(days=13, hours=1)  # 7 days before the due date, 10:00 in Paris
            dispatch.run(app.state.db, policy)
            assert decide(app, file_id, "refused").applied
            dispatch.run(app.state.db, policy)
        finally:
            channels.unregister("email")
            channels.unregister("sms")
    assert len(smtp.mailbox.messages) == len(provider.accepted) == 3
    # Every header decoded, and the decoded body (the raw one is base64: it would hide anything).
    wire = [
        "\n".join(f"{k}: {v}" for k, v in m.items()) + "\n" + m.get_content()
        for _, m in smtp.mailbox.messages
    ] + ["".join(r["parts"]) for r in provider.requests]
    for text in wire:
        for secret in secrets:
            assert secret.lower() not in text.lower(), secret
    assert provider.problems == []
