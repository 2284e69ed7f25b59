"""The cost of shelter mode's encryption (ADR 0021) on a low-end phone profile.

Chromium with its CPU slowed 4x (CDP Emulation.setCPUThrottlingRate), the real
/shelter page of a worker, offline (nothing leaves during the runs):

  unlock (PIN)   "Déverrouiller" → the people list drawn: PBKDF2-SHA256 at
                 600,000 iterations, unwrap the device key, decrypt 20 names
  unlock (PRF)   the same with the passkey (a virtual authenticator with PRF:
                 the authenticator answers at once, a person's touch is not counted)
  switch person  a click on a person → their name and files drawn (their key
                 unwrapped, their records and queued commands decrypted)
  save a field   a `file.update` encrypted and queued (IndexedDB)
  queue a photo  a 500 KB photo (incompressible, as a JPEG is) hashed, encrypted
                 and kept, and its `piece.attach` queued

Median and p95 of several runs each.
"""

from __future__ import annotations

import statistics
import uuid
from typing import Any

from playwright.sync_api import Page, sync_playwright

from server import clock
from server.auth import sessions
from server.domain import accounts, organisations
from server.settings import load
from server.store.db import Database
from sync import log as sync_log

from .loads import ARGS, CHROMIUM
from .server import App

RUNS = 9
PEOPLE = 20
PIN = "482913"


def _worker(app: App, name: str) -> str:
    """An approved organisation and a worker of it, signed in: a session token."""
    settings = load({"SESAME_DATA": str(app.data), "PORT": str(app.port)})
    db = Database(settings.db_path)

    def make(conn: Any) -> str:
        version = sync_log.next_version(conn)
        org_id = str(uuid.uuid4())
        organisations.create(
            conn,
            organisation_id=org_id,
            name=f"Abri {name}",
            kind="shelter",
            departement="75",
            contact_name=name,
            contact_email=None,
            contact_phone=None,
            version=version,
            now=clock.now(),
        )
        organisations.set_status(conn, org_id, "approved", "admin:bench", version, clock.now())
        account = accounts.create(
            conn,
            display_name=name,
            language="fr",
            user_handle=accounts.new_user_handle(),
            version=version,
            role="worker",
            organisation=org_id,
        )
        token, _ = sessions.create(
            conn, account.id, lifetime=3600, sliding=True, user_agent="bench", ip="127.0.0.1", now=clock.now()
        )
        return str(token)

    try:
        return str(db.write_sync(make))
    finally:
        db.close()


# Twenty people, each with a file, two fields, a message and a queued photo of 40 KB.
POPULATE = """async ([people]) => {
  const S = Sesame, worker = document.documentElement.dataset.account, ids = [];
  for (let i = 0; i < people; i++) {
    const id = crypto.randomUUID(), file = crypto.randomUUID();
    await S.shelterStore.keepPerson(worker, id, {display_name: "Personne " + i, language: "fr",
      mandate: {file_id: null, can_act: true, expires_at: "2027-12-01"}}, false);
    await S.shelterStore.queue(worker, id, "file.create", {file_id: file, procedure: "duplicate", grounds: []});
    await S.shelterStore.queue(worker, id, "file.update", {file_id: file, fields: {city: "Lyon", street: "1 rue " + i}});
    await S.shelterStore.queue(worker, id, "message.send", {file_id: file, message_id: crypto.randomUUID(), body: "Bonjour " + i});
    const photo = crypto.getRandomValues(new Uint8Array(40 * 1024)).buffer;
    const blob = await S.shelterStore.keepBlob(worker, id, photo, "photo.jpg", "image/jpeg");
    await S.shelterStore.queue(worker, id, "piece.attach", {file_id: file, piece: "identity_photo", blob: blob.sha256,
      filename: "photo.jpg", attachment_id: crypto.randomUUID()}, {blobs: [blob.id]});
    ids.push([id, file]);
  }
  return ids;
}"""

UNTIL = """
const until = async (test) => { while (!test()) await new Promise((r) => setTimeout(r, 0)); };
"""

# Lock, then time the unlock until the people list is drawn.
UNLOCK = (
    """async ([pin, people]) => {"""
    + UNTIL
    + """
  document.querySelector("[data-lock]").click();
  await until(() => !document.getElementById("shelter-locked").hidden);
  const t = performance.now();
  if (pin) {
    document.getElementById("pin-unlock").value = pin;
    document.querySelector("[data-unlock-pin] button").click();
  } else {
    document.querySelector("[data-unlock-prf]").click();
  }
  await until(() => document.querySelectorAll("[data-people] button").length === people);
  return performance.now() - t;
}"""
)

SWITCH = (
    """async ([index]) => {"""
    + UNTIL
    + """
  const name = "Personne " + index;
  const button = [...document.querySelectorAll("[data-people] button")].find((b) => b.textContent === name);
  const t = performance.now();
  button.click();
  await until(() => document.querySelector("[data-person-name]").textContent === name
    && document.querySelectorAll("[data-files] [data-file]").length === 1
    && document.querySelector("[data-file] [data-messages]").textContent.includes("Bonjour " + index));
  return performance.now() - t;
}"""
)

FIELD = """async ([person, file, i]) => {
  const worker = document.documentElement.dataset.account;
  const t = performance.now();
  await Sesame.shelterStore.queue(worker, person, "file.update", {file_id: file, fields: {city: "Ville " + i}});
  return performance.now() - t;
}"""

PHOTO = """async ([person, file]) => {
  const worker = document.documentElement.dataset.account;
  const bytes = new Uint8Array(500 * 1024);
  for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  const photo = bytes.buffer;
  const t = performance.now();
  const blob = await Sesame.shelterStore.keepBlob(worker, person, photo, "photo.jpg", "image/jpeg");
  await Sesame.shelterStore.queue(worker, person, "piece.attach", {file_id: file, piece: "identity_photo",
    blob: blob.sha256, filename: "photo.jpg", attachment_id: crypto.randomUUID()}, {blobs: [blob.id]});
  return performance.now() - t;
}"""


def _figures(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "runs": len(ordered)}


def _open(browser: Any, app: App, name: str, prf: bool) -> Page:
    token = _worker(app, name)
    context = browser.new_context(base_url=app.base, locale="fr-FR", service_workers="block")
    context.add_cookies([{"name": sessions.COOKIE, "value": token, "url": app.base}])
    context.set_default_timeout(600_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    if prf:
        cdp.send("WebAuthn.enable", {"enableUI": False})
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                    "hasPrf": True,
                }
            },
        )
    page.goto("/shelter")
    page.wait_for_selector("html[data-shelter-ready]", state="attached")
    context.set_offline(True)  # nothing leaves during the runs
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    if prf:
        # The worker's passkey, made with the PRF extension (as pwa/passkeys.js asks).
        page.evaluate(
            """async () => { await navigator.credentials.create({publicKey: {challenge: new Uint8Array(32),
              rp: {name: "Sésame"}, user: {id: crypto.getRandomValues(new Uint8Array(16)), name: "w", displayName: "w"},
              pubKeyCredParams: [{type: "public-key", alg: -7}], authenticatorSelection: {residentKey: "required",
              userVerification: "required"}, extensions: {prf: {}}}}); }"""
        )
        page.click("[data-setup-prf]")
    else:
        page.fill("#pin-new", PIN)
        page.fill("#pin-again", PIN)
        page.click("[data-setup-pin] button")
    page.wait_for_selector("#shelter-work", state="visible")
    return page


def measure(app: App) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _open(browser, app, "Bench PIN", prf=False)
        ids = page.evaluate(POPULATE, [PEOPLE])
        results["unlock (PIN)"] = _figures([page.evaluate(UNLOCK, [PIN, PEOPLE]) for _ in range(RUNS)])
        results["switch person"] = _figures([page.evaluate(SWITCH, [i % PEOPLE]) for i in range(RUNS * 2)])
        person, file = ids[0]
        results["save a field"] = _figures([page.evaluate(FIELD, [person, file, i]) for i in range(RUNS * 2)])
        results["queue a 500 KB photo"] = _figures(
            [page.evaluate(PHOTO, [person, file]) for _ in range(RUNS)]
        )
        page.context.close()

        page = _open(browser, app, "Bench PRF", prf=True)
        page.evaluate(POPULATE, [PEOPLE])
        results["unlock (PRF)"] = _figures([page.evaluate(UNLOCK, [None, PEOPLE]) for _ in range(RUNS)])
        page.context.close()
        browser.close()
    print(f"\nShelter mode, encrypted at rest (CPU 4x slower, {PEOPLE} people on the device; ms)")
    for label, figures in results.items():
        print(
            f"  {label:22} median {figures['median_ms']:7.1f}   p95 {figures['p95_ms']:7.1f}   ({figures['runs']} runs)"
        )
    return results
