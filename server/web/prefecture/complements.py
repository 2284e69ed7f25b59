"""Agents ask for complements item by item; a prefecture's administrators set
how long a complement gives by default.

Plain HTML forms; each post is one command (`complement.request`,
`complement.settle`, `prefecture.configure`) through the one write path.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.domain import attestations, complements, files, geography
from server.domain import catalogue as catalogue_module
from server.domain.files import File

from ..common import actor, db, form, redirect, run_command
from ..messages import done, message
from .common import render
from .common import reviewed_file as agents_file


def catalogue() -> catalogue_module.Catalogue:
    return catalogue_module.load()


def candidates(file: File) -> list[tuple[str, str]]:
    """What may be asked for: every piece of the file's checklist, every field of its procedure."""
    pieces = [("piece", item.piece.id) for item in catalogue().checklist(file.procedure, file.grounds)]
    fields = [("field", f.name) for f in files.fields_for(file.procedure)]
    return pieces + fields


def _today() -> date:
    return clock.now().date()


async def _page(
    request: Request,
    file: File,
    *,
    chosen: dict[str, dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    def load(conn: Any) -> dict[str, Any]:
        return {
            "items": complements.for_file(conn, file.id),
            "default_due": complements.default_due(conn, file.departement, _today()),
            "default_days": complements.default_days(conn, file.departement),
        }

    data = await db(request).read(load)
    preselected = request.query_params.get("piece", "")
    if chosen is None:
        chosen = {f"piece:{preselected}": {"ask": "1", "reason": "", "due": ""}} if preselected else {}
    return render(
        request,
        "prefecture/complements.html",
        {
            **data,
            "file": file,
            "catalogue": catalogue(),
            "candidates": candidates(file),
            "chosen": chosen,
            "errors": errors or {},
            "open_items": [i for i in data["items"] if i.open],
            "min_due": _today().isoformat(),
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
    )


async def new(request: Request) -> Response:
    file = await agents_file(request)
    return await _page(request, file)


async def create(request: Request) -> Response:
    file = await agents_file(request)
    values = await form(request)
    chosen: dict[str, dict[str, str]] = {}
    keys: list[str] = []
    items: list[dict[str, str]] = []
    for kind, target in candidates(file):
        key = f"{kind}:{target}"
        row = {
            "ask": values.get(f"ask:{key}", ""),
            "reason": values.get(f"reason:{key}", ""),
            "due": values.get(f"due:{key}", ""),
        }
        if row["ask"] or row["reason"].strip():
            chosen[key] = row
        if row["ask"]:
            keys.append(key)
            items.append({"kind": kind, "target": target, "reason": row["reason"], "due": row["due"]})
    result = await run_command(
        request, "complement.request", {"file_id": file.id, "items": items}, values.get("command_id")
    )
    if not result.applied:
        errors = {"form": message(result.code)}
        field = result.field or ""
        if field.startswith("items.") and field.count(".") == 2:
            _, n, name = field.split(".")
            errors = {f"{name}:{keys[int(n)]}": message(result.code)}
        return await _page(request, file, chosen=chosen, errors=errors, status_code=400)
    return redirect(f"/prefecture/files/{file.id}?done=complement_requested")


async def settle(request: Request) -> Response:
    file = await agents_file(request)
    values = await form(request)
    result = await run_command(
        request,
        "complement.settle",
        {
            "file_id": file.id,
            "item_ids": [request.path_params["item_id"]],
            "status": values.get("status", ""),
        },
        values.get("command_id"),
    )
    if not result.applied:
        return await _page(request, file, errors={"form": message(result.code)}, status_code=400)
    return redirect(f"/prefecture/files/{file.id}/complements/new?done=complement_{values.get('status')}")


# -- a prefecture's settings ------------------------------------------------------------


async def _settings_page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    who = actor(request)

    def load(conn: Any) -> dict[str, str]:
        return {
            "complement_days": str(complements.default_days(conn, who.prefecture)),
            "provisional_days": str(attestations.after_days(conn, who.prefecture)),
        }

    current = await db(request).read(load)
    return render(
        request,
        "prefecture/settings.html",
        {
            "departement": geography.get(who.prefecture),
            "values": {**current, **(values or {})},
            "errors": errors or {},
            "min_days": complements.MIN_DAYS,
            "max_days": complements.MAX_DAYS,
            "min_after": attestations.MIN_AFTER_DAYS,
            "max_after": attestations.MAX_AFTER_DAYS,
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
    )


async def settings_page(request: Request) -> Response:
    return await _settings_page(request)


async def save_settings(request: Request) -> Response:
    values = await form(request)
    kept = {k: values.get(k, "") for k in ("complement_days", "provisional_days")}
    result = await run_command(request, "prefecture.configure", kept, values.get("command_id"))
    if not result.applied:
        text = message(result.code)
        if result.code == "days_invalid":
            bounds = (
                (attestations.MIN_AFTER_DAYS, attestations.MAX_AFTER_DAYS)
                if result.field == "provisional_days"
                else (complements.MIN_DAYS, complements.MAX_DAYS)
            )
            text = text % {"min": bounds[0], "max": bounds[1]}
        return await _settings_page(request, kept, {result.field or "complement_days": text}, 400)
    return redirect("/prefecture/settings?done=settings_saved")
