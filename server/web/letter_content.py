"""The words of a decision, in French and in the reader's language.

One builder for both the decision page and the PDF letter, so they always say
the same thing: the frozen motivation of the decision (reason, the agent's own
words, legal basis, appeal routes and time limits) with the words around it
translated here, at the edge.
"""

from __future__ import annotations

from typing import Any

import i18n
from server import clock, translation
from server.domain import catalogue as catalogue_module
from server.domain import letters
from server.domain.decisions import Decision
from server.domain.letters import Block, Letter, Section
from server.templating import date as format_date
from server.translation import gettext, ngettext


def languages(reader: str) -> tuple[str, ...]:
    """French always (it is the decision), and the reader's language beside it."""
    if reader not in i18n.LANGUAGES or reader == "fr":
        return ("fr",)
    return ("fr", reader)


def section(decision: Decision, lang: str, corrected: Decision | None = None) -> Section:
    """Everything the decision says, in `lang` (the agent's free text stays as written)."""
    m: dict[str, Any] = decision.motivation
    with translation.language(lang):
        b: list[Block] = []
        add = lambda kind, text: b.append(Block(kind, text))  # noqa: E731
        if lang != "fr":
            add(
                "small",
                gettext("Traduction pour vous aider à comprendre. La décision est le texte en français."),
            )
        add("small", gettext("République française"))
        prefecture = m["prefecture"]
        add(
            "small",
            gettext("Préfecture : %(name)s (%(code)s)")
            % {"name": prefecture["name"], "code": prefecture["code"]},
        )
        add("title", gettext("Décision sur le dossier n° %(number)s") % {"number": m["number"]})
        add("text", gettext("Décision du %(date)s") % {"date": format_date(decision.decided_at)})
        if m.get("addressee"):
            add("text", gettext("Destinataire : %(name)s") % {"name": m["addressee"]})
        procedure = catalogue_module.load().procedures.get(m["procedure"])
        if procedure:
            add("text", gettext("Démarche : %(procedure)s") % {"procedure": procedure.label(lang)})
        if corrected is not None:
            add(
                "strong",
                gettext("Cette décision corrige et remplace la décision du %(date)s.")
                % {"date": format_date(corrected.decided_at)},
            )
        add("heading", gettext("Décision : %(outcome)s") % {"outcome": m["outcome"]["label"][lang]})
        add("text", m["outcome"]["summary"][lang])
        add("heading", gettext("Motif : %(reason)s") % {"reason": m["reason"]["label"][lang]})
        add("text", m["reason"]["explanation"][lang])
        if m.get("details"):
            if lang == "fr":
                add("heading", gettext("Précisions sur votre situation"))
            else:
                add(
                    "heading",
                    gettext("Précisions sur votre situation (écrites en français par la préfecture)"),
                )
            add("text", m["details"])
        if m["bases"]:
            add("heading", gettext("Base légale"))
            for basis in m["bases"]:
                code_name = m["codes"][basis["code"]][lang]
                if lang in letters.RTL:
                    # The article number on a line of its own: never reordered inside Arabic.
                    add("text", code_name)
                    add("reference", f"{basis['code']} {basis['article']}")
                else:
                    add(
                        "text",
                        gettext("Article %(article)s du %(code)s")
                        % {"article": basis["article"], "code": code_name},
                    )
        if m["appeals"]:
            add("heading", gettext("Comment contester cette décision"))
            for appeal in m["appeals"]:
                add("strong", appeal["label"][lang])
                months = int(appeal["months"])
                add(
                    "text",
                    ngettext(
                        "Délai : %(num)d mois à compter du jour où cette décision vous est notifiée.",
                        "Délai : %(num)d mois à compter du jour où cette décision vous est notifiée.",
                        months,
                    )
                    % {"num": months},
                )
                add("text", appeal["how"][lang])
                add("reference", f"{appeal['basis']['code']} {appeal['basis']['article']}")
        if m.get("removal_order_note"):
            add("text", m["removal_order_note"][lang])
        return Section(lang=lang, blocks=tuple(b))


def sections(decision: Decision, reader: str, corrected: Decision | None = None) -> list[Section]:
    return [section(decision, lang, corrected) for lang in languages(reader)]


def letter(decision: Decision, reader: str, corrected: Decision | None = None) -> Letter:
    m = decision.motivation
    with translation.language("fr"):
        title = gettext("Décision sur le dossier n° %(number)s") % {"number": m["number"]}
        footer = gettext("Sésame · dossier n° %(number)s · décision %(ref)s · éditée le %(date)s") % {
            "number": m["number"],
            "ref": decision.id[:8],
            "date": format_date(clock.iso(clock.now())),
        }
    return Letter(
        title=title,
        sections=tuple(sections(decision, reader, corrected)),
        footer=footer,
        language="fr",
        keywords=(m["outcome"]["id"], m["reason"]["id"]),
    )


def filename(decision: Decision) -> str:
    return f"decision-{decision.motivation['number']}-{decision.id[:8]}.pdf"
