"""Sentences of the back office for codes its commands return, and for
confirmations after a redirect (the applicant side has `server/web/messages.py`)."""

from __future__ import annotations

from server import translation
from server.domain import audit, catalogue
from server.translation import N_, gettext
from server.web import messages

MESSAGES: dict[str, str] = {
    "piece_empty": N_("Cette pièce n’a aucun fichier : il n’y a rien à accepter."),
    "note_too_long": N_("Cette note est trop longue (1 000 caractères au plus)."),
    "not_allowed": N_("Cette action n’est pas possible dans l’état actuel du dossier."),
    "file_closed": N_("Ce dossier est clos (retiré ou décidé)."),
}

DONE: dict[str, str] = {
    "locked": N_("Le dossier est pris en examen : la personne ne peut plus le modifier."),
    "unlocked": N_("Le dossier est libéré : la personne peut de nouveau le modifier."),
    "piece_accepted": N_("La pièce est acceptée."),
    "message_sent": N_("Le message est envoyé à la personne."),
}


def message(code: str | None) -> str:
    if code in MESSAGES:
        return gettext(MESSAGES[code])
    return messages.message(code)


def done(code: str | None) -> str:
    return gettext(DONE[code]) if code in DONE else messages.done(code)


ACTIONS: dict[str, str] = {
    "file.lock": N_("a pris le dossier en examen"),
    "file.unlock": N_("a libéré le dossier"),
    "message.send": N_("a écrit à la personne"),
    "message.read": N_("a lu les messages de la personne"),
    "complement.request": N_("a demandé un complément"),
    "complement.settle": N_("a traité une réponse à un complément"),
    "file.decide": N_("a rendu une décision"),
    "decision.letter": N_("a ouvert une lettre de décision"),
    "prefecture.configure": N_("a changé les réglages de la préfecture"),
    "card.ready": N_("a indiqué que la carte est prête"),
    "card.handed_over": N_("a indiqué que la carte est remise"),
    "desk.save": N_("a modifié un guichet et ses horaires"),
    "prefecture.info_update": N_("a modifié la page d’information de la préfecture"),
}


def audit_action(entry: audit.Entry) -> str:
    """One line of the audit trail, in the reader's language."""
    if entry.action == "file.view":
        if entry.attachment_id:
            return gettext("a ouvert un fichier d’une pièce")
        if entry.detail.get("message_id"):
            return gettext("a ouvert un fichier joint à un message")
        return gettext("a consulté le dossier")
    if entry.action == "piece.accept":
        piece = catalogue.load().pieces.get(str(entry.detail.get("piece", "")))
        label = piece.label(translation.current.get()) if piece else str(entry.detail.get("piece", ""))
        return gettext("a accepté une pièce : %(piece)s") % {"piece": label}
    if entry.action in ACTIONS:
        return gettext(ACTIONS[entry.action])
    return gettext("action « %(op)s »") % {"op": entry.action}
