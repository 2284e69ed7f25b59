from __future__ import annotations

import pytest

import i18n
from i18n import catalogues


def test_catalogues_have_no_missing_unused_or_fuzzy_entries() -> None:
    assert catalogues.check() == []


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "fr"),
        ("", "fr"),
        ("en-GB,en;q=0.9", "en"),
        ("ar-MA,ar;q=0.9,fr;q=0.8", "ar"),
        ("de-DE,de;q=0.9,en;q=0.5", "en"),
        ("es", "fr"),
        ("en;q=0,ar", "ar"),
        ("garbage;;q=x", "fr"),
    ],
)
def test_accept_language(header: str | None, lang: str) -> None:
    assert i18n.negotiate(header) == lang


def test_directions() -> None:
    assert [i18n.text_direction(code) for code in ("fr", "en", "ar")] == ["ltr", "ltr", "rtl"]


@pytest.mark.parametrize(
    ("lang", "direction", "heading"),
    [("fr", "ltr", "Se connecter"), ("en", "ltr", "Sign in"), ("ar", "rtl", None)],
)
def test_pages_render_in_each_language(client, lang: str, direction: str, heading: str | None) -> None:
    page = client.get("/signin", headers={"accept-language": lang}).text
    assert f'<html lang="{lang}" dir="{direction}"' in page
    if heading:
        assert f"<h1>{heading}</h1>" in page
    else:
        assert "<h1>Se connecter</h1>" not in page


def test_the_language_switch_sets_a_cookie_and_returns(client) -> None:
    response = client.post("/language", data={"lang": "ar", "next": "/recover"}, follow_redirects=False)
    assert response.headers["location"] == "/recover"
    assert "sesame_lang=ar" in response.headers["set-cookie"]
    assert 'dir="rtl"' in client.get("/recover").text
    away = client.post(
        "/language", data={"lang": "en", "next": "https://evil.example/"}, follow_redirects=False
    )
    assert away.headers["location"] == "/"


def test_signed_in_language_is_the_accounts(person) -> None:
    person.signup("A", "ar")
    assert 'lang="ar"' in person.client.get("/dashboard", headers={"accept-language": "en"}).text
    person.client.post("/language", data={"lang": "en", "next": "/dashboard"})
    assert 'lang="en"' in person.client.get("/dashboard").text


def test_js_strings_are_in_the_page(client) -> None:
    page = client.get("/signin", headers={"accept-language": "en"}).text
    assert 'id="sesame-strings"' in page
    assert i18n.catalog_dict("en", "js")  # English has translations for the scripts


def test_french_plurals_follow_french_grammar() -> None:
    fr = i18n.translations("fr")
    assert fr.ngettext(
        "Il vous reste %(num)d code de secours.", "Il vous reste %(num)d codes de secours.", 0
    ).startswith("Il vous reste %(num)d code ")
