"""Translation catalogues and a tiny loader (imports nothing of ours).

French is the source language: msgids are French. Two domains:
`messages` (Python and templates) and `js` (strings of the browser scripts,
exported to them as JSON). Catalogues live in `locales/<lang>/LC_MESSAGES/`.
`make i18n` extracts, updates and compiles them; when a compiled `.mo` is
missing or older than its `.po`, the loader compiles the `.po` in memory, so a
fresh checkout needs no build step.
"""

from __future__ import annotations

import functools
import gettext
import io
from dataclasses import dataclass
from pathlib import Path

from babel import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

HERE = Path(__file__).parent
LOCALES = HERE / "locales"
DOMAINS = ("messages", "js")


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself
    direction: str  # ltr | rtl


LANGUAGES: dict[str, Language] = {
    "fr": Language("fr", "Français", "ltr"),
    "en": Language("en", "English", "ltr"),
    "ar": Language("ar", "العربية", "rtl"),
}
DEFAULT = "fr"


def po_path(lang: str, domain: str = "messages") -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"


@functools.cache
def translations(lang: str, domain: str = "messages") -> gettext.NullTranslations:
    """The catalogue for `lang`. French, the source, has one too: for its plural rule."""
    if lang not in LANGUAGES:
        return gettext.NullTranslations()
    po = po_path(lang, domain)
    mo = po.with_suffix(".mo")
    if not po.exists():
        return gettext.NullTranslations()
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=domain)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@functools.cache
def catalog_dict(lang: str, domain: str = "js") -> dict[str, str]:
    """The translated strings of a domain as {msgid: msgstr}, for the browser."""
    po = po_path(lang, domain)
    if lang == DEFAULT or not po.exists():
        return {}
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=domain)
    return {m.id: m.string for m in catalog if m.id and m.string and isinstance(m.id, str)}


def negotiate(accept_language: str | None) -> str:
    """Pick our best language from an Accept-Language header (French if none fits)."""
    if not accept_language:
        return DEFAULT
    preferred: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        piece = part.strip().split(";")
        tag = piece[0].strip().replace("_", "-")
        if not tag or tag == "*":
            continue
        q = 1.0
        for param in piece[1:]:
            if param.strip().startswith("q="):
                try:
                    q = float(param.strip()[2:])
                except ValueError:
                    q = 0.0
        preferred.append((q, tag))
    preferred.sort(key=lambda item: -item[0])
    tags = [tag for q, tag in preferred if q > 0]
    found = negotiate_locale(tags, list(LANGUAGES), sep="-")
    if found:
        return found
    for tag in tags:  # "ar-MA" → "ar"
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT


def text_direction(lang: str) -> str:
    language = LANGUAGES.get(lang)
    return language.direction if language else "ltr"


__all__ = ["DEFAULT", "LANGUAGES", "Language", "catalog_dict", "negotiate", "translations"]
