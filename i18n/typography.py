"""French typography in the sources: `python -m i18n.typography` (issue 10, item 9).

French puts a non-breaking space before ":" (U+00A0) and a narrow one before ";", "?"
and "!" (U+202F); a plain space lets the sign wrap alone onto the next line of a
narrow phone screen. Several people add French strings at once, so the rule is
applied by this tool rather than by hand: it rewrites the French source strings
(the arguments of `_`, `N_`, `gettext`, `ngettext` in Python, of `gettext` in the
service's JS, the text and `_()` strings of the templates) and, with the same
function, the message ids of every catalogue — so English and Arabic translations
stay attached to their French source. It is idempotent; `tests/test_french_typography.py`
fails on what it has not been run over.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

from babel.messages.pofile import read_po

from . import DEFAULT, DOMAINS, HERE, LANGUAGES, po_path
from .catalogues import _write

ROOT = HERE.parent
PLAIN_SPACE_BEFORE = re.compile(r" ([:;?!])(?=\s|$|[<\"'»)])")
NBSP, NARROW = "\u00a0", "\u202f"
KEYWORDS = {"_", "N_", "gettext", "ngettext"}
# What the templates do not show as text: scripts, styles, tags, Jinja blocks.
BLOCKS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
JS_CALL = re.compile(r"""\bgettext\(\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
STRING = r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
# `_("…")`, `gettext("…")`, `ngettext("…", "…", n)`: the strings before any other argument.
TEMPLATE_CALL = re.compile(r"\b(?:_|gettext|ngettext)\(\s*" + STRING + r"(?:\s*,\s*" + STRING + ")?")


def fix(text: str) -> str:
    """The same text with a non-breaking space before each high sign."""
    return PLAIN_SPACE_BEFORE.sub(lambda m: (NBSP if m.group(1) == ":" else NARROW) + m.group(1), text)


def fix_python(source: str) -> str:
    """Rewrite the string literals that are gettext message ids (positional
    arguments of a keyword call), nothing else: SQL's `= ?` stays as it is."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    edits: list[tuple[tokenize.TokenInfo, str]] = []
    i = 0
    while i < len(tokens) - 1:
        token = tokens[i]
        if token.type == tokenize.NAME and token.string in KEYWORDS and tokens[i + 1].string == "(":
            depth, j = 0, i + 1
            while j < len(tokens):
                t = tokens[j]
                if t.string in "([{" and t.type == tokenize.OP:
                    depth += 1
                elif t.string in ")]}" and t.type == tokenize.OP:
                    depth -= 1
                    if depth == 0:
                        break
                elif depth == 1 and t.type == tokenize.OP and t.string == "=":
                    break  # keyword arguments: values, not message ids
                elif (
                    depth == 1
                    and t.type == tokenize.STRING
                    and not t.string.lower().startswith(("f", "rf", "fr"))
                ):
                    fixed = fix(t.string)
                    if fixed != t.string:
                        edits.append((t, fixed))
                j += 1
        i += 1
    for token, fixed in reversed(edits):
        (row, col), (end_row, end_col) = token.start, token.end
        if row != end_row:
            continue  # a triple-quoted id over several lines: none in the sources
        line = lines[row - 1]
        lines[row - 1] = line[:col] + fixed + line[end_col:]
    return "".join(lines)


def fix_js(source: str) -> str:
    return JS_CALL.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + fix(m.group(1)), source)


def fix_template(source: str) -> str:
    """The text between tags and Jinja blocks, and the `_()` strings inside the blocks."""
    out: list[str] = []
    pos = 0
    for block in BLOCKS.finditer(source):
        out.append(fix(source[pos : block.start()]))
        chunk = block.group(0)
        if chunk.startswith(("{{", "{%")) or (chunk.startswith("<") and "_(" in chunk):
            chunk = TEMPLATE_CALL.sub(lambda m: fix(m.group(0)), chunk)
        out.append(chunk)
        pos = block.end()
    out.append(fix(source[pos:]))
    return "".join(out)


def sources() -> list[tuple[Path, object]]:
    found: list[tuple[Path, object]] = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        found.append((path, fix_python))
    for path in sorted((ROOT / "server" / "templates").rglob("*.html")):
        found.append((path, fix_template))
    for path in sorted((ROOT / "pwa").glob("*.js")):
        found.append((path, fix_js))
    return found


def fix_catalogues() -> int:
    changed = 0
    for domain in DOMAINS:
        paths = [po_path(lang, domain) for lang in LANGUAGES] + [HERE / f"{domain}.pot"]
        for path in paths:
            if not path.exists():
                continue
            with path.open("rb") as f:
                catalog = read_po(f, locale=None if path.suffix == ".pot" else path.parent.parent.name)
            french = path.suffix == ".po" and path.parent.parent.name == DEFAULT
            touched = False
            for message in list(catalog):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                new = tuple(fix(i) for i in ids)
                if new == ids:
                    continue
                touched = True
                string = message.string
                if french:
                    string = tuple(fix(s) for s in string) if isinstance(string, tuple) else fix(string)
                del catalog[message.id]
                catalog.add(
                    new if len(new) > 1 else new[0],
                    string,
                    flags=message.flags,
                    auto_comments=message.auto_comments,
                    user_comments=message.user_comments,
                )
            if touched:
                _write(catalog, path)
                changed += 1
    return changed


def main(argv: list[str]) -> int:
    changed = 0
    for path, rewrite in sources():
        text = path.read_text()
        fixed = rewrite(text)  # type: ignore[operator]
        if fixed != text:
            path.write_text(fixed)
            changed += 1
            print(f"fixed {path.relative_to(ROOT)}")
    print(f"{changed} source files, {fix_catalogues()} catalogues rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
