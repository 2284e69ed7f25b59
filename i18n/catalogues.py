"""Extract, update, compile and check the catalogues (`python -m i18n.catalogues`).

    python -m i18n.catalogues update    extract messages, merge them into every
                                        language's .po (French gets msgstr = msgid),
                                        write the .pot templates
    python -m i18n.catalogues compile   write the .mo files
    python -m i18n.catalogues check     list missing, unused and fuzzy entries;
                                        exit 1 if there is any

Run from the repository root (the paths in babel.cfg are relative to it).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from . import DEFAULT, DOMAINS, HERE, LANGUAGES, po_path

ROOT = HERE.parent
CONFIGS = {"messages": HERE / "babel.cfg", "js": HERE / "babel-js.cfg"}
KEYWORDS = {
    "messages": {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    "js": {"gettext": None},
}


def extract(domain: str) -> Catalog:
    """Every translatable string of a domain, as found in the sources now."""
    with CONFIGS[domain].open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    catalog = Catalog(project="Sésame", domain=domain, locale=DEFAULT, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS[domain],
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read(lang: str, domain: str) -> Catalog | None:
    path = po_path(lang, domain)
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=domain)


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, no_location=True, include_previous=False)


def update() -> None:
    for domain in DOMAINS:
        template = extract(domain)
        _write(template, HERE / f"{domain}.pot")
        for lang in LANGUAGES:
            catalog = read(lang, domain) or Catalog(
                locale=lang, domain=domain, project="Sésame", version="1", fuzzy=False
            )
            # update() may keep the template's Message objects: give it a copy.
            catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
            catalog.fuzzy = False
            catalog.obsolete.clear()
            if lang == DEFAULT:  # French is the source: its translation is itself
                # gettext's French rule (0 and 1 are singular), not CLDR's three forms.
                catalog._num_plurals, catalog._plural_expr = 2, "(n > 1)"
                for message in catalog:
                    if message.id:
                        message.string = message.id
                    if isinstance(message.id, tuple):  # French: two plural forms
                        message.string = tuple(message.id)
            _write(catalog, po_path(lang, domain))


def compile_all() -> None:
    for domain in DOMAINS:
        for lang in LANGUAGES:
            catalog = read(lang, domain)
            if catalog is None:
                continue
            with po_path(lang, domain).with_suffix(".mo").open("wb") as f:
                write_mo(f, catalog)


def _ids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


def check() -> list[str]:
    """Problems that would show a person untranslated or stale text."""
    problems: list[str] = []
    for domain in DOMAINS:
        wanted = _ids(extract(domain))
        for lang in LANGUAGES:
            catalog = read(lang, domain)
            if catalog is None:
                problems.append(f"{lang}/{domain}: catalogue missing")
                continue
            have = _ids(catalog)
            for msgid in sorted(map(str, wanted - {m for m in have})):
                problems.append(f"{lang}/{domain}: missing {msgid!r}")
            for msgid in sorted(map(str, have - wanted)):
                problems.append(f"{lang}/{domain}: unused {msgid!r}")
            for message in catalog:
                if not message.id:
                    continue
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.fuzzy:
                    problems.append(f"{lang}/{domain}: fuzzy {message.id!r}")
                elif not all(strings):
                    problems.append(f"{lang}/{domain}: untranslated {message.id!r}")
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = check()
        print("\n".join(problems) or "catalogues complete")
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
