"""The language of the current request, and gettext bound to it.

A context variable holds the language for the duration of a request (set by
`server.web.middleware`); `gettext` here translates into it. Domain code never
translates: it returns codes, and the edge (routes, templates) translates them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import i18n

current: ContextVar[str] = ContextVar("language", default=i18n.DEFAULT)


def gettext(message: str) -> str:
    return i18n.translations(current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(current.get()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later, where it is shown."""
    return message


@contextmanager
def language(lang: str) -> Iterator[None]:
    token = current.set(lang if lang in i18n.LANGUAGES else i18n.DEFAULT)
    try:
        yield
    finally:
        current.reset(token)
