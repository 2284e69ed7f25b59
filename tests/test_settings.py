from __future__ import annotations

import ast
import re
from pathlib import Path

from server import settings as settings_module
from server.settings import VARIABLES, load

ROOT = Path(__file__).parent.parent


def test_every_variable_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented == set(VARIABLES)


def test_settings_reads_only_the_variables_it_lists() -> None:
    source = Path(settings_module.__file__).read_text()
    read = set(re.findall(r'config\(\s*"([A-Z0-9_]+)"', source))
    assert read == set(VARIABLES)


def test_only_settings_reads_the_environment() -> None:
    for path in [*(ROOT / "server").rglob("*.py"), *(ROOT / "sync").rglob("*.py")]:
        if path.name == "settings.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                raise AssertionError(f"{path} reads the environment")


def test_defaults_suit_localhost(tmp_path: Path) -> None:
    s = load({"SESAME_DATA": str(tmp_path)})
    assert s.origin == "http://localhost:8000" and s.rp_id == "localhost"
    assert s.host == "127.0.0.1" and not s.secure_cookies
    assert s.db_path == tmp_path / "sesame.db"


def test_port_changes_the_default_origin(tmp_path: Path) -> None:
    s = load({"SESAME_DATA": str(tmp_path), "PORT": "9123"})
    assert s.port == 9123 and s.origin == "http://localhost:9123"


def test_generated_secret_key_is_kept(tmp_path: Path) -> None:
    first = load({"SESAME_DATA": str(tmp_path)})
    second = load({"SESAME_DATA": str(tmp_path)})
    assert str(first.secret_key) == str(second.secret_key)
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    given = load({"SESAME_DATA": str(tmp_path), "SESAME_SECRET_KEY": "abc"})
    assert str(given.secret_key) == "abc"
