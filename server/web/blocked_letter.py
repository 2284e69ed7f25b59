"""The words of an "I'm blocked" acknowledgement, in the reader's language and
in French. One builder for the page and the PDF, so they always say the same.

What the right to another channel rests on, and what stays uncertain, is in
docs/adr/0016-blocked-reports-paper-files-claims.md: the acknowledgement proves
the date and the object of the report; it does not itself open the
substitution channel (the 2023 order leaves the finding of the impossibility to
the prefecture), and it says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import i18n
from server import clock, translation
from server.domain import geography
from server.domain.blockages import Report
from server.domain.letters import Block, Letter, Section
from server.templating import date as format_date
from server.templating import datetime_ as format_datetime
from server.translation import N_, gettext

KIND_LABELS = {
    "account": N_("Je ne peux pas créer de compte"),
    "signin": N_("Je ne peux pas me connecter"),
    "step": N_("Une étape de ma démarche échoue"),
    "upload": N_("Un document ne s’envoie pas"),
    "no_answer": N_("Je n’ai pas de réponse depuis plusieurs semaines"),
    "other": N_("Autre chose"),
}
ANSWER_LABELS = {
    "message": N_("Réponse de la préfecture"),
    "appointment": N_("Rendez-vous proposé par la préfecture"),
    "paper": N_("Votre demande est traitée sur papier"),
}
REFERENCES = (
    "CE, 3 juin 2022, La Cimade et autres, n° 452798",
    "Arrêté du 1er août 2023 (téléservice, titres de séjour)",
    "Défenseur des droits, décision n° 2022-061 du 24 février 2022",
)


def kind_label(kind: str) -> str:
    return gettext(KIND_LABELS.get(kind, kind))


def answer_label(kind: str) -> str:
    return gettext(ANSWER_LABELS.get(kind, kind))


@dataclass(frozen=True)
class Channel:
    """The prefecture's other channel as it wrote it, or where to look for it."""

    text: str | None
    info_url: str | None


def languages(reader: str) -> tuple[str, ...]:
    """The reader's language first (they read it), French beside it."""
    if reader not in i18n.LANGUAGES or reader == "fr":
        return ("fr",)
    return (reader, "fr")


def section(report: Report, lang: str, channel: Channel) -> Section:
    with translation.language(lang):
        b: list[Block] = []

        def add(kind: str, text: str) -> None:
            b.append(Block(kind, text))

        add("small", gettext("Sésame — accusé de réception écrit"))
        add("title", gettext("Accusé de réception n° %(number)s") % {"number": report.number})
        add("strong", gettext("Reçu le %(when)s.") % {"when": format_datetime(report.created_at)})
        add("text", gettext("Vous avez signalé : %(kind)s.") % {"kind": kind_label(report.kind)})
        if report.weeks:
            add("text", gettext("Sans réponse depuis %(weeks)s semaines.") % {"weeks": report.weeks})
        if report.details:
            add("text", gettext("Vos mots : %(details)s") % {"details": report.details})
        found = geography.get(report.departement)
        if found:
            add(
                "text", gettext("Préfecture : %(name)s (%(code)s)") % {"name": found.name, "code": found.code}
            )
            add(
                "strong",
                gettext("La préfecture s’engage à vous répondre au plus tard le %(due)s.")
                % {"due": format_date(report.due)},
            )
        else:
            add(
                "text",
                gettext(
                    "Vous n’avez pas choisi de préfecture : aucune préfecture ne recevra ce signalement."
                    " Cet accusé de réception prouve tout de même la date de votre démarche."
                ),
            )
        add("heading", gettext("Votre droit de déposer votre demande autrement qu’en ligne"))
        add(
            "text",
            gettext(
                "Le Conseil d’État a jugé le 3 juin 2022 que l’obligation de passer par un téléservice"
                " pour demander un titre de séjour n’est légale que si une solution de substitution existe"
                " pour les personnes qui ne peuvent pas l’utiliser, et si un accompagnement, y compris"
                " physique, est offert."
            ),
        )
        add(
            "text",
            gettext(
                "Depuis l’arrêté du 1er août 2023, la préfecture propose alors un rendez-vous pour déposer"
                " la demande, et peut accepter un dépôt par courrier ou par courriel. Le texte prévoit que"
                " la préfecture constate d’abord que le dépôt en ligne est impossible : cet accusé de"
                " réception prouve que vous l’avez signalé, et quand ; la réponse de la préfecture vaut ce"
                " constat."
            ),
        )
        add(
            "text",
            gettext(
                "Le Défenseur des droits recommande qu’une autre voie que le téléservice reste toujours"
                " ouverte, sans condition préalable. Vous pouvez aussi le saisir gratuitement si votre"
                " demande reste bloquée."
            ),
        )
        add("heading", gettext("L’autre voie à votre préfecture"))
        if channel.text:
            add("text", channel.text)
        elif found:
            add(
                "text",
                gettext(
                    "La préfecture n’a pas encore écrit ici comment déposer autrement. Sa page"
                    " d’information le dira :"
                ),
            )
        else:
            add(
                "text",
                gettext("Choisissez votre préfecture dans un nouveau signalement pour qu’elle vous réponde."),
            )
        if channel.info_url:
            add("reference", channel.info_url)
        add(
            "text",
            gettext(
                "Gardez cet accusé de réception (imprimé ou sur votre téléphone) et montrez-le au guichet"
                " ou joignez-le à votre courrier."
            ),
        )
        add("heading", gettext("Références"))
        for reference in REFERENCES:
            add("reference", reference)
        return Section(lang=lang, blocks=tuple(b))


def sections(report: Report, reader: str, channels: dict[str, Channel]) -> list[Section]:
    return [section(report, lang, channels[lang]) for lang in languages(reader)]


def letter(report: Report, reader: str, channels: dict[str, Channel]) -> Letter:
    with translation.language("fr"):
        title = gettext("Accusé de réception n° %(number)s") % {"number": report.number}
        footer = gettext("Sésame · accusé de réception %(number)s · édité le %(date)s") % {
            "number": report.number,
            "date": format_date(clock.iso(clock.now())),
        }
    return Letter(
        title=title,
        sections=tuple(sections(report, reader, channels)),
        footer=footer,
        language="fr",
        keywords=(report.number, report.kind),
    )


def filename(report: Report) -> str:
    return f"accuse-reception-{report.number}.pdf"
