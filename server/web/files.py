"""An applicant's files: start one (qualification), fill it in step by step,
check the answers, submit, withdraw, and follow where it stands."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import clock
from server.auth import policy
from server.domain import (
    appointments,
    attestations,
    cards,
    complements,
    decisions,
    files,
    geography,
    messages,
    opened,
    pieces,
    tasks,
    timeline,
)
from server.domain import catalogue as catalogue_module
from server.domain.files import File
from server.templating import megabytes
from sync import bounded_json
from sync.protocol import ProtocolError, parse_at

from . import checklist_rows, date_fields, questions
from .common import actor, db, form, not_found, redirect, run_command, templates
from .messages import done, message
from .texts import field_label, problem_text, status_info

STEP_ORDER = ("situation", "identity", "address", "checklist", "review")


def catalogue() -> catalogue_module.Catalogue:
    return catalogue_module.load()


async def load_own_file(request: Request) -> File:
    """The file in the URL, if it is the signed-in person's; else 404 (never 403)."""
    who = actor(request)
    file = await db(request).read(files.get, request.path_params["file_id"])
    if file is None or not policy.is_applicant_of(who, file.owner_id):
        raise not_found()
    return file


# -- starting a file (the questions before it: server/web/questions.py) ---------


def _grounds_page(
    request: Request,
    file: File,
    grounds: list[str],
    title: str,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The grounds of an existing file: add a second one, or change them."""
    cat = catalogue()
    return templates(request).render(
        request,
        "files/grounds.html",
        {
            "catalogue": cat,
            "file": file,
            "procedure": cat.procedures[file.procedure],
            "grounds": cat.grounds_for(file.procedure),
            "chosen": grounds,
            "title": title,
            "titles": [cat.titles[t] for t in cat.titles],
            "errors": errors,
        },
        status_code=status_code,
    )


async def create_file(request: Request) -> Response:
    data = await request.form()
    procedure = str(data.get("procedure", ""))
    grounds = [str(g) for g in data.getlist("grounds")]
    title = str(data.get("title", ""))
    file_id = str(data.get("file_id", "")) or str(uuid.uuid4())
    result = await run_command(
        request,
        "file.create",
        {"file_id": file_id, "procedure": procedure, "grounds": grounds, "title": title or None},
        str(data.get("command_id", "")),
    )
    if not result.applied:
        if result.code == "exists":  # the same form posted twice
            return redirect(f"/files/{file_id}")
        outcome = questions.outcome_for(procedure, grounds)
        if outcome is None:
            return redirect("/files/new")
        errors = {result.field or "form": message(result.code)}
        return questions.render_outcome(request, outcome, errors, file_id, 400)
    return redirect(f"/files/{file_id}")


# -- one file --------------------------------------------------------------------


def _file_context(conn: Any, file: File) -> dict[str, Any]:
    return {
        "file": file,
        "values": files.field_values(conn, file.id),
        "attachments": pieces.current(conn, file.id),
        "events": timeline.for_file(conn, file.id),
        "thread": messages.thread(conn, file.id),
        "problems": files.problems(conn, file, catalogue()),
        "asked": complements.open_items(conn, file.id),
        "decisions": decisions.for_file(conn, file.id),
        "attestation_list": attestations.for_file(conn, file.id),
        "today": clock.now().date().isoformat(),
        "card": cards.get(conn, file.id),
        "appointment": appointments.current(conn, file.id),
        "opened": bool(opened.opened_files(conn, [file.id])),
    }


async def _file_page(request: Request, template: str, extra: Any, status_code: int = 200) -> Response:
    """A page about the whole file: its values, pieces, history, messages, problems.
    `extra(file, data)` adds what this page alone needs."""
    file = await load_own_file(request)
    data = await db(request).read(_file_context, file)
    cat = catalogue()
    return templates(request).render(
        request,
        template,
        {
            **data,
            "catalogue": cat,
            "checklist": cat.checklist(file.procedure, file.grounds),
            **extra(file, data),
        },
        status_code=status_code,
    )


async def show_file(request: Request) -> Response:
    return await _file_page(
        request,
        "files/show.html",
        lambda file, data: {
            "tasks": tasks.build(
                file,
                catalogue(),
                data["values"],
                {a.piece for a in data["attachments"]},
                data["problems"],
            ),
            "status": status_info(file, data["opened"]),
            "unread": sum(1 for m in data["thread"] if m.from_prefecture and not m.read_at),
            "done": done(request.query_params.get("done")),
        },
    )


def _step_fields(file: File, step: str) -> list[files.Field]:
    return [f for f in files.fields_for(file.procedure) if f.step == step]


async def step_page(request: Request) -> Response:
    step = request.path_params["step"]
    if step not in files.STEPS:
        raise not_found()
    file = await load_own_file(request)
    values = await db(request).read(files.field_values, file.id)
    return await _render_asked_step(request, file, step, values, {})


async def _render_asked_step(
    request: Request,
    file: File,
    step: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """The step page with what the prefecture asks on it (and reopens on a locked file)."""
    asked = await db(request).read(complements.open_items, file.id)
    return _render_step(request, file, step, values, errors, status_code, asked=asked)


def _render_step(
    request: Request,
    file: File,
    step: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    asked: list[complements.Item] | None = None,
) -> Response:
    cat = catalogue()
    postcode_dep = geography.for_postcode(values.get("postcode", ""))
    return templates(request).render(
        request,
        "files/step.html",
        {
            "shell": file.id == "shell",
            "file": file,
            "catalogue": cat,
            "step": step,
            "steps": STEP_ORDER,
            "fields": _step_fields(file, step),
            "values": values,
            "errors": errors,
            "label": field_label,
            "departements": geography.departements(),
            "postcode_departement": postcode_dep,
            "next_step": STEP_ORDER[STEP_ORDER.index(step) + 1],
            "asked": {
                i.target: i
                for i in asked or []
                if i.kind == "field" and i.target in {f.name for f in _step_fields(file, step)}
            },
        },
        status_code=status_code,
    )


# "tasks": the file's page (its task list) for a file the server has not seen yet.
SHELL_STEPS = ("tasks", "situation", "identity", "address", "checklist", "messages")


def shell_file(procedure: str) -> File:
    """A file with nothing in it: the editor shell the service worker keeps,
    filled on the phone from what the phone knows (for files made offline)."""
    return File(
        id="shell",
        number="",
        owner_id="",
        procedure=procedure,
        grounds=(),
        title=None,
        status="draft",
        departement=None,
        catalogue_version=None,
        created_by=None,
        created_at="",
        updated_at="",
        submitted_at=None,
        locked_at=None,
        decided_at=None,
        withdrawn_at=None,
        version=0,
    )


def checklist_map(procedure_id: str) -> dict[str, Any]:
    """Which pieces each part of a file asks for, for the phone to work out a checklist."""
    cat = catalogue()
    return {
        "procedure": [ref.piece for ref in cat.procedures[procedure_id].pieces],
        "common": [ref.piece for ref in cat.common_pieces],
        "grounds": {g.id: [ref.piece for ref in g.pieces] for g in cat.grounds_for(procedure_id)},
    }


async def shell(request: Request) -> Response:
    procedure, step = request.path_params["procedure"], request.path_params["step"]
    if procedure not in catalogue().procedures or step not in SHELL_STEPS:
        raise not_found()
    file = shell_file(procedure)
    if step == "tasks":
        cat = catalogue()
        return templates(request).render(
            request,
            "files/tasks_shell.html",
            {
                "file": file,
                "catalogue": cat,
                "shell": True,
                "outline": tasks.outline(cat, procedure),
                "grounds": cat.grounds_for(procedure),
            },
        )
    if step == "messages":
        return templates(request).render(
            request,
            "files/messages.html",
            {"file": file, "thread": [], "error": "", "body": "", "done": "", "shell": True},
        )
    if step == "checklist":
        cat = catalogue()
        every = [g.id for g in cat.grounds_for(procedure)]
        return templates(request).render(
            request,
            "files/checklist.html",
            {
                "file": file,
                "catalogue": cat,
                "rows": checklist_rows.rows(
                    cat.checklist(procedure, every), {}, {}, editable=True, locked=False, opened=set()
                ),
                "report": [],
                "max_mb": megabytes(request.app.state.settings.max_file_bytes),
                "steps": STEP_ORDER,
                "step": "checklist",
                "done": "",
                "shell": True,
                "checklist_map": checklist_map(procedure),
            },
        )
    response = _render_step(request, file, step, {}, {})
    return response


async def save_step(request: Request) -> Response:
    step = request.path_params["step"]
    if step not in files.STEPS:
        raise not_found()
    file = await load_own_file(request)
    values = date_fields.compose(await form(request), _step_fields(file, step))
    fields = {f.name: values.get(f.name, "") for f in _step_fields(file, step)}
    result = await run_command(
        request, "file.update", {"file_id": file.id, "fields": fields}, values.get("command_id")
    )
    if not result.applied:
        errors = {result.field or "form": message(result.code)}
        return await _render_asked_step(request, file, step, fields, errors, 400)
    if values.get("then") == "stay":
        return redirect(f"/files/{file.id}/{step}?done=saved")
    following = STEP_ORDER[STEP_ORDER.index(step) + 1]
    return redirect(f"/files/{file.id}/{following}")


async def autosave(request: Request) -> Response:
    """JSON: {command_id, at, fields: {name: value}} from `pwa/autosave.js`."""
    file = await load_own_file(request)
    try:
        body = bounded_json.loads(await request.body())
    except bounded_json.BadJSON:
        return JSONResponse({"status": "refused", "message": message("invalid")}, status_code=400)
    if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
        return JSONResponse({"status": "refused", "message": message("invalid")}, status_code=400)
    cid, at = body.get("command_id"), body.get("at")
    try:
        # A date out of range counts as now (the protocol's check), never a 500.
        at = at if isinstance(at, str) and parse_at(at) else None
    except ProtocolError:
        at = None
    result = await run_command(
        request,
        "file.update",
        {"file_id": file.id, "fields": body["fields"]},
        cid if isinstance(cid, str) else None,
        at=at,
    )
    payload = result.to_json()
    if not result.applied:
        payload["message"] = message(result.code)
    return JSONResponse(payload, status_code=200 if result.applied else 400)


async def review(request: Request) -> Response:
    return await _file_page(
        request,
        "files/review.html",
        lambda file, data: {
            "fields_by_step": {s: _step_fields(file, s) for s in files.STEPS},
            # "Envoyer" only when nothing is missing; else what is, and the first of it.
            "tasks": tasks.build(
                file,
                catalogue(),
                data["values"],
                {a.piece for a in data["attachments"]},
                data["problems"],
            ),
            "prefecture": geography.get(file.departement or files.competent_departement(data["values"])),
            "departements": geography.departements(),
            "label": field_label,
            "problem_text": problem_text,
            "steps": STEP_ORDER,
            "step": "review",
        },
        status_code=400 if request.query_params.get("refused") else 200,
    )


async def submit(request: Request) -> Response:
    file = await load_own_file(request)
    values = await form(request)
    if file.status == "draft" and values.get("declaration") != "yes":
        return redirect(f"/files/{file.id}/review?refused=declaration#f-declaration")
    result = await run_command(request, "file.submit", {"file_id": file.id}, values.get("command_id"))
    if not result.applied:
        return redirect(f"/files/{file.id}/review?refused={result.code}")
    return redirect(f"/files/{file.id}/confirmation")


async def grounds_page(request: Request) -> Response:
    file = await load_own_file(request)
    return _grounds_page(request, file, list(file.grounds), file.title or "", {})


async def change_grounds(request: Request) -> Response:
    file = await load_own_file(request)
    data = await request.form()
    grounds = [str(g) for g in data.getlist("grounds")]
    title = str(data.get("title", ""))
    result = await run_command(
        request,
        "file.set_grounds",
        {"file_id": file.id, "grounds": grounds, "title": title or None},
        str(data.get("command_id", "")),
    )
    if not result.applied:
        errors = {result.field or "form": message(result.code)}
        return _grounds_page(request, file, grounds, title, errors, 400)
    return redirect(f"/files/{file.id}/checklist")


async def withdraw_page(request: Request) -> Response:
    file = await load_own_file(request)
    return templates(request).render(request, "files/withdraw.html", {"file": file, "catalogue": catalogue()})


async def withdraw(request: Request) -> Response:
    file = await load_own_file(request)
    values = await form(request)
    result = await run_command(
        request,
        "file.withdraw",
        {"file_id": file.id, "reason": values.get("reason", "")},
        values.get("command_id"),
    )
    if not result.applied:
        return templates(request).render(
            request,
            "files/withdraw.html",
            {"file": file, "catalogue": catalogue(), "error": message(result.code)},
            status_code=400,
        )
    return redirect(f"/files/{file.id}?done=withdrawn")
