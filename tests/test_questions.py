"""The questions of the way in: every path ends at a catalogue procedure (with a
ground it may take) or at help, and every situation of the catalogue is reachable."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import catalogue, questions
from server.domain.file_commands import clean_grounds

CAT = catalogue.load()
FLOW = questions.flow_for(CAT)


def walk(choices: list[int]) -> str:
    """Follow answers (an index into each question's options, the last index past
    them meaning "Je ne sais pas") from the first question to where they end."""
    at = questions.START
    for n, choice in enumerate(choices):
        question = FLOW.questions[at]
        options = [o.value for o in question.options] + [questions.DONT_KNOW]
        at = FLOW.next(at, options[choice % len(options)])
        assert at is not None
        if at not in FLOW.questions:
            return at
        assert n < 10, "the questions go round in circles"
    return at


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), min_size=10, max_size=10))
def test_every_sequence_of_answers_ends_at_a_procedure_or_at_help(choices: list[int]) -> None:
    end = walk(choices)
    if end == questions.HELP:
        return
    outcome = FLOW.outcomes[end]
    assert outcome.procedure in CAT.procedures
    # The file the outcome page creates is one the server accepts.
    assert clean_grounds(outcome.procedure, outcome.grounds, None) == (outcome.grounds, None)


def test_every_situation_of_the_catalogue_can_be_reached() -> None:
    wanted = {questions.outcome_id(p, None) for p, v in CAT.procedures.items() if not v.needs_ground}
    wanted |= {questions.outcome_id(p, g.id) for g in CAT.grounds.values() for p in g.procedures}
    reached = {o.leads_to for q in FLOW.questions.values() for o in q.options if o.leads_to in FLOW.outcomes}
    assert reached == wanted == set(FLOW.outcomes)


def test_every_ground_has_exactly_one_reason() -> None:
    placed = [g for grounds in questions.REASONS.values() for g in grounds]
    assert sorted(placed) == sorted(CAT.grounds)


def test_no_answer_is_given_in_advance_and_ids_fit_in_an_address() -> None:
    for question in FLOW.questions.values():
        assert FLOW.next(question.id, "") is None and FLOW.next(question.id, "nonsense") is None
        assert FLOW.next(question.id, questions.DONT_KNOW) == questions.HELP
        assert len(question.options) >= 2
    for ident in [*FLOW.questions, *FLOW.outcomes]:
        assert re.fullmatch(r"[a-z_.]+", ident)


def test_each_question_but_the_first_has_one_way_back() -> None:
    for ident in FLOW.questions:
        assert (FLOW.before(ident) is None) == (ident == questions.START)
    for ident in FLOW.outcomes:
        assert FLOW.before(ident) is not None


def test_pages_without_javascript(make_person) -> None:
    p = make_person()
    p.signup()
    start = p.client.get("/files/new")
    assert start.status_code == 200 and 'href="/files/new/q/permit"' in start.text
    question = p.client.get("/files/new/q/permit")
    assert question.status_code == 200
    assert " checked" not in question.text  # no answer chosen in advance
    assert "CESEDA" not in question.text
    empty = p.client.get("/files/new/next", params={"q": "permit"})
    assert empty.status_code == 400 and 'href="#f-answer"' in empty.text
    yes = p.client.get("/files/new/next", params={"q": "permit", "answer": "no"}, follow_redirects=False)
    assert yes.headers["location"] == "/files/new/q/first_application.reason"
    family = p.client.get("/files/new/q/first_application.family")
    # Legal references only inside the expander, never in a label.
    labels = " ".join(re.findall(r"<label.*?</label>", family.text, re.S))
    assert "CESEDA" not in labels and "<details>" in family.text and "L.423-7" in family.text
    lost = p.client.get(
        "/files/new/next", params={"q": "what", "answer": "dont_know"}, follow_redirects=False
    )
    assert lost.headers["location"] == "/files/new/help?from=what"
    help_page = p.client.get(lost.headers["location"])
    assert 'href="/files/new/q/what"' in help_page.text
    outcome = p.client.get("/files/new/for/first_application.parent_of_french_child")
    assert outcome.status_code == 200 and "Voici ce qu’il vous faudra" in outcome.text
    for item in CAT.checklist("first_application", ["parent_of_french_child"]):
        assert item.piece.label("fr") in outcome.text
    assert p.client.get("/files/new/for/nothing").status_code == 404
    assert p.client.get("/files/new/q/nothing").status_code == 404


def test_offline_pages_list_the_whole_way_in() -> None:
    from server.web import pages

    kept = pages.offline_pages()
    assert "/files/new/help" in kept and "/files/new/q/permit" in kept
    assert all(f"/files/new/for/{o}" in kept for o in FLOW.outcomes)


def test_the_start_page_gives_the_prefectures_other_ways_once_the_departement_is_known(app, make_person) -> None:
    from .test_files_http import ADDRESS

    p = make_person()
    p.signup()
    page = p.client.get("/files/new").text
    assert 'href="/prefectures"' in page  # not known yet: general words and a way to find it
    file_id = p.start_file("duplicate")
    p.fill(file_id, "address", **ADDRESS)
    code = app.state.db.read_sync(
        lambda c: c.execute("SELECT departement FROM files WHERE id = ?", (file_id,)).fetchone()[0]
    )
    assert code
    app.state.db.write_sync(
        lambda c: c.execute(
            "INSERT INTO prefecture_info (departement, block, lang, body, updated_at, updated_by, version)"
            " VALUES (?, 'substitution', 'fr', 'Dépôt au guichet 3, sans rendez-vous, le mardi.',"
            " '2026-11-30T09:00:00+00:00', NULL, 1)",
            (code,),
        )
    )
    page = p.client.get("/files/new").text
    assert "Dépôt au guichet 3, sans rendez-vous, le mardi." in page
    assert f'href="/prefectures/{code}"' in page
