"""Words for files: field labels and hints, problems, statuses, timeline events.

The domain speaks in codes and ids; this is where they become sentences in the
reader's language (catalogue texts carry their own three languages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from server import translation
from server.domain import attestations, decision_reasons, geography
from server.domain import catalogue as catalogue_module
from server.domain.files import FIELDS, File
from server.domain.timeline import Event
from server.translation import N_, gettext

FIELD_LABELS = {
    "family_name": (N_("Nom de famille"), N_("Tel qu’il est écrit sur votre passeport.")),
    "given_names": (N_("Prénoms"), N_("Tous vos prénoms, dans l’ordre du passeport.")),
    "birth_date": (N_("Date de naissance"), ""),
    "birth_place": (N_("Lieu de naissance"), N_("Ville et pays.")),
    "nationality": (N_("Nationalité"), ""),
    "foreign_number": (
        N_("Numéro étranger"),
        N_("10 chiffres, s’il vous a déjà été donné. Laissez vide si vous n’en avez pas."),
    ),
    "street": (N_("Adresse"), N_("Numéro, rue, bâtiment, chez qui vous êtes hébergé le cas échéant.")),
    "postcode": (N_("Code postal"), N_("Il indique la préfecture qui traitera votre dossier.")),
    "city": (N_("Commune"), ""),
    "prefecture": (
        N_("Préfecture compétente"),
        N_("Choisie d’après votre code postal. Changez-la seulement si la préfecture vous l’a demandé."),
    ),
    "phone": (N_("Téléphone"), ""),
    "email": (N_("Adresse électronique"), ""),
    "current_permit_expiry": (
        N_("Date de fin de votre titre actuel"),
        N_("La date écrite sur votre titre de séjour ou sur votre récépissé."),
    ),
    "change_kind": (N_("Ce qui change"), ""),
    "change_details": (
        N_("Expliquez le changement"),
        N_("Par exemple : nouvelle adresse depuis le 1er mars."),
    ),
    "loss_kind": (N_("Perte ou vol ?"), ""),
    "loss_date": (
        N_("Date de la perte ou du vol"),
        N_("Si vous ne savez plus le jour, indiquez le mois et l’année ; cochez « date approximative » au besoin."),
    ),
    "entry_date": (
        N_("Date d’arrivée en France"),
        N_("Si vous ne connaissez pas le jour ou le mois, indiquez seulement ce que vous savez, par exemple l’année."),
    ),
    "travel_reason": (N_("Pourquoi avez-vous besoin d’un document de voyage ?"), ""),
    "notes": (
        N_("Autre chose à dire à la préfecture ?"),
        N_("Tout ce qui aide à comprendre votre situation."),
    ),
}
CHOICE_LABELS = {
    "address": N_("Adresse"),
    "civil_status": N_("État civil (nom, mariage, divorce…)"),
    "family": N_("Situation familiale (naissance, enfant…)"),
    "lost": N_("Perte"),
    "stolen": N_("Vol"),
}
STEP_LABELS = {
    "situation": N_("Votre situation"),
    "identity": N_("Identité"),
    "address": N_("Adresse et contact"),
    "checklist": N_("Pièces"),
    "review": N_("Vérifier et envoyer"),
}
PROBLEMS = {
    "field_required": N_("À remplir : %(label)s"),
    "field_date": N_("Date à corriger : %(label)s"),
    "field_date_year": N_("Année à indiquer (4 chiffres) : %(label)s"),
    "field_date_whole": N_("Jour, mois et année à indiquer : %(label)s"),
    "field_postcode": N_("Code postal français à 5 chiffres à corriger : %(label)s"),
    "field_foreign_number": N_("Le numéro étranger compte 10 chiffres : %(label)s"),
    "field_email": N_("Adresse électronique à corriger : %(label)s"),
    "field_phone": N_("Numéro de téléphone à corriger : %(label)s"),
    "field_choice": N_("Choix à faire dans la liste : %(label)s"),
    "piece_missing": N_("Pièce à ajouter : %(label)s"),
    "ground_required": N_("Choisissez au moins une situation (motif de la demande)."),
}


def field_label(name: str) -> str:
    return gettext(FIELD_LABELS[name][0])


def field_hint(name: str) -> str:
    hint = FIELD_LABELS[name][1]
    return gettext(hint) if hint else ""


def choice_label(value: str) -> str:
    return gettext(CHOICE_LABELS[value]) if value in CHOICE_LABELS else value


def step_label(step: str) -> str:
    return gettext(STEP_LABELS[step])


def problem_text(code: str, field: str | None = None, piece: str | None = None) -> str:
    lang = translation.current.get()
    if piece:
        label = catalogue_module.load().pieces[piece].label(lang)
    elif field:
        label = field_label(field)
    else:
        label = ""
    return gettext(PROBLEMS.get(code, PROBLEMS["field_required"])) % {"label": label}


@dataclass(frozen=True)
class StatusInfo:
    name: str
    explanation: str
    next_step: str


def status_info(file: File, opened: bool = False) -> StatusInfo:
    """Where the file stands, as its applicant reads it: "received" only once the
    prefecture opened it (a `viewed` event or an agent holding it)."""
    texts = {
        "draft": (
            N_("Brouillon"),
            N_(
                "Rien n’est encore envoyé à la préfecture. Tout ce que vous saisissez est enregistré au fur et"
                " à mesure."
            ),
            N_("Complétez les étapes, ajoutez les pièces, puis vérifiez et envoyez."),
        ),
        "submitted": (
            N_("Envoyé — en attente de traitement"),
            N_(
                "Votre dossier est arrivé à la préfecture, mais personne ne l’a encore ouvert."
                " Vous pouvez encore le corriger ou le compléter : chaque changement lui est signalé."
            ),
            N_(
                "Vous n’avez rien à faire pour l’instant. Vous verrez ici quand la préfecture ouvrira le dossier."
            ),
        ),
        "opened": (
            N_("Ouvert par la préfecture"),
            N_(
                "La préfecture a ouvert votre dossier et vérifie qu’il est complet."
                " Vous pouvez encore le corriger ou le compléter : chaque changement lui est signalé."
            ),
            N_("Attendez l’examen. Si la préfecture a besoin de quelque chose, elle vous écrira ici."),
        ),
        "locked": (
            N_("En cours d’examen"),
            N_(
                "Un agent examine votre dossier ; pendant l’examen, le dossier ne peut plus être modifié."
                " Vous pouvez toujours écrire à la préfecture."
            ),
            N_("Attendez la décision ; elle vous sera expliquée ici, avec ses motifs."),
        ),
        "decided": (
            N_("Décision rendue"),
            N_("La préfecture a rendu sa décision sur ce dossier."),
            N_("Lisez la décision et ce que vous pouvez faire ensuite."),
        ),
        "withdrawn": (
            N_("Retiré"),
            N_("Vous avez arrêté cette démarche. Le dossier reste dans votre historique."),
            N_("Vous pouvez commencer une nouvelle démarche à tout moment."),
        ),
    }
    key = "opened" if file.status == "submitted" and opened else file.status
    name, explanation, next_step = texts[key]
    return StatusInfo(gettext(name), gettext(explanation), gettext(next_step))


def status_name(status: str) -> str:
    return {
        "draft": gettext("Brouillon"),
        "submitted": gettext("Reçu par la préfecture"),
        "locked": gettext("En cours d’examen"),
        "decided": gettext("Décision rendue"),
        "withdrawn": gettext("Retiré"),
    }[status]


def applicant_status_name(status: str, opened: bool) -> str:
    """The status word the applicant reads (the prefecture keeps `status_name`)."""
    if status == "submitted":
        return gettext("Ouvert par la préfecture") if opened else gettext("Envoyé — en attente de traitement")
    return status_name(status)


def worker_text(event: Event) -> str | None:
    """A worker's act under a mandate: "par Karim (Abri Solidaire), mandat du 2 décembre 2026"."""
    by = event.data.get("by")
    if event.actor_role != "worker" or not isinstance(by, dict):
        return None
    day = by.get("mandate_date") or ""
    return gettext("par %(worker)s (%(organisation)s), mandat du %(date)s") % {
        "worker": by.get("worker", "?"),
        "organisation": by.get("organisation", "?"),
        "date": long_date(day) if day else "?",
    }


def actor_text(event: Event, owner_id: str) -> str:
    worker = worker_text(event)
    if worker is not None:
        return worker
    if event.actor_role in ("agent", "admin"):
        return gettext("la préfecture")
    if event.actor_role == "system" or event.actor_id is None:
        return gettext("Sésame, automatiquement")
    if event.actor_id == owner_id:
        return gettext("vous")
    return gettext("une personne qui vous accompagne")


def describe(event: Event) -> str:
    """One line of the timeline, in the reader's language."""
    lang = translation.current.get()
    cat = catalogue_module.load()
    d: dict[str, Any] = event.data

    def piece_label() -> str:
        piece = cat.pieces.get(d.get("piece", ""))
        return piece.label(lang) if piece else d.get("piece", "")

    kind = event.kind
    if kind == "created":
        procedure = cat.procedures.get(d.get("procedure", ""))
        return gettext("Dossier n° %(number)s créé : %(procedure)s") % {
            "number": d.get("number", ""),
            "procedure": procedure.label(lang) if procedure else d.get("procedure", ""),
        }
    if kind == "grounds_changed":
        names = ", ".join(cat.grounds[g].label(lang) for g in d.get("grounds", []) if g in cat.grounds)
        return gettext("Motifs de la demande changés : %(grounds)s") % {"grounds": names or "—"}
    if kind == "fields_changed":
        names = ", ".join(field_label(n) for n in d.get("fields", []) if n in FIELD_LABELS)
        return gettext("Informations corrigées : %(fields)s") % {"fields": names}
    if kind == "piece_added":
        return gettext("Fichier ajouté (%(piece)s) : %(filename)s") % {
            "piece": piece_label(),
            "filename": d.get("filename", ""),
        }
    if kind == "piece_removed":
        return gettext("Fichier retiré (%(piece)s) : %(filename)s") % {
            "piece": piece_label(),
            "filename": d.get("filename", ""),
        }
    if kind == "piece_replaced":
        return gettext("Fichier remplacé (%(piece)s) : %(old)s, remplacé par %(filename)s") % {
            "piece": piece_label(),
            "old": d.get("old_filename", ""),
            "filename": d.get("filename", ""),
        }
    if kind == "submitted":
        return gettext("Dossier envoyé à la préfecture")
    if kind == "withdrawn":
        reason = d.get("reason")
        return (
            gettext("Dossier retiré. Motif : %(reason)s") % {"reason": reason}
            if reason
            else gettext("Dossier retiré")
        )
    if kind == "locked":
        return gettext("Examen commencé par la préfecture : le dossier ne peut plus être modifié")
    if kind == "unlocked":
        return gettext("Le dossier peut de nouveau être modifié")
    if kind == "message":
        if d.get("side") == "applicant":
            return gettext("Message envoyé à la préfecture")
        return gettext("Message reçu de la préfecture")
    if kind == "decided" or kind == "decision_corrected":
        outcome = decision_reasons.load().outcomes.get(d.get("outcome", ""))
        label = outcome.label(lang) if outcome else ""
        if kind == "decision_corrected":
            return gettext("Décision corrigée : %(outcome)s") % {"outcome": label}
        return (
            gettext("Décision rendue : %(outcome)s") % {"outcome": label}
            if label
            else gettext("Décision rendue")
        )
    if kind == "complement_requested":
        return gettext("La préfecture demande un complément : %(items)s") % {"items": _targets(d)}
    if kind == "complement_answered":
        return gettext("Complément envoyé : %(items)s") % {"items": _targets(d)}
    if kind == "complement_settled":
        if d.get("status") == "accepted":
            return gettext("Complément accepté par la préfecture : %(items)s") % {"items": _targets(d)}
        return gettext("La préfecture ne demande plus : %(items)s") % {"items": _targets(d)}
    if kind == "viewed":
        found = geography.get(d.get("departement"))
        name = f"{found.name} ({found.code})" if found else d.get("departement", "")
        return gettext("Dossier consulté par la préfecture : %(prefecture)s") % {"prefecture": name}
    if kind == "marked_complete":
        return gettext("Dossier déclaré complet par la préfecture")
    if kind in ("attestation_issued", "attestation_renewed", "attestation_ended"):
        return attestation_event(kind, d)
    if kind == "blockage_reported":
        return gettext("Signalement « Je suis bloqué·e » n° %(number)s envoyé") % {
            "number": d.get("number", "")
        }
    if kind == "blockage_answered":
        return gettext("La préfecture a répondu à votre signalement n° %(number)s") % {
            "number": d.get("number", "")
        }
    if kind == "paper_recorded":
        if d.get("channel") == "post":
            return gettext("Dossier reçu par courrier et enregistré par la préfecture")
        return gettext("Dossier remis au guichet et enregistré par la préfecture")
    if kind == "claimed":
        return gettext("Vous avez retrouvé votre dossier sur Sésame avec votre clé d’accès")
    if kind in ("mandate_granted", "mandate_revoked"):
        return mandate_event(kind, d)
    if kind in ASSISTED_KINDS:
        return assisted_event(event)
    if kind == "piece_accepted":
        text = gettext("Pièce acceptée par la préfecture : %(piece)s") % {"piece": piece_label()}
        return f"{text} — {d['note']}" if d.get("note") else text
    if kind == "card_ready":
        return gettext("Votre carte est prête : prenez rendez-vous pour la retirer")
    if kind == "card_handed_over":
        return gettext("Carte remise")
    if kind in ("appointment_booked", "appointment_moved"):
        values = {"when": slot_text(d.get("starts_at", "")), "desk": d.get("desk", "")}
        if kind == "appointment_moved":
            return gettext("Rendez-vous déplacé au %(when)s (%(desk)s)") % values
        return gettext("Rendez-vous pris le %(when)s (%(desk)s)") % values
    if kind == "appointment_cancelled":
        return gettext("Rendez-vous du %(when)s annulé") % {"when": slot_text(d.get("starts_at", ""))}
    return kind


ORGANISATION_KINDS = {
    "association": N_("Association"),
    "shelter": N_("Centre d’hébergement"),
    "other": N_("Autre structure d’accompagnement"),
}
ORGANISATION_STATUSES = {
    "pending": N_("en attente d’accord"),
    "approved": N_("acceptée"),
    "suspended": N_("suspendue"),
}


def organisation_kind(kind: str) -> str:
    return gettext(ORGANISATION_KINDS[kind]) if kind in ORGANISATION_KINDS else kind


def organisation_status(status: str) -> str:
    return gettext(ORGANISATION_STATUSES[status]) if status in ORGANISATION_STATUSES else status


def mandate_scope(mandate: Any) -> str:
    """What a mandate allows, in a few words: "tous les dossiers, pour agir"."""
    if mandate.file_id is None:
        if mandate.can_act:
            return gettext("tous les dossiers, pour agir")
        return gettext("tous les dossiers, consultation seulement")
    if mandate.can_act:
        return gettext("un dossier, pour agir")
    return gettext("un dossier, consultation seulement")


def mandate_event(kind: str, d: dict[str, Any]) -> str:
    values = {"organisation": d.get("organisation", "")}
    if kind == "mandate_revoked":
        return gettext("Mandat retiré à %(organisation)s") % values
    if d.get("paper"):
        return gettext("Mandat papier signé pour %(organisation)s, enregistré par l’intervenant") % values
    return gettext("Mandat donné à %(organisation)s") % values


DOCUMENT_LABELS = {
    "passport": N_("passeport"),
    "residence_permit": N_("titre de séjour"),
    "receipt": N_("récépissé"),
    "identity_card": N_("carte d’identité"),
}
ASSISTED_KINDS = (
    "handoff_code_issued",
    "recovery_code_issued",
    "passkey_added_assisted",
    "passkey_removed_assisted",
    "passkey_removed",
)


def document_label(data: dict[str, Any]) -> str:
    """The identity document a worker saw (its kind; no number is kept)."""
    kind = data.get("document", "")
    return gettext(DOCUMENT_LABELS[kind]) if kind in DOCUMENT_LABELS else str(data.get("document_other", ""))


def assisted_event(event: Event) -> str:
    """A line of the timeline about the person's access, with a worker's help."""
    d = event.data
    values = {
        "worker": d.get("worker", ""),
        "organisation": d.get("organisation", ""),
        "date": long_date(event.at),
        "until": long_date(d["expires_at"]) if d.get("expires_at") else "",
        "label": d.get("label", ""),
        "document": document_label(d),
    }
    if event.kind == "handoff_code_issued":
        return gettext(
            "%(worker)s (%(organisation)s) a imprimé pour vous un code pour prendre votre compte en main,"
            " valable jusqu’au %(until)s"
        ) % values
    if event.kind == "recovery_code_issued":
        return gettext(
            "%(worker)s (%(organisation)s) a vérifié votre identité en personne (%(document)s) et vous a"
            " remis un code pour ajouter une clé d’accès, valable jusqu’au %(until)s"
        ) % values
    if event.kind == "passkey_added_assisted":
        return gettext(
            "Une nouvelle clé d’accès a été ajoutée avec l’aide de %(worker)s (%(organisation)s) le %(date)s"
        ) % values
    if event.kind == "passkey_removed_assisted":
        return gettext(
            "La clé d’accès « %(label)s » a été retirée à votre demande, en votre présence, par %(worker)s"
            " (%(organisation)s) le %(date)s"
        ) % values
    return gettext("Vous avez retiré la clé d’accès « %(label)s »") % values


def long_date(value: str) -> str:
    """A day (YYYY-MM-DD) written out in the reader's language: 2 juin 2026."""
    return format_date(date.fromisoformat(value[:10]), format="long", locale=translation.current.get())


def attestation_event(kind: str, d: dict[str, Any]) -> str:
    """A line of the timeline about an attestation (ADR 0015)."""
    until = long_date(d["valid_until"]) if d.get("valid_until") else ""
    if kind == "attestation_ended":
        reason = d.get("reason")
        if reason == "withdrawn":
            return gettext("Attestations annulées : le dossier a été retiré")
        if reason == "card_handed_over":
            return gettext("Attestations terminées : la carte vous a été remise")
        return gettext("Attestations terminées : la préfecture a pris sa décision")
    if d.get("type") == "provisional":
        if kind == "attestation_renewed":
            return gettext("Attestation provisoire renouvelée, valable jusqu’au %(date)s") % {"date": until}
        return gettext("Attestation provisoire délivrée, valable jusqu’au %(date)s") % {"date": until}
    if kind == "attestation_renewed":
        return gettext("Preuve de dépôt renouvelée, valable jusqu’au %(date)s") % {"date": until}
    return gettext("Preuve de dépôt délivrée, valable jusqu’au %(date)s") % {"date": until}


ATTESTATION_STATES = {
    "valid": N_("en cours"),
    "expired": N_("expirée"),
    "replaced": N_("remplacée par une plus récente"),
    "ended": N_("terminée"),
    "revoked": N_("annulée"),
}


def attestation_state(att: Any) -> str:
    """One or two words for an attestation's state today (the histories)."""
    return gettext(ATTESTATION_STATES[att.state_on(attestations.today())])
def slot_text(starts_at: str) -> str:
    """A slot's local time for people: 12/03/2027 à 09:30 (the prefecture's clock)."""
    if len(starts_at) < 16:
        return starts_at
    day, time = starts_at[:10], starts_at[11:16]
    return gettext("%(day)s à %(time)s") % {"day": "/".join(reversed(day.split("-"))), "time": time}


def complement_target(kind: str, target: str) -> str:
    """What a complement item names: a piece of the checklist, or a question of the form."""
    if kind == "piece":
        piece = catalogue_module.load().pieces.get(target)
        return piece.label(translation.current.get()) if piece else target
    return field_label(target) if target in FIELD_LABELS else target


def field_step(name: str) -> str:
    """The page of the file where a field is asked."""
    field = FIELDS.get(name)
    return field.step if field else "situation"


def _targets(data: dict[str, Any]) -> str:
    return ", ".join(complement_target(i.get("kind", ""), i.get("target", "")) for i in data.get("items", []))


def template_globals() -> dict[str, Any]:
    return {
        "step_label": step_label,
        "field_label": field_label,
        "field_hint": field_hint,
        "choice_label": choice_label,
        "problem_text": problem_text,
        "status_name": status_name,
        "applicant_status_name": applicant_status_name,
        "describe": describe,
        "actor_text": actor_text,
        "worker_text": worker_text,
        "organisation_kind": organisation_kind,
        "mandate_scope": mandate_scope,
        "organisation_status": organisation_status,
        "complement_target": complement_target,
        "field_step": field_step,
        "attestation_state": attestation_state,
        "slot_text": slot_text,
    }
