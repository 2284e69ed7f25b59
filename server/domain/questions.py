"""Finding the procedure: short questions, one per page, each answer leading to
the next question, to a procedure and ground of the catalogue, or to help.

The questions are worked out from the catalogue (`catalogue.json`), so a ground
added there is asked about without touching this module, as long as it is
placed in one of the `REASONS` (a unit test fails otherwise):

    permit           "Do you already have a residence permit in France?"
      yes  → what    "What do you need to do?" (renew, change status, report a
                      change, replace a lost card, travel document)
      no   → first_application.reason
    <procedure>.reason      "What is the main reason…?" (family, protection, …)
    <procedure>.<reason>    the grounds of that reason open in that procedure,
                            when there are two or more (one: straight to it)

An answer is a value among the question's `options`, or `DONT_KNOW`, which
always leads to `HELP`. A question id and an outcome id are plain text that fits
in a URL path segment, so each page has its own address and the service worker
can keep every one of them for offline use (ADR 0025).

Pure standard library: no Starlette, no Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import Catalogue, Ground

START = "permit"
HELP = "help"
DONT_KNOW = "dont_know"

# Procedures a person without a permit cannot be in, asked after "yes, I have one".
HOLDER_PROCEDURES = ("renewal", "change_of_status", "change_of_situation", "duplicate", "travel_document")

# The grounds, gathered by the reason a person would give in their own words.
# Every ground of the catalogue is in exactly one reason (tests/test_questions.py).
REASONS: dict[str, tuple[str, ...]] = {
    "family": (
        "parent_of_french_child",
        "spouse_of_french_national",
        "personal_family_ties",
        "family_of_refugee",
        "young_adult_child_welfare",
        "domestic_violence_victim",
    ),
    "protection": ("refugee", "subsidiary_protection", "stateless", "asylum_pending"),
    "study": ("student",),
    "work": ("employee", "temporary_worker"),
    "health": ("health",),
    "long_stay": ("exceptional_admission", "long_term_resident"),
}


@dataclass(frozen=True)
class Option:
    value: str  # what the form posts
    leads_to: str  # a question id, an outcome id, or HELP
    procedure: str | None = None  # the option names a procedure…
    ground: str | None = None  # …or a ground
    reason: str | None = None  # …or a reason


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # permit | what | reason | ground
    procedure: str | None
    reason: str | None
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Outcome:
    """Where the questions end: a procedure, and its ground when it takes one."""

    id: str
    procedure: str
    ground: str | None

    @property
    def grounds(self) -> list[str]:
        return [self.ground] if self.ground else []


def outcome_id(procedure: str, ground: str | None) -> str:
    return f"{procedure}.{ground}" if ground else procedure


@dataclass(frozen=True)
class Flow:
    questions: dict[str, Question]
    outcomes: dict[str, Outcome]

    def next(self, question_id: str, answer: str) -> str | None:
        """Where an answer leads (a question id, an outcome id or HELP); None for
        an unknown question or an answer that is not one of its options."""
        question = self.questions.get(question_id)
        if question is None:
            return None
        if answer == DONT_KNOW:
            return HELP
        for option in question.options:
            if option.value == answer:
                return option.leads_to
        return None

    def before(self, target: str) -> str | None:
        """The question that leads to a question or outcome (for "Retour")."""
        for question in self.questions.values():
            if any(o.leads_to == target for o in question.options):
                return question.id
        return None


def _grounds_of(cat: Catalogue, procedure: str, reason: str) -> list[Ground]:
    return [
        cat.grounds[g] for g in REASONS[reason] if g in cat.grounds and procedure in cat.grounds[g].procedures
    ]


def build(cat: Catalogue) -> Flow:
    questions: dict[str, Question] = {}
    outcomes: dict[str, Outcome] = {}

    def outcome(procedure: str, ground: str | None) -> str:
        ident = outcome_id(procedure, ground)
        outcomes[ident] = Outcome(ident, procedure, ground)
        return ident

    def reason_question(procedure: str) -> str:
        ident = f"{procedure}.reason"
        options = []
        for reason in REASONS:
            grounds = _grounds_of(cat, procedure, reason)
            if not grounds:
                continue
            if len(grounds) == 1:
                leads_to = outcome(procedure, grounds[0].id)
            else:
                leads_to = f"{procedure}.{reason}"
                questions[leads_to] = Question(
                    leads_to,
                    "ground",
                    procedure,
                    reason,
                    tuple(Option(g.id, outcome(procedure, g.id), ground=g.id) for g in grounds),
                )
            options.append(Option(reason, leads_to, reason=reason))
        questions[ident] = Question(ident, "reason", procedure, None, tuple(options))
        return ident

    def procedure_start(procedure: str) -> str:
        if cat.procedures[procedure].needs_ground:
            return reason_question(procedure)
        return outcome(procedure, None)

    what = tuple(Option(p, procedure_start(p), procedure=p) for p in HOLDER_PROCEDURES if p in cat.procedures)
    questions["what"] = Question("what", "what", None, None, what)
    questions[START] = Question(
        START,
        "permit",
        None,
        None,
        (Option("yes", "what"), Option("no", procedure_start("first_application"))),
    )
    return Flow(questions, outcomes)


_BUILT: dict[int, tuple[Catalogue, Flow]] = {}


def flow_for(cat: Catalogue) -> Flow:
    """The questions of a catalogue, built once per catalogue (they never change)."""
    kept = _BUILT.get(id(cat))
    if kept is None or kept[0] is not cat:
        kept = (cat, build(cat))
        _BUILT[id(cat)] = kept
    return kept[1]
