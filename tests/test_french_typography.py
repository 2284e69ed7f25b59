"""French typography (issue 10, item 9): a non-breaking space, never a plain one,
before ":", ";", "?" and "!" — in the French source strings (the catalogues) and in
the text the templates write outside them. A plain space lets the sign wrap alone
onto the next line of a narrow phone screen."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent
PLAIN_SPACE_BEFORE = re.compile(r" [:;?!](?=\s|$|[<\"'»)])")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
HIDDEN = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>", re.S)


def french_msgids(domain: str) -> list[str]:
    with (ROOT / "i18n" / "locales" / "fr" / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
        catalog = read_po(f)
    found: list[str] = []
    for message in catalog:
        if message.id:
            found.extend(message.id if isinstance(message.id, tuple) else [message.id])
    return found


def test_the_french_catalogues_use_non_breaking_spaces() -> None:
    wrong = [
        (domain, text)
        for domain in ("messages", "js")
        for text in french_msgids(domain)
        if PLAIN_SPACE_BEFORE.search(text)
    ]
    assert not wrong, "\n".join(f"{d}: {t!r}" for d, t in wrong[:40]) + f"\n({len(wrong)} in all)"


def test_the_templates_text_uses_non_breaking_spaces() -> None:
    wrong = []
    for path in sorted((ROOT / "server" / "templates").rglob("*.html")):
        text = HIDDEN.sub(" ", JINJA.sub("x", path.read_text()))
        for match in PLAIN_SPACE_BEFORE.finditer(text):
            wrong.append(f"{path.relative_to(ROOT)}: …{text[max(0, match.start() - 30) : match.end()]!r}")
    assert not wrong, "\n".join(wrong)


def test_the_check_itself_finds_a_plain_space() -> None:
    assert PLAIN_SPACE_BEFORE.search("Motif : voir")
    assert PLAIN_SPACE_BEFORE.search("Vraiment ?")
    assert not PLAIN_SPACE_BEFORE.search("Motif\u00a0: voir")
    assert not PLAIN_SPACE_BEFORE.search("Vraiment\u202f?")
    assert not PLAIN_SPACE_BEFORE.search("/files?done=1")
