"""The arrows: server.web → server.domain → server.store; server → sync, server → i18n.
Never sync → server, never domain → web (or Starlette, Jinja), never i18n → ours."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent

FORBIDDEN = {
    "sync": ("server", "i18n", "starlette", "jinja2"),
    "i18n": ("server", "sync"),
    "server/domain": (
        "server.web",
        "server.app",
        "server.routes",
        "server.templating",
        "starlette",
        "jinja2",
    ),
    "server/store": ("server.web", "server.domain", "server.auth", "starlette", "jinja2"),
    "server/auth": ("server.web", "server.app", "server.routes", "jinja2"),
}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_arrows() -> None:
    problems = []
    for folder, banned in FORBIDDEN.items():
        for path in (ROOT / folder).rglob("*.py"):
            for name in imports(path):
                if any(name == b or name.startswith(b + ".") for b in banned):
                    problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []
