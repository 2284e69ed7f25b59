"""Compressed weight of each key page: its HTML, and the CSS and JS it loads; and
the documents page with ten pieces: its weight and its height on a 360 px phone."""

from __future__ import annotations

import gzip
import io
import json
import re
import urllib.request
import uuid

from PIL import Image
from playwright.sync_api import sync_playwright

from .loads import ARGS, CHROMIUM, _context
from .server import App

BUDGET_TOTAL = 50 * 1024
BUDGET_JS = 30 * 1024
# Two screens (640 px tall at 360 px wide) per five pieces, nothing open (issue 10, item 7).
SCREEN = 640


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
        "documents, 10 pieces": f"/files/{_ten_pieces(app)}/checklist",
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
        print(f"  {name:26} {row['html']:>7} {css:>7} {js:>7} {row['total']:>7}{flag}")
    results["documents, 10 pieces"]["height_360px"] = documents_height(app)
    return results


def _post(app: App, path: str, body: bytes, content_type: str) -> None:
    request = urllib.request.Request(
        app.base + path,
        data=body,
        headers={"cookie": app.cookie, "origin": app.base, "content-type": content_type},
    )
    urllib.request.urlopen(request).read()


def _attach(app: App, file_id: str, piece: str, name: str, data: bytes, media_type: str) -> None:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\ncontent-disposition: form-data; name="files"; filename="{name}"\r\n'
            f"content-type: {media_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    _post(app, f"/files/{file_id}/pieces/{piece}", body, f"multipart/form-data; boundary={boundary}")


def _jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((1600, 1200), 40 + seed).convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def _pdf() -> bytes:
    from fpdf import FPDF

    document = FPDF()
    for _ in range(3):
        document.add_page()
    return bytes(document.output())


_TEN: dict[str, str] = {}


def _ten_pieces(app: App) -> str:
    """A first application as a student: ten pieces, three of them with files."""
    if app.base in _TEN:
        return _TEN[app.base]
    file_id = str(uuid.uuid4())
    command = {
        "id": str(uuid.uuid4()),
        "client": "bench-pages",
        "seq": 1,
        "op": "file.create",
        "args": {"file_id": file_id, "procedure": "first_application", "grounds": ["student"]},
    }
    _post(app, "/sync/push", json.dumps({"commands": [command]}).encode(), "application/json")
    html = _get(app, f"/files/{file_id}/checklist").decode()
    accepts = dict(
        re.findall(r'id="files-([\w-]+)" class="pick-input" name="files" multiple accept="([^"]+)"', html)
    )
    assert len(accepts) == 10, accepts
    photos = [p for p, a in accepts.items() if "image/jpeg" in a][:2]
    pdf = next(p for p, a in accepts.items() if "application/pdf" in a and p not in photos)
    for n, piece in enumerate(photos):
        _attach(app, file_id, piece, f"photo-{n}.jpg", _jpeg(n), "image/jpeg")
    _attach(app, file_id, pdf, "releve.pdf", _pdf(), "application/pdf")
    _TEN[app.base] = file_id
    return file_id


def documents_height(app: App) -> int:
    """The documents page with ten pieces, nothing open, on a 360 px phone (the
    Arabic page is measured by e2e/test_documents_page.py)."""
    file_id = _ten_pieces(app)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = _context(browser, app, service_workers="block", viewport={"width": 360, "height": SCREEN})
        page = context.new_page()
        page.goto(f"/files/{file_id}/checklist")
        height = int(page.evaluate("document.documentElement.scrollHeight"))
        context.close()
        browser.close()
    budget = 2 * SCREEN * 10 // 5
    flag = "ok" if height <= budget else "OVER BUDGET"
    print(f"\nDocuments page, 10 pieces (3 with files), nothing open, 360 px wide (budget: {budget} px)")
    print(f"  {height} px = {height / SCREEN:.1f} screens of {SCREEN} px ({flag})")
    return height
