"""The Jinja environment: autoescape, gettext bound to the request's language,
and `static()` URLs carrying a hash of the file's content (cached forever)."""

from __future__ import annotations

import functools
import hashlib
import uuid
from datetime import date as date_
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_skeleton, format_time, get_timezone
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

import i18n
from server import clock, translation
from server.domain import partial_dates

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent.parent / "pwa"


@functools.cache
def _content_hash(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def static(name: str) -> str:
    return f"/static/{name}?v={_content_hash(name)}"


def _moment(value: str | datetime | None) -> datetime | None:
    if not value:
        return None
    return clock.parse(value) if isinstance(value, str) else value


def date(value: str | datetime | None) -> str:
    try:
        moment = _moment(value)
    except ValueError:
        # A date a person knows only in part ("2019", "2019-03~"): written out as such.
        return partial_date(value) if isinstance(value, str) else ""
    return format_date(moment, format="long", locale=translation.current.get()) if moment else ""


def datetime_(value: str | datetime | None) -> str:
    """A date written out and the time to the minute (no seconds), in Paris time."""
    moment = _moment(value)
    if moment is None:
        return ""
    lang = translation.current.get()
    local = moment.astimezone(get_timezone("Europe/Paris")) if moment.tzinfo else moment
    return translation.gettext("%(date)s à %(time)s") % {
        "date": format_date(local, format="long", locale=lang),
        "time": format_time(local, format="short", locale=lang),
    }


def partial_date(value: str | None) -> str:
    """A date the person may know only in part, written out in the reader's
    language: "14 mars 2019", "mars 2019", "2019", "vers 2019" (ADR 0025).
    A value that is not a date yet (half typed) is shown as it was typed."""
    found = partial_dates.parse(value or "")
    if found is None:
        return value or ""
    lang = translation.current.get()
    if found.day and found.month:
        text = format_date(date_(found.year, found.month, found.day), format="long", locale=lang)
    elif found.month:
        text = format_skeleton("yMMMM", date_(found.year, found.month, 1), locale=lang)
    else:
        text = str(found.year)
    return translation.gettext("vers %(date)s") % {"date": text} if found.approximate else text


def date_parts(value: str | None) -> dict[str, object]:
    """The three boxes of a date field (and its "approximate" box) from its stored text."""
    day, month, year, approximate = partial_dates.split(value or "")
    return {"day": day, "month": month, "year": year, "approximate": approximate}


def number(value: float, digits: int = 0) -> str:
    """A number as the reader's language writes it ("8,0" in French, "8.0" in English)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=translation.current.get())


def megabytes(size: int) -> str:
    """A size in MB as the reader's language writes it ("20" or "2,5")."""
    value = round(size / (1024 * 1024), 2)
    return number(value, 0 if value == int(value) else (1 if value * 10 == int(value * 10) else 2))


def bidi(value: object) -> Markup:
    """A number, name or file name kept whole in a sentence of the other direction
    ("2026-000001" read as such in Arabic): wrapped in <bdi>."""
    return Markup("<bdi>%s</bdi>") % str(value)


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    env.globals.update(static=static, languages=i18n.LANGUAGES, new_id=lambda: str(uuid.uuid4()), date_parts=date_parts)
    env.filters.update(date=date, datetime=datetime_, bidi=bidi, number=number, partial_date=partial_date)
    return env


class Templates:
    def __init__(self) -> None:
        self.env = make_environment()

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        lang = translation.current.get()
        state = request.scope.get("state", {})
        full = {
            "request": request,
            "lang": lang,
            "dir": i18n.text_direction(lang),
            "actor": state.get("actor"),
            "account": state.get("account"),
            "acting": state.get("acting"),
            "js_strings": i18n.catalog_dict(lang, "js"),
            "rendered_at": clock.iso(clock.now()),
            "max_bytes": request.app.state.settings.max_file_bytes,
            "shell": False,
            **(context or {}),
        }
        html = self.env.get_template(name).render(full)
        account = full["account"]
        if (
            account is not None
            and getattr(account, "role", None) == "worker"
            and not full.get("device_shell")
        ):
            # A worker's pages name the people they follow: never kept on the
            # device in clear (the service worker keeps no "no-store" page).
            # Shelter mode draws them from encrypted IndexedDB instead (ADR 0021).
            headers = {"cache-control": "private, no-store", **(headers or {})}
        response = HTMLResponse(html, status_code=status_code, headers=headers)
        return response
