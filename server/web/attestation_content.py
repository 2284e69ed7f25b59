"""The words of an attestation, in any language: one builder for the card page
and the PDF, so both always say the same thing (ADR 0015).

Everything comes from the attestation's frozen claims (names, dates, grounds,
rights) and its state; the words around them are translated here, at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import i18n
from server import translation
from server.domain import attestation_pdf, attestations, geography, letters
from server.domain import catalogue as catalogue_module
from server.domain.attestations import Attestation
from server.domain.letters import Block
from server.translation import gettext

from .texts import long_date


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    ltr: bool = False  # a number or a code: kept left to right inside Arabic


@dataclass(frozen=True)
class Words:
    lang: str
    title: str
    state: str  # valid | expired | replaced | ended | revoked
    state_text: str
    rows: tuple[Row, ...]
    rights: tuple[str, ...]
    check: str
    code_label: str


def isolate(text: str, lang: str) -> str:
    """A code inside right-to-left text, kept whole and left to right (U+2066 … U+2069)."""
    return f"\u2066{text}\u2069" if lang in letters.RTL else text


def languages(reader: str) -> tuple[str, ...]:
    """French first (the language of the administration), then the reader's."""
    if reader not in i18n.LANGUAGES or reader == "fr":
        return ("fr",)
    return ("fr", reader)


def title(att: Attestation) -> str:
    if att.provisional:
        return gettext("Attestation de prolongation d’instruction")
    return gettext("Preuve de dépôt d’une demande de titre de séjour")


def state_text(att: Attestation, today: date) -> tuple[str, str]:
    state = att.state_on(today)
    until = long_date(att.valid_until) if att.valid_until else ""
    ended = long_date(att.ended_at) if att.ended_at else ""
    texts = {
        "valid": gettext("Valable jusqu’au %(date)s") % {"date": until},
        "expired": gettext("Expirée depuis le %(date)s") % {"date": until},
        "replaced": gettext(
            "Remplacée par une attestation plus récente le %(ended)s (valable jusqu’au %(date)s)"
        )
        % {"ended": ended, "date": until},
        "ended": gettext("Terminée le %(date)s") % {"date": ended},
        "revoked": gettext("Annulée le %(date)s : le dossier a été retiré") % {"date": ended},
    }
    return state, texts[state]


def words(att: Attestation, lang: str, origin: str, today: date) -> Words:
    """What the attestation says, in `lang`."""
    c = att.claims
    cat = catalogue_module.load()
    with translation.language(lang):
        procedure = cat.procedures.get(str(c.get(attestations.C_PROCEDURE)))
        grounds = [cat.grounds[g].label(lang) for g in c.get(attestations.C_GROUNDS, []) if g in cat.grounds]
        place = geography.get(str(c.get(attestations.C_PREFECTURE)))
        holder = " ".join(
            v
            for v in (str(c.get(attestations.C_GIVEN, "")), str(c.get(attestations.C_FAMILY, "")).upper())
            if v
        )
        rows = [
            Row(gettext("Titulaire"), holder),
            Row(gettext("Date de naissance"), long_date(str(c.get(attestations.C_BIRTH, "")))),
            Row(gettext("Dossier n°"), str(c.get(attestations.C_NUMBER, "")), ltr=True),
            Row(gettext("Préfecture"), f"{place.name} ({place.code})" if place else ""),
            Row(gettext("Démarche"), procedure.label(lang) if procedure else ""),
        ]
        if grounds:
            rows.append(Row(gettext("Motif de la demande"), " ; ".join(grounds)))
        issued = attestations.from_days(int(c[attestations.C_ISSUED]))
        rows.append(Row(gettext("Délivrée le"), long_date(issued.isoformat())))
        until = attestations.from_days(int(c[attestations.C_UNTIL]))
        rows.append(Row(gettext("Valable jusqu’au"), long_date(until.isoformat())))
        rights: list[str] = []
        if att.provisional:
            rights.append(
                gettext(
                    "La demande de la personne est en cours d’examen par la préfecture : son droit au"
                    " séjour continue jusqu’à la date de fin de cette attestation."
                )
            )
            rights.append(
                gettext("Elle a le droit de travailler en France.")
                if att.work_allowed
                else gettext("Cette attestation ne donne pas le droit de travailler.")
            )
        else:
            rights.append(
                gettext(
                    "La demande a été envoyée à la préfecture le %(date)s et n’a pas encore reçu de décision."
                    " Cette preuve de dépôt ne donne pas de droit par elle-même : les droits de la personne"
                    " sont ceux de ses papiers actuels."
                )
                % {"date": long_date(issued.isoformat())}
            )
        if att.until_card and att.in_force:
            rights.append(
                gettext(
                    "La demande a été acceptée : cette attestation reste valable jusqu’à la remise de la carte."
                )
            )
        state, said = state_text(att, today)
        check = gettext(
            "Pour la vérifier : %(url)s — scannez le code QR, ou saisissez le code %(code)s et la date de naissance."
        ) % {"url": f"{origin}/verify", "code": isolate(att.code, lang)}
        return Words(
            lang=lang,
            title=title(att),
            state=state,
            state_text=said,
            rows=tuple(rows),
            rights=tuple(rights),
            check=check,
            code_label=gettext("Code de vérification"),
        )


def sheet(w: Words) -> attestation_pdf.Sheet:
    blocks = [Block("title", w.title)]
    if w.lang != "fr":
        with translation.language(w.lang):
            blocks.append(
                Block("small", gettext("Traduction pour vous aider. Le texte qui fait foi est en français."))
            )
    blocks.append(Block("strong", w.state_text))
    for row in w.rows:
        # A number on its own left-to-right line in French; inside Arabic, the line is
        # right to left and the number is isolated (letters.write_section).
        kind = "reference" if row.ltr and w.lang not in letters.RTL else "text"
        blocks.append(Block(kind, f"{row.label} : {row.value}"))
    blocks.append(Block("heading", _heading(w.lang)))
    blocks.extend(Block("text", r) for r in w.rights)
    blocks.append(Block("small", w.check))
    return attestation_pdf.Sheet(lang=w.lang, blocks=tuple(blocks), code_label=w.code_label)


def _heading(lang: str) -> str:
    with translation.language(lang):
        return gettext("Ce que cette attestation permet")


def document(
    att: Attestation, reader: str, origin: str, today: date, qr_text: str | None, photo: bytes | None
) -> attestation_pdf.Document:
    sheets = tuple(sheet(words(att, lang, origin, today)) for lang in languages(reader))
    with translation.language("fr"):
        footer = gettext("Sésame — attestation %(code)s") % {"code": att.code}
    return attestation_pdf.Document(
        title=sheets[0].blocks[0].text,
        code=att.code,
        qr_text=qr_text,
        photo=photo,
        sheets=sheets,
        footer=footer,
        language=reader,
    )


def filename(att: Attestation) -> str:
    return f"attestation-{att.id}.pdf"
