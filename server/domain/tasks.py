"""A file's task list (GOV.UK task-list pattern): each section of the file with
its state, worked out from the data, never stored.

    situation     the procedure's own questions and the legal grounds
    identity      who the person is
    address       where they live and how to reach them
    pieces:<src>  one group of pieces per source in the checklist: the
                  procedure's own, the common ones, then each ground's
    declaration   confirmed when the file is sent (check answers)

States: `todo` (nothing given yet), `in_progress` (something given, something
missing), `done` (nothing missing). The declaration is `done` once the file is
sent; before, it is `todo`, and `ready` tells whether every other section is
done (only then may it be opened, and only then is "Envoyer" offered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import files
from .catalogue import COMMON, Catalogue, PieceRef
from .files import File, Problem

TODO, IN_PROGRESS, DONE = "todo", "in_progress", "done"


@dataclass(frozen=True)
class Task:
    id: str  # situation | identity | address | pieces:<source> | declaration
    state: str
    href: str  # where to go: the first missing item, else the section
    missing: int  # how many things are missing in it


@dataclass(frozen=True)
class TaskList:
    tasks: tuple[Task, ...]
    first_missing: str | None  # the address of the first missing item of the file

    @property
    def ready(self) -> bool:
        return self.first_missing is None


def _state(given: bool, missing: int) -> str:
    if missing == 0:
        return DONE
    return IN_PROGRESS if given else TODO


def build(
    file: File,
    catalogue: Catalogue,
    values: dict[str, str],
    present: set[str],
    problems: list[Problem],
) -> TaskList:
    """The task list of `file`, given its field values, the pieces it has files for,
    and its problems (`files.problems`)."""
    base = f"/files/{file.id}"
    fields = files.fields_for(file.procedure)
    tasks: list[Task] = []
    first: str | None = None
    for step in files.STEPS:
        names = [f.name for f in fields if f.step == step]
        wrong = [p for p in problems if p.field in names]
        if step == "situation":
            wrong += [p for p in problems if p.code == "ground_required"]
        given = any(values.get(n, "").strip() for n in names) or (step == "situation" and bool(file.grounds))
        href = f"{base}/{step}"
        if wrong:
            href = (
                f"{base}/grounds"
                if wrong[0].code == "ground_required"
                else f"{base}/{step}#f-{wrong[0].field}"
            )
            first = first or href
        tasks.append(Task(step, _state(given, len(wrong)), href, len(wrong)))
    groups: dict[str, list[str]] = {}
    required: dict[str, bool] = {}
    for item in catalogue.checklist(file.procedure, file.grounds):
        groups.setdefault(item.reasons[0], []).append(item.piece.id)
        required[item.piece.id] = not item.optional
    order = [file.procedure, COMMON, *file.grounds]
    for source in sorted(groups, key=order.index):
        pieces = groups[source]
        missing = [p for p in pieces if required[p] and p not in present]
        href = f"{base}/checklist#piece-{missing[0] if missing else pieces[0]}"
        if missing:
            first = first or href
        tasks.append(
            Task(
                f"pieces:{source}",
                _state(any(p in present for p in pieces), len(missing)),
                href,
                len(missing),
            )
        )
    sent = file.status != "draft"
    tasks.append(Task("declaration", DONE if sent else TODO, f"{base}/review", 0 if sent else 1))
    return TaskList(tuple(tasks), first)


def outline(catalogue: Catalogue, procedure: str) -> dict[str, Any]:
    """What each section of a file of `procedure` asks, for the phone to work out a
    task list from what it knows of a file the server has not seen yet (made
    offline): each step's fields (required or not), whether a ground is needed,
    and the pieces of each source, in `Catalogue.checklist`'s order (the
    procedure's, then the common ones and each ground's once a ground is chosen)."""
    chosen = catalogue.procedures[procedure]

    def refs(pieces: tuple[PieceRef, ...]) -> list[dict[str, Any]]:
        return [{"piece": r.piece, "optional": r.optional} for r in pieces]

    fields = files.fields_for(procedure)
    return {
        "procedure": procedure,
        # A list: the page's JSON has its keys sorted, and the steps have an order.
        "steps": [
            {
                "id": step,
                "fields": [{"name": f.name, "required": f.required} for f in fields if f.step == step],
            }
            for step in files.STEPS
        ],
        "needs_ground": chosen.needs_ground,
        "pieces": {
            procedure: refs(chosen.pieces),
            COMMON: refs(catalogue.common_pieces),
            **{g.id: refs(g.pieces) for g in catalogue.grounds_for(procedure)},
        },
    }
