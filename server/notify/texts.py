"""What a notification says: one neutral sentence per topic, in the person's
language, and nothing else.

Never a name, a file number, a reason, a ground or a document: a phone is
shared, an SMS is read over a shoulder, a push notification shows on a locked
screen. The sentence says that something is waiting and asks the person to
open the app, where they see the rest after signing in. Each sentence fits one
SMS (GSM-7 in French and English, UCS-2 in Arabic: tests/test_notify_texts.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from server.translation import N_, gettext, language

from .channels import Message

TITLE = N_("Sésame")

# topic → sentence. The "days" topics say how many days are left: a count,
# nothing about what is due or why.
TEXTS = {
    "complement_asked": N_("Sésame : la préfecture attend une réponse de votre part. Ouvrez l’application."),
    "complement_due_7": N_(
        "Sésame : il vous reste 7 jours pour répondre à la préfecture. Ouvrez l’application."
    ),
    "complement_due_2": N_(
        "Sésame : il vous reste 2 jours pour répondre à la préfecture. Ouvrez l’application."
    ),
    "decision": N_("Sésame : la préfecture a pris une décision. Ouvrez l’application."),
    "attestation_issued": N_("Sésame : une nouvelle attestation vous attend. Ouvrez l’application."),
    "attestation_renewed": N_("Sésame : votre attestation a été renouvelée. Ouvrez l’application."),
    "attestation_ends_30": N_("Sésame : votre attestation prend fin dans 30 jours. Ouvrez l’application."),
    "attestation_ends_7": N_("Sésame : votre attestation prend fin dans 7 jours. Ouvrez l’application."),
    "appointment_booked": N_("Sésame : votre rendez-vous est enregistré. Ouvrez l’application."),
    "appointment_moved": N_("Sésame : votre rendez-vous a changé. Ouvrez l’application."),
    "appointment_tomorrow": N_("Sésame : vous avez un rendez-vous demain. Ouvrez l’application."),
    "prefecture_message": N_("Sésame : la préfecture vous a écrit. Ouvrez l’application."),
    "blockage_answered": N_("Sésame : la préfecture a répondu à votre signalement. Ouvrez l’application."),
}
DIGEST = N_("Sésame : plusieurs nouvelles vous attendent. Ouvrez l’application.")
TOPICS = tuple(TEXTS)


def sentence(topics: Sequence[str], lang: str) -> str:
    """The sentence for what a notice gathers, in `lang`: the topic's own when
    there is one kind of news, the digest's when there are several."""
    kinds = sorted(set(topics))
    source = TEXTS[kinds[0]] if len(kinds) == 1 else DIGEST
    with language(lang):
        return gettext(source)


def message(*, key: str, topics: Sequence[str], lang: str, path: str, discreet: bool) -> Message:
    if discreet:
        return Message(
            key=key, language=lang, title="", text="", path=path, discreet=True, topics=tuple(topics)
        )
    with language(lang):
        title = gettext(TITLE)
    return Message(
        key=key,
        language=lang,
        title=title,
        text=sentence(topics, lang),
        path=path,
        discreet=False,
        topics=tuple(topics),
    )
