"""The words of the inbox search, scoped to a prefecture.

Each word a file is found by is stored with its prefecture's code in front
(`75xbenali`, `2axbenali`, `971xbenali`): a search in Paris then reads only
the Paris hits of a name, never the country's, and never the list of every
Paris file (m027; docs/scale.md). The `x` closes the code, so no code is the
start of another's word. The full-text tokenizer (unicode61, diacritics
removed) folds case and accents on both sides.
"""

from __future__ import annotations

import re

# Letters and digits: the tokenizer's own word characters (the underscore, a
# `\w` for Python, separates words there).
WORD = re.compile(r"[^\W_]+")
UNPLACED = "none"  # a draft whose prefecture is not known yet


def prefix(departement: str | None) -> str:
    return f"{(departement or UNPLACED).lower()}x"


def words(text: str) -> list[str]:
    return WORD.findall(text)


def scoped(departement: str | None, text: str) -> str:
    """What the full-text index stores for `text`: every word prefixed, one
    space between words (the département trigger of m027 relies on it)."""
    start = prefix(departement)
    return " ".join(start + w for w in words(text))
