"""Compressed weight of each key page: its HTML, and the CSS and JS it loads."""

from __future__ import annotations

import gzip
import re
import urllib.request

from .server import App

BUDGET_TOTAL = 50 * 1024
BUDGET_JS = 30 * 1024


def _get(app: App, path: str) -> bytes:
    request = urllib.request.Request(app.base + path, headers={"cookie": app.cookie})
    return urllib.request.urlopen(request).read()


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def measure(app: App) -> dict[str, dict[str, int]]:
    paths = {
        "landing (signed out)": None,
        "dashboard": "/dashboard",
        "file: identity step": f"/files/{app.file_id}/identity",
        "file: checklist": f"/files/{app.file_id}/checklist",
        "file: messages": f"/files/{app.file_id}/messages",
        "file: check answers": f"/files/{app.file_id}/review",
        "file: page": f"/files/{app.file_id}",
        "way in: start page": "/files/new",
        "way in: a question": "/files/new/q/first_application.family",
        "way in: je ne sais pas": "/files/new/help",
        "way in: the pieces": "/files/new/for/renewal.student",
        "account": "/account",
        "outbox": "/outbox",
        "privacy notice": "/privacy",
        "legal notice": "/legal",
    }
    print("\nPage weight, gzip (budget: HTML+CSS+JS < 50 KB, JS < 30 KB)")
    print(f"  {'page':24} {'HTML':>7} {'CSS':>7} {'JS':>7} {'total':>7}")
    results = {}
    for name, path in paths.items():
        if path is None:
            html = urllib.request.urlopen(app.base + "/").read()
        else:
            html = _get(app, path)
        text = html.decode()
        css = sum(_gz(_get(app, href)) for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', text))
        js = sum(_gz(_get(app, src)) for src in re.findall(r'<script src="([^"]+)"', text))
        row = {"html": _gz(html), "css": css, "js": js}
        row["total"] = sum(row.values())
        results[name] = row
        flag = "" if row["total"] < BUDGET_TOTAL and js < BUDGET_JS else "  OVER BUDGET"
        print(f"  {name:24} {row['html']:>7} {css:>7} {js:>7} {row['total']:>7}{flag}")
    return results
