"""The way in: a start page, then one short question per page until the
procedure (and its ground) is found, then the pieces it asks for, shown before
the file is created ("Voici ce qu'il vous faudra" → "Créer mon dossier").

Every page has its own address (`/files/new/q/<question>`, `/files/new/for/<outcome>`)
so the service worker keeps them all and the way in works offline; an answer is
a plain GET form to `/files/new/next`, which redirects to where it leads (the
script `pwa/questions.js` goes there directly, from the page, so it needs no
network). The questions themselves: `server/domain/questions.py`, ADR 0025.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import translation
from server.domain import catalogue as catalogue_module
from server.domain import files, geography, prefecture_info, questions
from server.translation import N_, gettext

from .common import actor, db, not_found, redirect, templates
from .messages import message

QUESTION_TEXTS: dict[str, tuple[str, str]] = {  # kind or id: (question, hint)
    "permit": (
        N_("Avez-vous déjà un titre de séjour en France ?"),
        N_("Une carte de séjour, même expirée depuis peu, ou un récépissé. Un visa seul ne compte pas."),
    ),
    "what": (N_("Que voulez-vous faire ?"), ""),
    "first_application.reason": (
        N_("Pour quelle raison demandez-vous un titre de séjour ?"),
        N_(
            "Si plusieurs raisons vous concernent, choisissez la principale : vous pourrez en ajouter une autre dans votre dossier."
        ),
    ),
    "renewal.reason": (
        N_("Pour quelle raison demandez-vous le renouvellement ?"),
        N_(
            "En général, c’est la raison de votre titre actuel. Vous pourrez en ajouter une autre dans votre dossier."
        ),
    ),
    "change_of_status.reason": (
        N_("Quelle est votre nouvelle situation ?"),
        N_("La raison pour laquelle vous voulez désormais rester en France."),
    ),
    "ground": (N_("Laquelle de ces situations est la vôtre ?"), ""),
}
ANSWER_TEXTS = {
    "yes": (N_("Oui"), ""),
    "no": (N_("Non, ce serait mon premier titre de séjour"), ""),
}
REASON_TEXTS = {
    "family": (
        N_("Ma famille en France"),
        N_(
            "Enfant ou conjoint français, famille d’un réfugié, liens personnels et familiaux, violences conjugales, jeune confié à l’aide sociale à l’enfance."
        ),
    ),
    "protection": (
        N_("Une protection"),
        N_("Réfugié, protection subsidiaire, apatride, demande d’asile en cours."),
    ),
    "study": (N_("Mes études"), N_("Université, école ou formation supérieure en France.")),
    "work": (N_("Mon travail"), N_("Un contrat de travail en France (CDI ou CDD).")),
    "health": (N_("Ma santé"), N_("Des soins dont vous avez besoin en France.")),
    "long_stay": (N_("Je vis en France depuis longtemps"), N_("Plusieurs années de vie en France.")),
}


def catalogue() -> catalogue_module.Catalogue:
    return catalogue_module.load()


def flow() -> questions.Flow:
    return questions.flow_for(catalogue())


def question_url(target: str) -> str:
    """The page a question id, an outcome id or HELP is at."""
    if target == questions.HELP:
        return "/files/new/help"
    if target in flow().outcomes:
        return f"/files/new/for/{target}"
    return f"/files/new/q/{target}"


def offline_pages() -> list[str]:
    """Every page of the way in, for the service worker to keep (ADR 0025)."""
    f = flow()
    return (
        ["/files/new", "/files/new/help"]
        + [question_url(q) for q in f.questions]
        + [question_url(o) for o in f.outcomes]
    )


def _texts(question: questions.Question) -> tuple[str, str]:
    key = question.id if question.id in QUESTION_TEXTS else question.kind
    title, hint = QUESTION_TEXTS[key]
    return gettext(title), gettext(hint) if hint else ""


def _options(question: questions.Question) -> list[dict[str, Any]]:
    cat, lang = catalogue(), translation.current.get()
    out = []
    for option in question.options:
        if option.procedure:
            procedure = cat.procedures[option.procedure]
            label, hint = procedure.label(lang), procedure.description(lang)
        elif option.ground:
            ground = cat.grounds[option.ground]
            label, hint = ground.label(lang), ground.situation(lang)
        elif option.reason:
            label, hint = (gettext(t) if t else "" for t in REASON_TEXTS[option.reason])
        else:
            label, hint = (gettext(t) if t else "" for t in ANSWER_TEXTS[option.value])
        out.append(
            {"value": option.value, "label": label, "hint": hint, "next": question_url(option.leads_to)}
        )
    return out


def _legal(question: questions.Question) -> list[catalogue_module.Ground]:
    """The grounds a question's answers lead to, for the "legal references" expander."""
    cat = catalogue()
    found = []
    for option in question.options:
        outcome = flow().outcomes.get(option.leads_to)
        ground = option.ground or (outcome.ground if outcome else None)
        if ground:
            found.append(cat.grounds[ground])
    return found


def _render_question(
    request: Request, question: questions.Question, error: str = "", status: int = 200
) -> Response:
    title, hint = _texts(question)
    back = flow().before(question.id)
    return templates(request).render(
        request,
        "questions/question.html",
        {
            "question": question,
            "title": title,
            "hint": hint,
            "options": _options(question),
            "legal": _legal(question),
            "error": error,
            "back": question_url(back) if back else "/files/new",
            "dont_know": questions.DONT_KNOW,
        },
        status_code=status,
    )


async def start(request: Request) -> Response:
    """The start page (GOV.UK start-page pattern), with the other ways to apply at
    the person's prefecture once their département is known from an earlier file."""
    who = actor(request)
    lang = translation.current.get()

    def load(conn: Any) -> dict[str, Any]:
        owned = files.owned_by(conn, who.account_id or "")
        code = next((f.departement for f in owned if f.departement), None)
        if code is None:
            return {"prefecture": None, "other_ways": None, "help_desk": None}
        blocks = {b.name: b for b in prefecture_info.blocks(conn, code, lang)}
        return {
            "prefecture": geography.get(code),
            "other_ways": blocks["substitution"],
            "help_desk": blocks["help_desk"],
        }

    data = await db(request).read(load)
    return templates(request).render(
        request, "questions/start.html", {**data, "first": question_url(questions.START)}
    )


async def question_page(request: Request) -> Response:
    question = flow().questions.get(request.path_params["question"])
    if question is None:
        raise not_found()
    return _render_question(request, question)


async def answer(request: Request) -> Response:
    """A question's form, posted as GET without JavaScript: go where the answer leads."""
    question = flow().questions.get(request.query_params.get("q", ""))
    if question is None:
        return redirect("/files/new")
    target = flow().next(question.id, request.query_params.get("answer", ""))
    if target is None:
        return _render_question(request, question, message("question_unanswered"), 400)
    if target == questions.HELP:
        return redirect(f"/files/new/help?from={question.id}")
    return redirect(question_url(target))


async def help_page(request: Request) -> Response:
    """ "Je ne sais pas": who can help, and how to go on."""
    origin = request.query_params.get("from", "")
    back = question_url(origin) if origin in flow().questions else question_url(questions.START)
    return templates(request).render(request, "questions/help.html", {"back": back})


async def outcome_page(request: Request) -> Response:
    outcome = flow().outcomes.get(request.path_params["outcome"])
    if outcome is None:
        raise not_found()
    return render_outcome(request, outcome, {}, str(uuid.uuid4()))


def render_outcome(
    request: Request, outcome: questions.Outcome, errors: dict[str, str], file_id: str, status: int = 200
) -> Response:
    """What the chosen situation asks for, before the file exists, and "Créer mon dossier"."""
    cat = catalogue()
    checklist = cat.checklist(outcome.procedure, outcome.grounds)
    back = flow().before(outcome.id)
    return templates(request).render(
        request,
        "questions/outcome.html",
        {
            "catalogue": cat,
            "outcome": outcome,
            "procedure": cat.procedures[outcome.procedure],
            "ground": cat.grounds[outcome.ground] if outcome.ground else None,
            "required": [i for i in checklist if not i.optional],
            "optional": [i for i in checklist if i.optional],
            "errors": errors,
            "file_id": file_id,
            "back": question_url(back) if back else "/files/new",
        },
        status_code=status,
    )


def outcome_for(procedure: str, grounds: list[str]) -> questions.Outcome | None:
    """The outcome page a creation form came from (to show it again with its error)."""
    return flow().outcomes.get(questions.outcome_id(procedure, grounds[0] if grounds else None))
