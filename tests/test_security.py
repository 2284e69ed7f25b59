"""Security headers, the same-origin check, and no inline script anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.auth.csrf import is_same_origin

ORIGIN = "http://localhost:8000"


@pytest.mark.parametrize(
    ("method", "headers", "ok"),
    [
        ("GET", {}, True),
        ("POST", {"origin": ORIGIN}, True),
        ("POST", {"origin": "http://LOCALHOST:8000"}, True),
        ("POST", {"origin": "https://evil.example"}, False),
        ("POST", {"origin": "null"}, False),
        ("POST", {"sec-fetch-site": "same-origin"}, True),
        ("POST", {"sec-fetch-site": "cross-site"}, False),
        ("POST", {"sec-fetch-site": "same-site"}, False),
        ("POST", {"referer": ORIGIN + "/account"}, True),
        ("POST", {"referer": "https://evil.example/x"}, False),
        ("POST", {}, False),
        ("DELETE", {"origin": "https://evil.example"}, False),
    ],
)
def test_same_origin_rule(method: str, headers: dict[str, str], ok: bool) -> None:
    assert is_same_origin(method, headers, ORIGIN) is ok


def test_cross_site_post_is_refused_with_a_page(app, settings) -> None:
    with TestClient(app, base_url=settings.origin) as c:
        refused = c.post(
            "/signup",
            data={"display_name": "A", "language": "fr"},
            headers={"origin": "https://evil.example"},
        )
        assert refused.status_code == 403
        assert "ne vient pas d’une page de Sésame" in refused.text
        assert "content-security-policy" in refused.headers
        anonymous = c.post("/language", data={"lang": "en"})  # no Origin, no Referer
        assert anonymous.status_code == 403


def test_headers_on_pages_errors_and_static(client) -> None:
    for path in ("/", "/signin", "/nowhere", "/offline"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    for path in ("/", "/static/app.css", "/healthz", "/sync/pull"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    # Document policies are for documents: JSON answers stay small (an idle sync < 1 KB).
    assert "content-security-policy" not in client.get("/healthz").headers
    assert client.get("/").headers["cache-control"] == "private, no-cache"
    hashed = client.get("/static/app.css?v=abc")
    assert "immutable" in hashed.headers["cache-control"]


def test_unhandled_errors_get_a_translated_page_with_headers(settings, monkeypatch) -> None:
    from starlette.routing import Route

    import server.app

    async def broken(request):
        raise RuntimeError("bug")

    monkeypatch.setattr(server.app, "routes", [Route("/boom", broken), *server.app.routes])
    application = server.app.create_app(settings)
    with TestClient(application, base_url=settings.origin, raise_server_exceptions=False) as c:
        response = c.get("/boom", headers={"accept-language": "en"})
    application.state.db.close()
    assert response.status_code == 500
    assert "content-security-policy" in response.headers
    assert 'lang="en"' in response.text


TEMPLATES = Path(__file__).parent.parent / "server" / "templates"
PWA = Path(__file__).parent.parent / "pwa"


def test_no_inline_script_or_style_in_templates() -> None:
    bad = re.compile(
        r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>|\son[a-z]+=|\sstyle=|<style", re.I
    )
    for path in TEMPLATES.rglob("*.html"):
        assert not bad.search(path.read_text()), path


def test_scripts_use_no_eval() -> None:
    for path in PWA.rglob("*.js"):
        text = path.read_text()
        assert "eval(" not in text and "new Function" not in text and "innerHTML" not in text, path
