"""The task list: each part of a file is "à compléter", "en cours" or "terminé"
from what the file holds; "Vérifier et envoyer" only when nothing is missing."""

from __future__ import annotations

import re

from server.domain import catalogue, files, tasks
from server.domain.files import File, Problem

from .test_files_http import ADDRESS, IDENTITY, a_file_for, complete

CAT = catalogue.load()


def a_file(
    procedure: str = "renewal", grounds: tuple[str, ...] = ("student",), status: str = "draft"
) -> File:
    return File(
        id="f", number="2026-000001", owner_id="o", procedure=procedure, grounds=grounds, title=None,
        status=status, departement=None, catalogue_version=None, created_by=None, created_at="",
        updated_at="", submitted_at=None, locked_at=None, decided_at=None, withdrawn_at=None, version=1,
    )  # fmt: skip


def states(task_list: tasks.TaskList) -> dict[str, str]:
    return {t.id: t.state for t in task_list.tasks}


def problems_of(file: File, values: dict[str, str], present: set[str]) -> list[Problem]:
    found = []
    for field in files.fields_for(file.procedure):
        code = files.field_problem(field, values.get(field.name, ""))
        if code:
            found.append(Problem(code, field=field.name))
    for item in CAT.checklist(file.procedure, file.grounds):
        if not item.optional and item.piece.id not in present:
            found.append(Problem("piece_missing", piece=item.piece.id))
    return found


def test_a_new_file_then_one_in_progress_then_a_complete_one() -> None:
    file = a_file()
    empty = tasks.build(file, CAT, {}, set(), problems_of(file, {}, set()))
    got = states(empty)
    assert got["identity"] == got["address"] == tasks.TODO
    assert got["situation"] == tasks.IN_PROGRESS  # the ground is chosen, the permit's end is not given
    assert [t.id for t in empty.tasks][3:] == [
        "pieces:renewal",
        "pieces:common",
        "pieces:student",
        "declaration",
    ]
    assert empty.first_missing == "/files/f/situation#f-current_permit_expiry" and not empty.ready

    values = {"family_name": "Diallo"}
    some = tasks.build(file, CAT, values, {"residence_card"}, problems_of(file, values, {"residence_card"}))
    assert states(some)["identity"] == tasks.IN_PROGRESS
    assert states(some)["pieces:renewal"] == tasks.DONE

    values = {
        "current_permit_expiry": "2027-01-31",
        **IDENTITY,
        **{k: v for k, v in ADDRESS.items() if k != "then"},
    }
    present = {i.piece.id for i in CAT.checklist(file.procedure, file.grounds)}
    done = tasks.build(file, CAT, values, present, problems_of(file, values, present))
    assert done.ready and done.first_missing is None
    assert set(states(done).values()) == {tasks.DONE, tasks.TODO}
    assert states(done)["declaration"] == tasks.TODO
    sent = tasks.build(a_file(status="submitted"), CAT, values, present, [])
    assert states(sent)["declaration"] == tasks.DONE


def test_a_procedure_without_ground_has_no_common_or_ground_group() -> None:
    file = a_file("duplicate", ())
    ids = [t.id for t in tasks.build(file, CAT, {}, set(), problems_of(file, {}, set())).tasks]
    assert ids == ["situation", "identity", "address", "pieces:duplicate", "declaration"]


def test_the_file_page_offers_sending_only_when_nothing_is_missing(make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("renewal", ["student"])
    page = p.client.get(f"/files/{file_id}").text
    assert "data-first-missing" in page and "data-send" not in page
    assert re.search(r'data-task="identity".*?data-state="todo"', page, re.S)
    p.fill(file_id, "identity", **IDENTITY)
    p.upload(file_id, "residence_card", a_file_for(CAT.media_types("residence_card"), "card"))
    page = p.client.get(f"/files/{file_id}").text
    assert re.search(r'data-task="identity".*?data-state="done"', page, re.S)
    assert re.search(r'data-task="pieces:renewal".*?data-state="done"', page, re.S)
    complete(p, file_id, "renewal", ["student"])
    page = p.client.get(f"/files/{file_id}").text
    assert "data-send" in page and "data-first-missing" not in page
    # The server still refuses an incomplete file sent all the same.
    other = p.start_file("renewal", ["student"])
    refused = p.client.post(f"/files/{other}/submit", data={"declaration": "yes"}, follow_redirects=False)
    assert refused.headers["location"].endswith("refused=incomplete")


def test_check_answers_offers_sending_only_when_nothing_is_missing(make_person) -> None:
    p = make_person()
    p.signup()
    file_id = p.start_file("renewal", ["student"])
    page = p.client.get(f"/files/{file_id}/review").text
    # What is missing, each with its link; the first of it; no declaration, no send button.
    assert "data-missing" in page and f'href="/files/{file_id}/identity#f-family_name"' in page
    first = re.search(r'<a class="button" href="([^"]+)" data-first-missing>', page)
    assert first and first.group(1) == f"/files/{file_id}/situation#f-current_permit_expiry"
    assert 'name="declaration"' not in page and 'data-op="file.submit"' not in page
    # Refused all the same (a piece removed elsewhere): the summary, still no send button.
    refused = p.client.get(f"/files/{file_id}/review?refused=incomplete")
    assert refused.status_code == 400 and "error-summary" in refused.text
    assert 'data-op="file.submit"' not in refused.text and "data-first-missing" in refused.text
    complete(p, file_id, "renewal", ["student"])
    page = p.client.get(f"/files/{file_id}/review").text
    assert 'name="declaration"' in page and 'data-op="file.submit"' in page
    assert "data-missing" not in page and "data-first-missing" not in page


def test_the_outline_holds_what_the_phone_needs_to_work_out_a_task_list() -> None:
    """pwa/tasks.js works out a file's task list from this outline: the same fields
    (required or not) and the same pieces as the server's checklist."""
    for procedure in CAT.procedures:
        outline = tasks.outline(CAT, procedure)
        assert [s["id"] for s in outline["steps"]] == list(files.STEPS)
        flat = [(f["name"], f["required"]) for step in outline["steps"] for f in step["fields"]]
        assert sorted(flat) == sorted((f.name, f.required) for f in files.fields_for(procedure))
        assert outline["needs_ground"] == CAT.procedures[procedure].needs_ground
        for ground in [g.id for g in CAT.grounds_for(procedure)]:
            sources = [procedure, "common", ground]
            asked = {r["piece"] for s in sources for r in outline["pieces"][s]}
            assert asked == {i.piece.id for i in CAT.checklist(procedure, [ground])}


def test_the_task_list_shell_sends_nothing_and_says_it_is_worked_out_here(make_person) -> None:
    p = make_person()
    p.signup()
    page = p.client.get("/files/shell/renewal/tasks").text
    assert 'id="task-outline"' in page and "data-shell" in page
    for section in ("situation", "identity", "address", "pieces:renewal", "pieces:common", "declaration"):
        assert f'data-task="{section}"' in page, section
    assert "calculé sur cet appareil" in page and "tasks.js" in page
    assert "/review" not in page and 'data-op="file.submit"' not in page  # no sending from here
