"""Offline first (issue 4, point 9), as a phone with a flaky connection lives it.

Each test checks the server's own data (its SQLite file, opened read-only) so that
"arrives exactly once" is proven, not inferred from what the page shows:

1. a file started, filled, given two photos and a message with no connection at all,
   the tab closed and opened again, then sent: one file, its fields, two resized JPEGs,
   one message, every command once;
2. a 19.5 MB upload cut in the middle resumes, re-sending at most one chunk;
3. the same push replayed three times is applied once; the same id with other
   content is refused (409) and changes nothing;
4. the server killed (SIGKILL) in the middle of a push of 30 commands, restarted on
   the same data and port: every command applied once, the last values kept;
5. refused commands (the file locked by an agent meanwhile; a file sent from a page
   kept offline while a piece was removed on another device) wait under "À revoir"
   with their reason and what was typed;
6. a session that expired while offline: the page asks to sign in again, keeps the
   entry, and sends it after sign-in;
7. export of what waits, import into another browser, sent once;
8. pages kept for offline use open offline and say since when; the manifest.

How offline is simulated: `context.set_offline(True)` (Playwright applies it to the
pages and, in Chromium, to the service worker). Before that, the dashboard has been
visited, the page is controlled by the worker and the worker has kept the pages it
was asked to keep (`ready_for_offline`). The outbox may be flushed by the page or by
the worker (Background Sync), one at a time (a Web Lock): network is watched and
routed at the context level, which sees both.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import sqlite3
import struct
import time
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import APIResponse, BrowserContext, Page, Request, Route, expect
from playwright.sync_api import Error as PlaywrightError

from server import commands as server_commands
from server.auth.policy import Actor
from server.store.db import Database
from sync.protocol import Command
from tests import samples

from .helpers import (
    ROOT,
    SAFETY_NET,
    SesameServer,
    answer_questions,
    continue_after_codes,
    expect_field,
    fill_field,
    said,
    signup,
)

MB = 1024 * 1024
FILE_URL = re.compile(r"/files/([0-9a-f-]{36})(?:/|\?|$)")
CONTROLLED = "() => navigator.serviceWorker.controller !== null"

# What the device's outbox holds (pages of applicants have window.Sesame.outbox).
# Read from IndexedDB itself: a page served offline may be one without the app's scripts.
OUTBOX = """async () => (await new Promise((resolve, reject) => {
  const r = indexedDB.open("sesame"); r.onerror = () => reject(r.error);
  r.onsuccess = () => {
    const t = r.result.transaction(["outbox"], "readonly").objectStore("outbox").getAll();
    t.onsuccess = () => resolve(t.result); t.onerror = () => reject(t.error);
  };
})).map((e) => ({
  key: e.key, id: e.command.id, client: e.command.client, op: e.command.op,
  args: e.command.args, state: e.state, reason: e.reason, label: e.label }))"""
QUEUED_MESSAGE = """async () => !!(window.Sesame && Sesame.outbox)
  && (await Sesame.outbox.list()).some((e) => e.command.op === "message.send")"""
OUTBOX_EMPTY = "async () => !!(window.Sesame && Sesame.outbox) && (await Sesame.outbox.list()).length === 0"
# Which of these URLs the service worker has not kept (yet).
NOT_KEPT = """async (urls) => {
  const missing = [];
  for (const url of urls) if (!(await caches.match(url))) missing.push(url);
  return missing;
}"""
# Every text an element shows, kept across page loads (sessionStorage "e2e-seen"): some
# say what happened only for a moment (the photos' sizes, then "Envoi…", then the next page).
RECORD_TEXTS = """(selector) => {
  const seen = JSON.parse(sessionStorage.getItem("e2e-seen") || "[]");
  new MutationObserver(() => {
    document.querySelectorAll(selector).forEach((box) => {
      if (box.textContent && !seen.includes(box.textContent)) {
        seen.push(box.textContent);
        sessionStorage.setItem("e2e-seen", JSON.stringify(seen));
      }
    });
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""
SEEN_TEXTS = "() => JSON.parse(sessionStorage.getItem('e2e-seen') || '[]')"


# -- words of the app ---------------------------------------------------------------


def js_text(script: str, prefix: str, **values: Any) -> str:
    """The French sentence of pwa/<script> starting with `prefix`, filled with `values`."""
    source = (ROOT / "pwa" / script).read_text()
    found = {m for m in re.findall(r'gettext\("((?:[^"\\]|\\.)*)"\)', source) if m.startswith(prefix)}
    assert len(found) == 1, f"{script}: {prefix!r} matches {found}"
    text = found.pop()
    return re.sub(r"%\((\w+)\)s", lambda m: str(values[m.group(1)]), text)


def js_pattern(script: str, prefix: str, **patterns: str) -> re.Pattern[str]:
    """The same sentence as a regular expression, its placeholders matched by `patterns`."""
    text = js_text(script, prefix, **{k: f"\x00{k}\x00" for k in patterns})
    parts = re.split(r"\x00(\w+)\x00", text)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?:{patterns[p]})" for i, p in enumerate(parts))
    return re.compile(regex)


# -- the server's data ----------------------------------------------------------------


def rows(server: SesameServer, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Read the server's database (read-only: the server keeps writing)."""
    conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def commands_once(server: SesameServer, ids: list[str]) -> list[dict[str, Any]]:
    """Each command id exactly once in the server's log; returns the rows."""
    marks = ",".join("?" * len(ids))
    found = rows(server, f"SELECT id, op, status, result FROM commands WHERE id IN ({marks})", *ids)
    counted: dict[str, int] = {}
    for r in found:
        counted[r["id"]] = counted.get(r["id"], 0) + 1
    assert sorted(counted) == sorted(set(ids)), f"missing: {set(ids) - set(counted)}"
    assert all(n == 1 for n in counted.values()), counted
    return found


def refusal(server: SesameServer, command_id: str) -> str | None:
    """The code the server refused a command with (None: applied)."""
    [logged] = rows(server, "SELECT status, result FROM commands WHERE id = ?", command_id)
    return None if logged["status"] == "applied" else json.loads(logged["result"])["code"]


def field_values(server: SesameServer, file_id: str) -> dict[str, str]:
    return {
        r["name"]: r["value"]
        for r in rows(server, "SELECT name, value FROM file_fields WHERE file_id = ?", file_id)
    }


# -- files a phone makes ------------------------------------------------------------------


def png_photo(path: Path, seed: int, width: int = 3000, height: int = 2000) -> int:
    """A phone camera's PNG: large squares (sharp, well lit: no "blurry or dark?"
    question) with noise on them (so PNG cannot make it small, as in a real photo).
    Written to `path`; returns its size."""
    rng = random.Random(seed)
    square = 100
    variants = []
    for phase in (0, 1):
        base = [200 if (x // square + phase) % 2 else 70 for x in range(width)]
        variants.append(
            [
                bytes(v + n % 41 - 20 for v, n in zip(base, rng.randbytes(width), strict=True))
                for _ in range(48)
            ]
        )
    raw = b"".join(b"\x00" + rng.choice(variants[(y // square) % 2]) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return len(data)


def pdf_file(path: Path, size: int, tag: str) -> bytes:
    """A valid PDF of `size` bytes, its content (its hash) its own."""
    data = samples.pdf(size)
    mark = f"[{tag}]".encode()
    data = data.replace(b"x" * len(mark), mark, 1)
    path.write_bytes(data)
    return data


# -- a person and their phone ----------------------------------------------------------------


def person(
    new_device_factory: Callable[..., Any], name: str, target: SesameServer | None = None
) -> tuple[BrowserContext, Page]:
    """A new applicant, signed in, on the dashboard."""
    context, page, _ = new_device_factory(target)
    signup(page, name)
    continue_after_codes(page)
    return context, page


def account_of(page: Page) -> str:
    account = page.locator("html").get_attribute("data-account")
    assert account, page.url
    return account


def ready_for_offline(page: Page, also: tuple[str, ...] = (), timeout: float = SAFETY_NET) -> None:
    """Visit the dashboard, wait until the page is controlled by the service worker and
    the worker keeps the pages it was asked to keep (editor shells, /files/new…) and
    `also` (pages already visited)."""
    page.goto("/dashboard")
    page.wait_for_function(CONTROLLED)
    wanted = json.loads(page.locator("#sesame-warm").text_content() or "[]") + list(also)
    start = time.monotonic()
    reloaded = False
    while missing := page.evaluate(NOT_KEPT, wanted):
        elapsed = time.monotonic() - start
        assert elapsed < timeout, f"not kept for offline use after {timeout} s: {missing}"
        if not reloaded and elapsed > 5:
            # The worker took control after the dashboard asked: ask again.
            page.reload()
            reloaded = True
        page.wait_for_timeout(200)


def outbox(page: Page) -> list[dict[str, Any]]:
    """What the outbox holds; a page being replaced (a form going on offline) is asked again."""
    deadline = time.monotonic() + SAFETY_NET
    while True:
        try:
            return list(page.evaluate(OUTBOX))
        except PlaywrightError as error:
            if "destroyed" not in str(error) and "navigat" not in str(error):
                raise
        assert time.monotonic() < deadline, "the page never settled"
        page.wait_for_timeout(250)


def wait_until(page: Page, script: str, timeout: float = SAFETY_NET, what: str = "") -> None:
    """Poll an async function in the page until it returns true (page.wait_for_function
    would take its promise for a true value); a page being replaced is asked again.
    `timeout` is a safety net against a hang, never the pass criterion."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(script):
                return
        except PlaywrightError as error:  # navigating: the next page answers
            if "destroyed" not in str(error) and "navigat" not in str(error):
                raise
        assert time.monotonic() < deadline, f"{what or script} still not true after {timeout} s"
        page.wait_for_timeout(250)


def wait_outbox_empty(page: Page, timeout: float = SAFETY_NET) -> None:
    wait_until(page, OUTBOX_EMPTY, timeout, "the outbox is empty")


def queue_message(page: Page) -> None:
    """Send the message typed on a thread page while offline: it waits in the outbox,
    and the page goes (reloads) where the form says to wait. The test waits for that
    navigation too: a `goto` made before the page's own would be cancelled by it."""
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer le message").click()
    wait_until(page, QUEUED_MESSAGE, what="the message waits in the outbox")


def served(page: Page, how: str) -> None:
    expect(page.locator("html")).to_have_attribute("data-served", how)


def task_state(page: Page, task: str) -> Any:
    """The state badge of a section of a file's task list."""
    return page.locator(f"[data-task='{task}'] .task-list__status")


def next_button(page: Page) -> Any:
    return page.get_by_role("button", name="Enregistrer et continuer", exact=True)


def command(op: str, args: dict[str, Any], client: str = "e2e-test", seq: int = 0) -> dict[str, Any]:
    """A command of the sync protocol, as a phone makes it."""
    at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    return {"id": str(uuid.uuid4()), "client": client, "seq": seq, "op": op, "args": args, "at": at}


def push(page: Page, server: SesameServer, commands: list[dict[str, Any]]) -> APIResponse:
    """POST /sync/push with the page's cookies (and its origin, as the page's own fetch)."""
    return page.request.post(
        "/sync/push",
        data={"account": account_of(page), "commands": commands},
        headers={"Origin": server.base_url},
    )


def new_file(page: Page, server: SesameServer, procedure: str = "change_of_situation", **fields: str) -> str:
    """A file on the server (made through the sync API, as a phone online would)."""
    file_id = str(uuid.uuid4())
    made = [
        command("file.create", {"file_id": file_id, "procedure": procedure, "grounds": [], "title": None})
    ]
    if fields:
        made.append(command("file.update", {"file_id": file_id, "fields": fields}))
    response = push(page, server, made)
    assert response.status == 200, response.text()
    assert all(r["status"] == "applied" for r in response.json()["results"]), response.json()
    return file_id


def file_id_of(page: Page) -> str:
    found = FILE_URL.search(page.url)
    assert found, page.url
    return found.group(1)


# -- 1. a file started with no connection -------------------------------------------------------

IDENTITY = {
    "family_name": "Diallo",
    "given_names": "Awa Mariama",
    "birth_date": "1990-03-21",
    "birth_place": "Dakar, Sénégal",
    "nationality": "sénégalaise",
}
ADDRESS = {"street": "12 rue de la République", "postcode": "93200", "city": "Saint-Denis"}


def test_file_started_offline_arrives_once(new_device_factory, server, name, tmp_path):
    context, page = person(new_device_factory, name)
    account = account_of(page)
    ready_for_offline(page)
    context.set_offline(True)

    # New file: the start page, the questions one per page (a "je ne sais pas" on
    # the way, and back), the pieces, "Créer mon dossier": its task list, worked out
    # on the phone (the server has not seen the file yet), opens.
    page.goto("/files/new")
    served(page, "cache")
    page.get_by_role("link", name="Commencer", exact=True).click()
    page.wait_for_url("**/files/new/q/permit")
    served(page, "cache")
    page.locator("input[name=answer][value=dont_know]").check()
    page.locator("form[data-question] button[type=submit]").click()
    page.wait_for_url("**/files/new/help?from=permit")
    served(page, "cache")
    page.get_by_role("link", name="Revenir à la question", exact=True).click()
    page.wait_for_url("**/files/new/q/permit")
    page.goto("/files/new")
    served(page, "cache")
    answer_questions(page, "renewal", "parent_of_french_child")
    served(page, "cache")
    page.get_by_role("button", name="Créer mon dossier", exact=True).click()
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    file_id = file_id_of(page)
    served(page, "shell")
    expect(page.locator("[data-file-number]")).to_have_text(
        js_text("forms.js", "Nouveau dossier, pas encore")
    )
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("[data-not-on-server]")).to_be_visible()
    expect(task_state(page, "situation")).to_have_attribute(
        "data-state", "in_progress"
    )  # the ground, not the date
    expect(task_state(page, "identity")).to_have_attribute("data-state", "todo")
    expect(page.locator("[data-task='pieces:parent_of_french_child']")).to_be_visible()
    expect(page.locator("[data-task='pieces:student']")).to_be_hidden()  # a ground not chosen
    expect(page.locator("[data-task='declaration'] a")).to_have_count(0)  # no sending from here
    page.locator("[data-first-missing]").click()
    page.wait_for_url(f"**/files/{file_id}/situation#f-current_permit_expiry")
    served(page, "shell")

    # Situation: saved as typed (on the device), then "Enregistrer et continuer".
    fill_field(page, "current_permit_expiry", "2026-12-31")
    expect(page.locator("[data-autosave-status]")).to_have_text(
        js_pattern("autosave.js", "Gardé sur cet appareil", time=r"\d{1,2}:\d{2}")
    )
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/identity")
    served(page, "shell")
    for field, value in IDENTITY.items():
        fill_field(page, field, value)
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/address")
    for field, value in ADDRESS.items():
        fill_field(page, field, value)
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/checklist")
    served(page, "shell")

    # What was typed is on the device: the identity shell comes back filled.
    page.goto(f"/files/{file_id}/identity")
    served(page, "shell")
    for field, value in IDENTITY.items():
        expect_field(page, field, value)

    # Two camera photos on the checklist: made small on the phone, then queued.
    photos = [tmp_path / "photo-1.png", tmp_path / "photo-2.png"]
    originals = [png_photo(path, seed) for seed, path in enumerate(photos, 1)]
    assert all(size > 2 * MB for size in originals), originals
    page.goto(f"/files/{file_id}/checklist")
    served(page, "shell")
    page.evaluate(RECORD_TEXTS, "[data-form-status]")
    card = page.locator("#piece-identity_photo")
    expect(card).to_be_visible()
    card.locator("#files-identity_photo").set_input_files(photos)  # sent as soon as chosen
    # Not on the server yet: the same page again, never its "added" confirmation.
    page.wait_for_url(re.compile(rf"/files/{file_id}/checklist\?open=identity_photo#piece-identity_photo$"))
    served(page, "shell")
    local = page.locator("#piece-identity_photo [data-local-files] > li")
    expect(local).to_have_count(2)
    expect(local.first).to_contain_text("photo-1.jpg")
    statuses = page.evaluate(SEEN_TEXTS)
    size = r"[\d  ,.]+ Mo"
    resized = js_pattern("forms.js", "%(name)s : %(before)s →", name=r"photo-2\.jpg", before=size, after=size)
    assert any(resized.search(s) and "photo-1.jpg" in s for s in statuses), statuses

    # The task list again: what is filled on the device, what is still missing.
    page.goto(f"/files/{file_id}")
    served(page, "shell")
    for step in ("situation", "identity", "address"):
        expect(task_state(page, step)).to_have_attribute("data-state", "filled")
    expect(task_state(page, "pieces:common")).to_have_attribute("data-state", "in_progress")  # the photos
    expect(task_state(page, "pieces:renewal")).to_have_attribute("data-state", "todo")
    expect(page.locator("[data-first-missing]")).to_have_attribute(
        "href", f"/files/{file_id}/checklist#piece-residence_card"
    )
    expect(page.locator("[data-pending] li")).to_have_count(len(outbox(page)))
    checked = Axe().run(page)
    assert not checked.violations_count, checked.generate_report()

    # A message to the prefecture, on the file's messages shell.
    page.goto(f"/files/{file_id}/messages")
    served(page, "shell")
    body = "Bonjour, j’ai commencé mon dossier sans connexion."
    page.locator("#f-body").fill(body)
    queue_message(page)
    pending = page.locator("[data-pending] li").filter(has_text="Message à la préfecture")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(js_text("forms.js", "en attente d’envoi"))

    # The dashboard (from the device) shows the new file, and the header counts.
    waiting = outbox(page)
    ops = [e["op"] for e in waiting]
    assert ops[0] == "file.create" and ops.count("piece.attach") == 2 and ops[-1] == "message.send", ops
    page.goto("/dashboard")
    served(page, "cache")
    started = page.locator("[data-pending-files] > li.file-card")
    expect(started).to_have_count(1)
    expect(started).to_contain_text(js_text("forms.js", "Commencé sur cet appareil"))
    expect(started.locator("a")).to_have_attribute("href", f"/files/{file_id}")
    indicator = page.locator("a[data-outbox-indicator]")
    expect(indicator).to_have_text(js_text("sync.js", "%(n)s en attente", n=len(waiting)))

    # The tab is closed; another one, still offline, lists everything.
    page.close()
    page = context.new_page()
    page.goto("/outbox")
    served(page, "cache")
    expect(page.locator("[data-outbox-pending] > li.card")).to_have_count(len(waiting))
    expect(page.locator("[data-outbox-refused] > li.card")).to_have_count(0)

    # Back online: it all goes, and nothing waits any more.
    context.set_offline(False)
    wait_outbox_empty(page)
    page.goto("/outbox")
    served(page, "network")
    expect(page.locator("[data-outbox-pending-empty]")).to_be_visible()
    expect(page.locator("a[data-outbox-indicator]")).to_be_hidden()

    # The server: one file, its fields, two small JPEGs, one message, each command once.
    files = rows(server, "SELECT id, procedure, grounds, status FROM files WHERE owner_id = ?", account)
    assert files == [
        {"id": file_id, "procedure": "renewal", "grounds": '["parent_of_french_child"]', "status": "draft"}
    ]
    values = field_values(server, file_id)
    for field, value in {"current_permit_expiry": "2026-12-31", **IDENTITY, **ADDRESS}.items():
        assert values.get(field) == value, (field, values)
    attachments = rows(
        server,
        "SELECT piece, filename, media_type, size FROM attachments WHERE file_id = ? ORDER BY filename",
        file_id,
    )
    assert [(a["piece"], a["filename"], a["media_type"]) for a in attachments] == [
        ("identity_photo", "photo-1.jpg", "image/jpeg"),
        ("identity_photo", "photo-2.jpg", "image/jpeg"),
    ]
    for attachment, original in zip(attachments, originals, strict=True):
        assert attachment["size"] < original / 3, (attachment, original)
    sent = rows(server, "SELECT body, author_role FROM messages WHERE file_id = ?", file_id)
    assert sent == [{"body": body, "author_role": "applicant"}]
    logged = commands_once(server, [e["id"] for e in waiting])
    assert all(r["status"] == "applied" for r in logged), logged
    [device] = {e["client"] for e in waiting}
    assert rows(server, "SELECT count(*) AS n FROM commands WHERE client = ?", device) == [
        {"n": len(waiting)}
    ]


# -- 2. an upload cut in the middle ---------------------------------------------------------------


def test_upload_cut_in_the_middle_resumes_where_it_stopped(new_device_factory, server, name, tmp_path):
    context, page = person(new_device_factory, name)
    account = account_of(page)
    file_id = new_file(page, server)
    big = tmp_path / "releves-bancaires.pdf"
    data = pdf_file(big, int(19.5 * MB), "coupure")

    # Every chunk the browser sends (page or service worker), and one cut in the middle.
    sent: list[tuple[int, int]] = []  # (Upload-Offset, bytes in the body)
    cut: list[int] = []

    def watch(request: Request) -> None:
        if request.method == "PATCH" and "/uploads/" in request.url:
            sent.append((int(request.headers["upload-offset"]), len(request.post_data_buffer or b"")))

    def drop_one(route: Route) -> None:
        request = route.request
        if request.method == "PATCH" and not cut and int(request.headers["upload-offset"]) >= len(data) // 3:
            cut.append(int(request.headers["upload-offset"]))
            route.abort("connectionreset")
        else:
            route.continue_()

    context.on("request", watch)
    context.route("**/uploads/**", drop_one)

    page.goto(f"/files/{file_id}/checklist")
    form = page.locator("#piece-residence_card form.upload-form")
    form.locator("#files-residence_card").set_input_files(big)  # sent as soon as chosen
    deadline = time.monotonic() + SAFETY_NET
    while not cut:
        assert time.monotonic() < deadline, f"no chunk past a third of the file was sent: {sent}"
        page.wait_for_timeout(100)
    # The outbox retries by itself (the next page's start, or its backoff).
    wait_outbox_empty(page)

    chunks = [n for _, n in sent]
    assert all(chunks), f"a PATCH without its body: {sent}"
    resent = sum(chunks) - len(data)
    assert 0 < resent <= max(chunks), f"{resent} bytes sent again; chunks: {sent}"
    offsets = [o for o, _ in sent]
    assert offsets[0] == 0 and offsets.count(cut[0]) == 2, sent  # resumed where it was cut

    # The server has the file once, whole.
    digest = hashlib.sha256(data).hexdigest()
    kept = rows(server, "SELECT piece, blob, size, media_type FROM attachments WHERE file_id = ?", file_id)
    assert kept == [
        {"piece": "residence_card", "blob": digest, "size": len(data), "media_type": "application/pdf"}
    ]
    assert rows(server, "SELECT size FROM blobs WHERE sha256 = ?", digest) == [{"size": len(data)}]
    uploads = rows(server, 'SELECT length, "offset", result FROM uploads WHERE owner = ?', account)
    assert len(uploads) == 1 and uploads[0]["offset"] == len(data), uploads  # resumed, not started again
    page.goto(f"/files/{file_id}/checklist")
    expect(page.locator("#piece-residence_card ol.attachments > li")).to_contain_text("releves-bancaires.pdf")


# -- 3. the same push, three times ----------------------------------------------------------------


def test_the_same_push_three_times_is_applied_once(new_device_factory, server, name):
    context, page = person(new_device_factory, name)
    file_id = str(uuid.uuid4())
    batch = [
        command(
            "file.create",
            {"file_id": file_id, "procedure": "change_of_situation", "grounds": [], "title": None},
            "phone-replay",
            1,
        ),
        command(
            "file.update",
            {"file_id": file_id, "fields": {"family_name": "Mbaye", "city": "Rennes"}},
            "phone-replay",
            2,
        ),
        command(
            "message.send",
            {
                "file_id": file_id,
                "message_id": str(uuid.uuid4()),
                "body": "Un seul message.",
                "attachments": [],
            },
            "phone-replay",
            3,
        ),
    ]
    answers = []
    for _ in range(3):
        response = push(page, server, batch)
        assert response.status == 200, response.text()
        answers.append(response.json()["results"])
    assert [r["status"] for r in answers[0]] == ["applied"] * 3, answers[0]
    assert answers[1] == answers[0] and answers[2] == answers[0]  # the first results, unchanged

    assert len(rows(server, "SELECT id FROM files WHERE id = ?", file_id)) == 1
    assert field_values(server, file_id) == {"family_name": "Mbaye", "city": "Rennes"}
    assert len(rows(server, "SELECT id FROM messages WHERE file_id = ?", file_id)) == 1
    events = [r["kind"] for r in rows(server, "SELECT kind FROM timeline WHERE file_id = ?", file_id)]
    assert sorted(events) == ["created", "message"], events
    commands_once(server, [c["id"] for c in batch])

    # The same id with other content: refused (409), logged, nothing changed.
    reused = dict(batch[1], args={"file_id": file_id, "fields": {"family_name": "Autre"}})
    response = push(page, server, [reused])
    assert response.status == 409, response.text()
    [result] = response.json()["results"]
    assert result["status"] == "refused" and result["code"] == "id_conflict" and result["message"]
    assert field_values(server, file_id) == {"family_name": "Mbaye", "city": "Rennes"}
    assert rows(server, "SELECT status FROM commands WHERE id = ?", reused["id"]) == [{"status": "applied"}]
    assert len(rows(server, "SELECT * FROM command_conflicts WHERE command_id = ?", reused["id"])) == 1


ADD_THEN_FLUSH = """async ([account, fileId, city, slot]) => {
  const entry = await Sesame.outbox.add(account, "file.update", {file_id: fileId, fields: {city}});
  window[slot] = Sesame.outbox.flush(account);  // kept, not awaited: its push is held
  return entry.command.id;
}"""


def test_a_flush_asked_during_another_sends_what_came_meanwhile(new_device_factory, server, name):
    """A flush asked while another runs answers with a run of its own, after it: the run under
    way read the outbox (or the server's epoch) before. Without it, a phone that learned of a
    restore while a flush ran kept its acknowledged commands unsafe until its next page."""
    _, page, _ = new_device_factory(service_workers="block")  # the page alone sends
    signup(page, name)
    continue_after_codes(page)
    account = account_of(page)
    file_id = new_file(page, server, city="Paris")
    wait_outbox_empty(page)

    held: list[Route] = []
    # The first push waits for the test; any later one goes at once.
    page.route("**/sync/push", lambda route: route.continue_() if held else held.append(route))
    page.evaluate(ADD_THEN_FLUSH, [account, file_id, "Lyon", "e2eFirst"])
    deadline = time.monotonic() + SAFETY_NET
    while not held:  # the first run is pushing; the server has not answered it
        assert time.monotonic() < deadline, "the first flush never pushed"
        page.wait_for_timeout(50)
    page.evaluate(ADD_THEN_FLUSH, [account, file_id, "Nantes", "e2eSecond"])
    held[0].continue_()

    assert page.evaluate("() => window.e2eFirst")["ok"]
    assert page.evaluate("() => window.e2eSecond")["ok"]
    assert outbox(page) == []
    assert field_values(server, file_id)["city"] == "Nantes"


# -- 4. the server killed in the middle of a push ------------------------------------------------

QUEUE = """async ([account, fileId, count]) => {
  for (let i = 1; i <= count; i++) {
    await Sesame.outbox.add(account, "file.update",
      { file_id: fileId, fields: { given_names: "Version " + i, birth_place: "Ville " + i } },
      { label: "Correction " + i, page: location.pathname });
  }
}"""


def test_server_killed_during_a_push_applies_every_command_once(new_device_factory, fresh_server, name):
    server = fresh_server
    context, page = person(new_device_factory, name, server)
    account = account_of(page)
    file_id = new_file(page, server, family_name="Traoré")
    identity, thread = f"/files/{file_id}/identity", f"/files/{file_id}/messages"
    for path in (identity, thread):
        page.goto(path)
    ready_for_offline(page, also=(identity, thread))
    context.set_offline(True)

    # Offline: 28 corrections queued as the identity form queues them, then the form
    # itself (it shows the last ones), then a message.
    page.goto(identity)
    served(page, "cache")
    page.evaluate(QUEUE, [account, file_id, 28])
    page.reload()
    served(page, "cache")
    expect(page.locator("#f-given_names")).to_have_value("Version 28")
    page.locator("#f-family_name").fill("Koné")
    next_button(page).click()
    page.wait_for_url(f"**/files/{file_id}/address")
    page.goto(thread)
    served(page, "cache")
    page.locator("#f-body").fill("Message écrit hors connexion, envoyé pendant la panne.")
    queue_message(page)
    waiting = outbox(page)
    ids = [e["id"] for e in waiting]
    assert len(ids) >= 30 and waiting[-1]["op"] == "message.send", [e["op"] for e in waiting]

    # Back online; the server dies (SIGKILL) once the push has begun to be applied.
    marks = ",".join("?" * len(ids))
    killed: list[int] = []

    def kill_during_push(route: Route) -> None:
        route.continue_()
        if killed:
            return
        # Wait until the push's transaction has committed (however slow the machine).
        deadline = time.monotonic() + SAFETY_NET
        applied = 0
        while not applied and time.monotonic() < deadline:
            applied = len(rows(server, f"SELECT id FROM commands WHERE id IN ({marks})", *ids))
            time.sleep(0.002)
        server.kill()
        killed.append(applied)

    context.route("**/sync/push", kill_during_push)
    context.set_offline(False)
    deadline = time.monotonic() + SAFETY_NET
    while not killed:
        assert time.monotonic() < deadline, "no push after going online"
        page.wait_for_timeout(50)
    context.unroute("**/sync/push")
    print(f"commands applied when the server was killed: {killed[0]} of {len(ids)}")
    assert killed[0] >= 1, "the server was killed before the push reached it"

    # The same data, the same port (the page's origin): the outbox sends again.
    server.start()
    page.goto("/outbox")
    wait_outbox_empty(page)

    logged = commands_once(server, ids)
    assert all(r["status"] == "applied" for r in logged), [r for r in logged if r["status"] != "applied"]
    assert len(rows(server, "SELECT id FROM messages WHERE file_id = ?", file_id)) == 1
    events = [r["kind"] for r in rows(server, "SELECT kind FROM timeline WHERE file_id = ?", file_id)]
    assert events.count("message") == 1, events
    values = field_values(server, file_id)
    assert (values["family_name"], values["given_names"], values["birth_place"]) == (
        "Koné",
        "Version 28",
        "Ville 28",
    )


# -- 5. refused: what was typed waits under "À revoir" ---------------------------------------------

SUBMITTABLE = {
    "change_kind": "address",
    "change_details": "Déménagement à Saint-Denis.",
    **IDENTITY,
    **ADDRESS,
    "phone": "06 12 34 56 78",
}


def submitted_file(page: Page, server: SesameServer) -> str:
    """A complete file, submitted to the prefecture (set up through the server's own routes)."""
    file_id = new_file(page, server, **SUBMITTABLE)
    attached = page.request.post(
        f"/files/{file_id}/pieces/residence_card",
        multipart={
            "files": {"name": "carte.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(3000)}
        },
        headers={"Origin": server.base_url},
    )
    assert attached.ok, attached.text()
    response = push(page, server, [command("file.submit", {"file_id": file_id})])
    assert response.json()["results"][0]["status"] == "applied", response.json()
    return file_id


def complete_draft(page: Page, server: SesameServer, **fields: str) -> str:
    """A complete draft, nothing missing: check answers offers "Envoyer"."""
    file_id = new_file(page, server, **{**SUBMITTABLE, **fields})
    attached = page.request.post(
        f"/files/{file_id}/pieces/residence_card",
        multipart={
            "files": {"name": "carte.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(3000)}
        },
        headers={"Origin": server.base_url},
    )
    assert attached.ok, attached.text()
    return file_id


def remove_pieces_elsewhere(page: Page, server: SesameServer, file_id: str) -> None:
    """The same person removes every piece of the file from another device (the sync
    API with the same session): the file is incomplete again behind the page's back."""
    found = rows(server, "SELECT id FROM attachments WHERE file_id = ? AND removed_at IS NULL", file_id)
    assert found, file_id
    removed = [
        command("piece.remove", {"file_id": file_id, "attachment_id": a["id"]}, "other-device") for a in found
    ]
    response = push(page, server, removed)
    assert all(r["status"] == "applied" for r in response.json()["results"]), response.json()


def lock_as_agent(server: SesameServer, file_id: str) -> None:
    """An agent of the file's prefecture starts examining it: `file.lock`, applied in the
    server's database through the app's own code (WAL: the server keeps running)."""
    [file] = rows(server, "SELECT departement FROM files WHERE id = ?", file_id)
    agent = Actor(role="agent", account_id="agent-e2e", prefecture=file["departement"])
    lock = Command.from_json(command("file.lock", {"file_id": file_id}, "e2e-agent", 1))
    db = Database(server.db_path)
    try:
        result = db.write_sync(server_commands.apply, lock, agent)
    finally:
        db.close()
    assert result.applied, result


ALL_REFUSED = """async () => {
  const all = await Sesame.outbox.list();
  return all.length > 0 && all.every((e) => e.state === "refused");
}"""


def test_refused_commands_wait_under_needs_attention_with_what_was_typed(new_device_factory, server, name):
    context, page = person(new_device_factory, name)
    submitted = submitted_file(page, server)
    draft = complete_draft(page, server, family_name="Bientôt incomplet")
    address, review = f"/files/{submitted}/address", f"/files/{draft}/review"
    for path in (address, review):
        page.goto(path)
    expect(page.get_by_role("button", name="Envoyer mon dossier à la préfecture")).to_be_visible()
    ready_for_offline(page, also=(address, review))
    # The piece removed on another device: the page kept on this one does not know it.
    remove_pieces_elsewhere(page, server, draft)
    context.set_offline(True)

    # Offline: a new phone number on the submitted file; the draft, complete as this device saw it, sent.
    page.goto(address)
    served(page, "cache")
    page.locator("#f-phone").fill("07 98 76 54 32")
    next_button(page).click()
    page.wait_for_url(f"**/files/{submitted}/checklist")
    page.goto(review)
    served(page, "cache")
    page.get_by_label(re.compile("^Je déclare que les informations")).check()
    page.get_by_role("button", name="Envoyer mon dossier à la préfecture").click()
    # Not on the server yet: the file's page, never a confirmation.
    page.wait_for_url(re.compile(rf"/files/{draft}$"))
    waiting = outbox(page)
    corrections = [e for e in waiting if e["args"].get("file_id") == submitted]
    assert corrections and all(e["op"] == "file.update" for e in corrections), waiting

    # Meanwhile, the prefecture starts examining the submitted file.
    lock_as_agent(server, submitted)

    # Online: both are refused, and wait under "À revoir" with why and what was typed.
    context.set_offline(False)
    page.goto("/outbox")
    wait_until(page, ALL_REFUSED, what="everything refused")
    page.reload()
    refused = page.locator("[data-outbox-refused] > li.card")
    expect(refused).to_have_count(len(waiting))
    expect(page.locator("[data-outbox-pending] > li.card")).to_have_count(0)
    locked = refused.filter(has_text=said("message", "file_locked"))
    expect(locked).to_have_count(len(corrections))
    expect(locked.first).to_contain_text("phone : 07 98 76 54 32")
    for button in ("Corriger", "Renvoyer tel quel", "Supprimer"):
        expect(
            locked.first.get_by_role("link" if button == "Corriger" else "button", name=button)
        ).to_be_visible()
    incomplete = refused.filter(has_text=said("message", "incomplete"))
    expect(incomplete).to_have_count(1)
    expect(incomplete).to_contain_text("Envoi du dossier à la préfecture")
    expect(page.locator("a[data-outbox-indicator]")).to_have_text(
        js_text("sync.js", "%(n)s à revoir", n=len(waiting))
    )

    # The server changed nothing, and said why.
    assert field_values(server, submitted)["phone"] == "06 12 34 56 78"
    for entry in corrections:
        assert refusal(server, entry["id"]) == "file_locked"
    assert refusal(server, waiting[-1]["id"]) == "incomplete"
    assert rows(server, "SELECT status FROM files WHERE id = ?", submitted) == [{"status": "locked"}]
    assert rows(server, "SELECT status FROM files WHERE id = ?", draft) == [{"status": "draft"}]

    # "Corriger": the form again, filled with what was typed, and the reason.
    locked.last.get_by_role("link", name="Corriger").click()
    page.wait_for_url(re.compile(rf"{address}\?outbox=\d+$"))
    expect(page.locator("#f-phone")).to_have_value("07 98 76 54 32")
    expect(page.locator("[data-form-status]")).to_have_text(said("message", "file_locked"))


JUNK_BETWEEN = """async ([account, fileId]) => {
  const S = window.Sesame;
  const deep = {};
  let at = deep;
  for (let n = 0; n < 20; n++) at = at.x = {};  // args nested deeper than the protocol allows
  const first = await S.outbox.add(account, "file.update", {file_id: fileId, fields: {city: "Lyon"}});
  const bad = await S.outbox.add(account, "file.update", {file_id: fileId, fields: deep});
  const list = await S.outbox.add(account, "file.update", {file_id: fileId, fields: {city: ["Paris"]}});
  const last = await S.outbox.add(account, "file.update", {file_id: fileId, fields: {street: "2 rue Y"}});
  await S.flush();
  return [first, bad, list, last].map((e) => e.command.id);
}"""


def test_a_bad_command_waits_alone_and_the_others_go(new_device_factory, server, name):
    _, page = person(new_device_factory, name)
    file_id = new_file(page, server)
    page.goto("/outbox")
    first, bad, text_list, last = page.evaluate(JUNK_BETWEEN, [account_of(page), file_id])
    wait_until(page, ALL_REFUSED, what="only the refused ones are left")
    left = {e["id"]: e for e in outbox(page)}
    assert set(left) == {bad, text_list}, left
    assert left[bad]["reason"]["code"] == "bad_command"
    assert left[text_list]["reason"] == {**left[text_list]["reason"], "code": "invalid", "field": "city"}
    # The ones around them arrived, in order; nothing was stored as a list's repr.
    assert field_values(server, file_id) == {
        **field_values(server, file_id),
        "city": "Lyon",
        "street": "2 rue Y",
    }
    assert refusal(server, first) is None and refusal(server, last) is None


# -- 6. the session ended while offline -------------------------------------------------------------


def test_session_expired_offline_asks_to_sign_in_and_keeps_what_waits(new_device_factory, server, name):
    context, page = person(new_device_factory, name)
    file_id = new_file(page, server, family_name="Sow")
    identity = f"/files/{file_id}/identity"
    page.goto(identity)
    ready_for_offline(page, also=(identity,))
    context.set_offline(True)
    page.goto(identity)
    served(page, "cache")
    page.locator("#f-birth_place").fill("Bamako, Mali")
    expect(page.locator("[data-autosave-status]")).to_have_text(
        js_pattern("autosave.js", "Gardé sur cet appareil", time=r"\d{1,2}:\d{2}")
    )
    [entry] = outbox(page)

    # The session ends meanwhile (expired, or signed out from another device).
    context.clear_cookies()
    context.set_offline(False)
    banner = page.locator("#signin-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(js_text("sync.js", "Votre session a expiré"))
    assert [(e["id"], e["state"]) for e in outbox(page)] == [(entry["id"], "pending")]
    assert "birth_place" not in field_values(server, file_id)

    # Signed in again (the banner's link, the passkey): it is sent.
    banner.get_by_role("link", name="Se reconnecter").click()
    page.wait_for_url(re.compile(r"/signin"))
    page.locator("[data-passkey-start]").click()
    page.wait_for_url(lambda url: "/signin" not in url)
    wait_outbox_empty(page)
    assert field_values(server, file_id)["birth_place"] == "Bamako, Mali"
    commands_once(server, [entry["id"]])
    expect(page.locator("#signin-banner")).to_be_hidden()


# -- 7. export, then import on another browser --------------------------------------------------------


def test_export_then_import_elsewhere_sends_once(new_device_factory, server, name, tmp_path):
    context, page = person(new_device_factory, name)
    account = account_of(page)
    file_id = new_file(page, server)
    checklist, thread = f"/files/{file_id}/checklist", f"/files/{file_id}/messages"
    for path in (checklist, thread):
        page.goto(path)
    ready_for_offline(page, also=(checklist, thread))
    signed_in = context.storage_state()  # the session cookie, for the other browser
    context.set_offline(True)

    page.goto(checklist)
    served(page, "cache")
    scan = tmp_path / "avis-imposition.pdf"
    data = pdf_file(scan, 200_000, f"export {name}")
    form = page.locator("#piece-residence_card form.upload-form")
    form.locator("#files-residence_card").set_input_files(scan)  # sent as soon as chosen
    page.wait_for_url(re.compile(r"/checklist\?open=residence_card#piece-residence_card$"))
    page.goto(thread)
    page.locator("#f-body").fill("Envoyé depuis un autre navigateur.")
    queue_message(page)
    waiting = outbox(page)
    assert [e["op"] for e in waiting] == ["piece.attach", "message.send"]

    # "Enregistrer mes éléments non envoyés dans un fichier".
    page.goto("/outbox")
    served(page, "cache")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Enregistrer mes éléments non envoyés dans un fichier").click()
    download = downloading.value
    assert re.fullmatch(r"sesame-en-attente-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    copy = json.loads(saved.read_text())
    assert copy["sesame_outbox"] == 1 and copy["account"] == account
    assert [e["command"]["id"] for e in copy["entries"]] == [e["id"] for e in waiting]
    assert [base64.b64decode(b["data"]) for b in copy["blobs"]] == [data]

    # Another browser, signed in to the same account, with nothing stored: import, sent.
    _, other, _ = new_device_factory(storage_state=signed_in)
    other.goto("/outbox")
    expect(other.locator("[data-outbox-pending-empty]")).to_be_visible()
    other.evaluate(RECORD_TEXTS, "[data-outbox-import-status]")
    other.locator("#outbox-import").set_input_files(saved)
    imported = js_text("outbox-page.js", "Éléments importés", n=2)
    wait_until(other, f"() => ({SEEN_TEXTS})().includes({json.dumps(imported)})", what=imported)
    wait_outbox_empty(other)

    def server_has_it_once() -> None:
        digest = hashlib.sha256(data).hexdigest()
        kept = rows(server, "SELECT blob, filename FROM attachments WHERE file_id = ?", file_id)
        assert kept == [{"blob": digest, "filename": "avis-imposition.pdf"}]
        assert len(rows(server, "SELECT id FROM messages WHERE file_id = ?", file_id)) == 1
        commands_once(server, [e["id"] for e in waiting])

    server_has_it_once()

    # The first browser comes back online and sends its copy too: still once.
    context.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    wait_outbox_empty(page)
    server_has_it_once()


# -- 8. pages kept for offline use ------------------------------------------------------------


def test_kept_pages_open_offline_and_say_since_when(new_device_factory, server, name):
    context, page = person(new_device_factory, name)
    file_id = new_file(page, server)
    visited = {
        path: "" for path in ("/dashboard", f"/files/{file_id}", f"/files/{file_id}/messages", "/account")
    }
    for path in visited:
        page.goto(path)
        served(page, "network")
        expect(page.locator("#offline-banner")).to_be_hidden()
        visited[path] = page.locator("main h1").inner_text()
    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    ready_for_offline(page, also=tuple(visited))

    # Offline: each opens as it was, and says since when it is a copy.
    context.set_offline(True)
    since = js_pattern("sync.js", "Hors connexion : cette page", date=r"\d{1,2} \S+ \d{4}.+\d{1,2}:\d{2}")
    for path, heading in visited.items():
        page.goto(path)
        served(page, "cache")
        expect(page.locator("#offline-banner")).to_be_visible()
        expect(page.locator("#offline-banner")).to_have_text(since)
        expect(page.locator("main h1")).to_have_text(heading)
    context.set_offline(False)

    # The manifest the pages link to: installable, in the page's language.
    assert manifest_url == "/manifest.webmanifest?lang=fr"
    manifest = page.request.get(manifest_url)
    assert manifest.ok
    data = manifest.json()
    assert data["name"] and data["start_url"] == "/dashboard" and data["display"] == "standalone"
    assert data["lang"] == "fr" and data["dir"] == "ltr"
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"]), data["icons"]
    for icon in data["icons"]:
        fetched = page.request.get(icon["src"])
        assert fetched.ok and fetched.headers["content-type"] == icon["type"], icon
    arabic = page.request.get("/manifest.webmanifest?lang=ar").json()
    assert arabic["lang"] == "ar" and arabic["dir"] == "rtl"
