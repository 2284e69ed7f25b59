"""Shelter mode (issue 12, ADR 0021): a worker, offline on one device, works for
several people; everything is kept encrypted; it syncs under the right person,
once, in order; a revoked mandate takes that person off the device.

The worker's passkey lives on a virtual authenticator with the PRF extension
(Chromium's `hasPrf`), so the device is unlocked by the passkey itself; one test
takes the PIN path. The organisation asks to join and is accepted through the
pages, its worker enrols with the link; the server ending a mandate is
`mandate.revoke` applied in its database through the app's own code.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from server import commands as server_commands
from server.auth.policy import Actor
from server.store.db import Database
from sync.protocol import Command
from tests import samples

from .helpers import (
    SAFETY_NET,
    SesameServer,
    add_authenticator,
    enrol,
    new_device,
)
from .test_offline import command, rows


def until(condition: Any, what: str) -> None:
    """Poll a condition (the device syncs on its own time); the bound is a safety net."""
    deadline = time.monotonic() + SAFETY_NET
    while not condition():
        assert time.monotonic() < deadline, f"{what}: still not true"
        time.sleep(0.2)


def become_worker(server: SesameServer, admin: Page, page: Page, name: str) -> tuple[str, str]:
    """Through the pages: an organisation asks to join, an administrator accepts it,
    its administrator (a worker) enrols on `page` with a passkey. Returns (organisation,
    worker)."""
    organisation = f"Abri {name}"
    page.goto("/organisations/new")
    page.locator("#f-name").fill(organisation)
    page.locator("input[name=kind][value=shelter]").check()
    page.locator("#f-departement").select_option("75")
    page.locator("#f-contact_name").fill(name)
    page.locator("#f-contact_email").fill("accueil@abri.example")
    page.locator("form[action='/organisations/new'] button[type=submit]").click()
    [org] = rows(server, "SELECT id FROM organisations WHERE name = ?", organisation)
    admin.goto("/admin/organisations")
    admin.locator(f"form[action='/admin/organisations/{org['id']}/approve'] button").click()
    link = admin.locator("input#invite-link")
    expect(link).to_be_visible()
    enrol(page, link.input_value(), name)
    [me] = rows(server, "SELECT id, role, organisation FROM accounts WHERE display_name = ?", name)
    assert (me["role"], me["organisation"]) == ("worker", org["id"])
    return str(org["id"]), str(me["id"])


def revoke(server: SesameServer, org_id: str, worker_id: str, person_id: str) -> None:
    """The mandate ends on the server (`mandate.revoke`, through the app's code)."""
    [mandate] = rows(server, "SELECT id FROM mandates WHERE person_id = ? AND revoked_at IS NULL", person_id)
    actor = Actor(role="worker", account_id=worker_id, organisation=org_id)
    revoke_command = Command.from_json(
        command("mandate.revoke", {"mandate_id": mandate["id"]}, "e2e-revoke", 1)
    )
    db = Database(server.db_path)
    try:
        result = db.write_sync(server_commands.apply, revoke_command, actor)
    finally:
        db.close()
    assert result.applied, result


# Everything the browser keeps for this origin, as text: every IndexedDB database
# and store (binary values read as UTF-8 and as Latin-1), and every Cache Storage entry.
STORAGE = """async () => {
  const out = [];
  const bytes = (v) => {
    const u = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    out.push(new TextDecoder().decode(u));
    let s = ""; for (const b of u) s += String.fromCharCode(b); out.push(s);
  };
  const walk = (v) => {
    if (v === null || v === undefined) return;
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return bytes(v);
    if (v instanceof Blob) return;
    if (typeof v === "object") { for (const k of Object.keys(v)) { out.push(k); walk(v[k]); } return; }
    out.push(String(v));
  };
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, ko) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
    for (const store of db.objectStoreNames) {
      const t = db.transaction(store, "readonly").objectStore(store);
      const [keys, values] = await Promise.all([
        new Promise((ok) => { const r = t.getAllKeys(); r.onsuccess = () => ok(r.result); }),
        new Promise((ok) => { const r = t.getAll(); r.onsuccess = () => ok(r.result); }),
      ]);
      walk(keys); walk(values);
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      out.push(request.url);
      out.push(await (await cache.match(request)).text());
    }
  }
  return out.join("\\n");
}"""

SHELTER_ROWS = """async (store) => {
  const db = await new Promise((ok, ko) => { const r = indexedDB.open("sesame-shelter"); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
  const all = await new Promise((ok) => { const r = db.transaction(store, "readonly").objectStore(store).getAll(); r.onsuccess = () => ok(r.result); });
  db.close();
  return all.map((row) => ({person: row.person || row.id, state: row.state || null, op: row.op || null}));
}"""


STORES = ("people", "records", "outbox", "blobs")

KEPT_SHELTER = """async () => {
  for (const name of await caches.keys()) if (await (await caches.open(name)).match("/shelter")) return true;
  return false;
}"""


def shelter_rows(page: Page, store: str) -> list[dict[str, Any]]:
    return list(page.evaluate(SHELTER_ROWS, store))


def open_shelter(page: Page) -> None:
    page.goto("/shelter")
    expect(page.locator("html[data-shelter-ready]")).to_have_count(1)


def protect_with_pin(page: Page, pin: str) -> None:
    """Open shelter mode for the first time on this device and protect it with a PIN."""
    open_shelter(page)
    page.locator("#pin-new").fill(pin)
    page.locator("#pin-again").fill(pin)
    page.locator("[data-setup-pin] button").click()
    expect(page.locator("#shelter-work")).to_be_visible()


def new_person(page: Page, display_name: str, seed: int) -> None:
    page.locator("[data-new-person-box] summary").click()
    page.locator("#np-name").fill(display_name)
    page.locator("#np-scan").set_input_files(
        files=[
            {"name": f"mandat-{seed}.png", "mimeType": "image/png", "buffer": samples.png(48, 48, seed=seed)}
        ]
    )
    page.locator("[data-new-person] button[type=submit]").click()
    expect(page.locator("[data-person-name]")).to_have_text(display_name)


def prepare(page: Page, city: str, message: str, seed: int) -> None:
    """For the person picked: a file, a field, a photo piece, a message."""
    page.locator("[data-new-file] button").click()
    expect(page.locator("[data-file]")).to_have_count(1)
    page.locator("[data-file] select[name=field]").select_option("city")
    page.locator("[data-file] input[name=value]").fill(city)
    page.locator("[data-file] [data-field] button").click()
    expect(page.locator("[data-file] [data-values]")).to_contain_text(city)
    page.locator("[data-file] input[name=file]").set_input_files(
        files=[
            {
                "name": f"photo-{seed}.png",
                "mimeType": "image/png",
                "buffer": samples.png(48, 48, seed=seed + 1000),
            }
        ]
    )
    page.locator("[data-file] [data-piece] button").click()
    expect(page.locator("[data-file] [data-pieces] li")).to_have_count(1)
    page.locator("[data-file] textarea[name=body]").fill(message)
    page.locator("[data-file] [data-message] button").click()
    expect(page.locator("[data-file] [data-messages]")).to_contain_text(message)


def pick(page: Page, display_name: str) -> None:
    page.locator("[data-people] button", has_text=display_name).click()
    expect(page.locator("[data-person-name]")).to_have_text(display_name)


def synced(page: Page) -> None:
    """Send now, and wait until nothing waits on the device."""
    page.locator("[data-sync]").click()
    expect(page.locator("[data-handover-empty]")).to_be_visible()


def assert_nothing_in_clear(page: Page, secrets: list[str]) -> None:
    kept = page.evaluate(STORAGE)
    for secret in secrets:
        assert secret not in kept, f"{secret!r} is in clear in the browser's storage"


@pytest.fixture
def admin(browser: Browser, fresh_server: SesameServer) -> Iterator[Page]:
    """The national administrator (bootstrap link), who accepts organisations. Each
    test has a server of its own: enrolments are rate-limited per address."""
    assert fresh_server.bootstrap_link
    context, page, _ = new_device(browser, fresh_server.base_url)
    enrol(page, fresh_server.bootstrap_link, "Admin Abris")
    yield page
    context.close()


def worker_device(
    new_plain_context: Any, server: SesameServer, admin: Page, name: str
) -> tuple[BrowserContext, Page, str, str]:
    context = new_plain_context(server)
    page = context.new_page()
    add_authenticator(page, prf=True)
    org_id, worker_id = become_worker(server, admin, page, name)
    return context, page, org_id, worker_id


def on_server(server: SesameServer, display_name: str, city: str, message: str) -> dict[str, Any]:
    """What the server holds for one person: once each, under that person."""
    [person] = rows(server, "SELECT id, display_name FROM accounts WHERE display_name = ?", display_name)
    pid = person["id"]
    [mandate] = rows(server, "SELECT paper_blob, revoked_at FROM mandates WHERE person_id = ?", pid)
    assert mandate["paper_blob"], "the paper mandate's scan is kept"
    [file] = rows(server, "SELECT id FROM files WHERE owner_id = ?", pid)
    assert [
        r["value"]
        for r in rows(server, "SELECT value FROM file_fields WHERE file_id = ? AND name = 'city'", file["id"])
    ] == [city]
    assert len(rows(server, "SELECT id FROM attachments WHERE file_id = ?", file["id"])) == 1
    found = rows(
        server,
        "SELECT m.body, f.owner_id FROM messages m JOIN files f ON f.id = m.file_id WHERE m.body = ?",
        message,
    )
    assert [(m["body"], m["owner_id"]) for m in found] == [(message, pid)], (
        "the message once, under its person"
    )
    return {"id": pid, "file": file["id"]}


def assert_in_order(server: SesameServer, worker_id: str, count: int) -> None:
    """The server applied the device's commands in the order they were made, each once."""
    found = rows(
        server,
        "SELECT id, op, seq, version FROM commands WHERE actor = ? AND client LIKE 'shelter-%' ORDER BY version, seq",
        f"worker:{worker_id}",
    )
    assert len(found) == count, [(r["op"], r["seq"]) for r in found]
    assert len({r["id"] for r in found}) == count
    seqs = [r["seq"] for r in found]
    assert seqs == sorted(seqs), "applied in the order made"


def test_three_people_offline_locked_unlocked_synced_then_one_revoked(
    new_plain_context, fresh_server, admin, name
):
    server = fresh_server
    context, page, org_id, worker_id = worker_device(new_plain_context, server, admin, name)
    open_shelter(page)
    # First use: the passkey protects the device (PRF).
    page.locator("[data-setup-prf]").click()
    expect(page.locator("#shelter-work")).to_be_visible()
    assert page.evaluate(
        """async () => { const v = await Sesame.shelterStore.all("vault"); return v.map((r) => r.method); }"""
    ) == ["prf"]

    people = [
        (f"Awa Konaté {name}", f"Rue des Lilas {name}", f"Bonjour, je suis Awa {name}"),
        (f"Yusuf Haddad {name}", f"Boulevard Voltaire {name}", f"Message de Yusuf {name}"),
        (f"Oksana Melnyk {name}", f"Avenue de Flandre {name}", f"Oksana demande un rendez-vous {name}"),
    ]
    until(lambda: page.evaluate(KEPT_SHELTER), "the service worker keeps /shelter for offline use")
    context.set_offline(True)
    for i, (who, city, message) in enumerate(people):
        new_person(page, who, i)
        prepare(page, city, message, i)

    # Switching person changes everything on screen.
    for who, city, message in (people[0], people[2], people[1]):
        pick(page, who)
        person_part = page.locator("#shelter-person")
        expect(person_part).to_contain_text(message)
        expect(person_part).to_contain_text(city)
        for other, other_city, other_message in people:
            if other != who:
                expect(person_part).not_to_contain_text(other_message)
                expect(person_part).not_to_contain_text(other_city)

    # Hand-over while unlocked: names and counts.
    handover = page.locator("[data-handover] > li")
    expect(handover).to_have_count(3)
    expect(page.locator("[data-handover]")).to_contain_text(people[0][0])

    # Lock: nothing of anyone on screen, nothing deleted; counts only.
    page.locator("[data-lock]").click()
    expect(page.locator("#shelter-locked")).to_be_visible()
    expect(handover).to_have_count(3)
    text = page.locator("main").inner_text()
    for who, city, message in people:
        assert who not in text and message not in text and city not in text
    assert len(shelter_rows(page, "outbox")) == 15

    # Storage: no name, address or message in clear anywhere.
    assert_nothing_in_clear(page, [p for person in people for p in person])

    # Reloaded with no network: the page comes from the device, locked, all still there.
    page.reload()
    expect(page.locator("html[data-served=cache][data-shelter-ready]")).to_have_count(1)
    expect(page.locator("#shelter-locked")).to_be_visible()
    expect(handover).to_have_count(3)

    # Unlock with the passkey; back online, everything leaves.
    page.locator("[data-unlock-prf]").click()
    expect(page.locator("#shelter-work")).to_be_visible()
    context.set_offline(False)
    synced(page)

    held = [on_server(server, who, city, message) for who, city, message in people]
    assert_in_order(server, worker_id, 15)
    # Sending again changes nothing: ids were made on the device once.
    before = page.locator("html").get_attribute("data-shelter-synced")
    page.locator("[data-sync]").click()
    until(lambda: page.locator("html").get_attribute("data-shelter-synced") != before, "a second sync")
    assert_in_order(server, worker_id, 15)

    # The worker stops following Yusuf (their organisation's page, another tab): the
    # mandate ends on the server, refused at once, gone from the device at the next sync.
    revoked = held[1]["id"]
    other = context.new_page()
    other.goto("/worker")
    with other.expect_navigation():
        other.locator(f"form[action='/worker/people/{revoked}/release'] button").click()
    other.close()
    assert rows(server, "SELECT revoked_at FROM mandates WHERE person_id = ?", revoked)[0]["revoked_at"]
    status = page.evaluate(
        "async (id) => (await fetch('/sync/pull?for=' + id + '&cursor=0')).status", revoked
    )
    assert status == 403
    page.locator("[data-sync]").click()
    expect(page.locator("[data-people] button", has_text=people[1][0])).to_have_count(0)
    expect(page.locator("[data-people] button")).to_have_count(2)
    until(
        lambda: all(r["person"] != revoked for s in STORES for r in shelter_rows(page, s)),
        "the revoked person's data leaves the device",
    )
    # The others' records stayed, pulled from the server, encrypted.
    assert {r["person"] for r in shelter_rows(page, "records")} == {held[0]["id"], held[2]["id"]}
    assert_nothing_in_clear(page, [p for person in people for p in person])


def test_unsent_work_of_a_revoked_person_stays_until_discarded(new_plain_context, fresh_server, admin, name):
    """PIN path; a person synced, then more work made offline, then the mandate ends."""
    server = fresh_server
    context, page, org_id, worker_id = worker_device(new_plain_context, server, admin, name)
    protect_with_pin(page, "482913")
    who, message = f"Moussa Traoré {name}", f"Un message jamais parti {name}"
    new_person(page, who, 40)
    page.locator("[data-new-file] button").click()
    expect(page.locator("[data-file]")).to_have_count(1)
    synced(page)
    [person] = rows(server, "SELECT id FROM accounts WHERE display_name = ?", who)

    context.set_offline(True)
    page.locator("[data-file] textarea[name=body]").fill(message)
    page.locator("[data-file] [data-message] button").click()
    expect(page.locator("[data-file] [data-messages]")).to_contain_text(message)
    revoke(server, org_id, worker_id, person["id"])
    context.set_offline(False)
    page.locator("[data-sync]").click()
    # Not dropped: on the hand-over screen, marked, with a way to discard it.
    entry = page.locator("[data-handover] > li")
    expect(entry).to_have_count(1)
    expect(entry.locator("[data-handover-state]")).to_contain_text("mandat retiré")
    expect(page.locator("[data-people] button", has_text=who)).to_have_count(0)
    assert not rows(server, "SELECT id FROM messages WHERE body = ?", message)
    assert [r["state"] for r in shelter_rows(page, "outbox")] == ["revoked"]
    assert_nothing_in_clear(page, [who, message])

    # Signing out deletes nothing: signed in again, the page starts locked and still
    # counts the work (no name); a wrong PIN opens nothing; the right one does.
    page.locator("form[action='/signout'] button").click()
    page.wait_for_url("**/signin?done=signed_out")
    page.locator("[data-passkey-start]").click()
    page.wait_for_url(lambda url: "/signin" not in url)
    open_shelter(page)
    expect(page.locator("#shelter-locked")).to_be_visible()
    expect(entry).to_have_count(1)
    expect(entry.locator("[data-handover-state]")).to_contain_text("mandat retiré")
    expect(entry).not_to_contain_text(who)
    page.locator("#pin-unlock").fill("000000")
    page.locator("[data-unlock-pin] button").click()
    expect(page.locator("[data-shelter-status]")).to_contain_text("ne déverrouille pas")
    expect(page.locator("#shelter-locked")).to_be_visible()
    page.locator("#pin-unlock").fill("482913")
    page.locator("[data-unlock-pin] button").click()
    expect(page.locator("#shelter-work")).to_be_visible()
    expect(entry).to_contain_text(who)

    page.once("dialog", lambda dialog: dialog.accept())
    entry.locator("button").click()
    expect(page.locator("[data-handover-empty]")).to_be_visible()
    assert shelter_rows(page, "outbox") == [] and shelter_rows(page, "people") == []


def test_the_device_locks_itself_after_inactivity(new_plain_context, fresh_server, admin, name):
    server = fresh_server
    context, page, _, _ = worker_device(new_plain_context, server, admin, name)
    page.clock.install()  # the page's timers, run forward by the test
    protect_with_pin(page, "135790")
    context.set_offline(True)
    new_person(page, f"Farida Benali {name}", 50)
    page.clock.run_for("04:00")
    expect(page.locator("#shelter-work")).to_be_visible()
    page.clock.run_for("01:05")
    expect(page.locator("#shelter-locked")).to_be_visible()
    assert f"Farida Benali {name}" not in page.locator("main").inner_text()
    expect(page.locator("[data-handover] > li")).to_have_count(1)
    assert f"Farida Benali {name}" not in page.locator("main").inner_text()


def test_the_pin_is_changed_and_the_old_one_opens_nothing(new_plain_context, fresh_server, admin, name):
    """Someone saw the code: the worker changes it, offline, without losing anything."""
    server = fresh_server
    context, page, _, _ = worker_device(new_plain_context, server, admin, name)
    protect_with_pin(page, "246810")
    context.set_offline(True)
    who = f"Aïssatou Ba {name}"
    new_person(page, who, 60)
    status = page.locator("[data-shelter-status]")
    said_here = page.locator("[data-change-pin-status]")  # the form's own line

    box = page.locator("[data-change-pin-box]")
    box.locator("summary").click()
    expect(page.locator("[data-current-pin]")).to_be_visible()
    # A wrong current code changes nothing.
    page.locator("#pin-current").fill("111111")
    page.locator("#pin-change-new").fill("97531086")
    page.locator("#pin-change-again").fill("97531086")
    page.locator("[data-change-pin] button[type=submit]").click()
    expect(said_here).to_contain_text("Le code actuel n’est pas le bon")
    # The two new ones differ: said, nothing changed.
    page.locator("#pin-current").fill("246810")
    page.locator("#pin-change-again").fill("97531087")
    page.locator("[data-change-pin] button[type=submit]").click()
    expect(said_here).to_contain_text("Les deux codes ne sont pas les mêmes")
    page.locator("#pin-change-again").fill("97531086")
    page.locator("[data-change-pin] button[type=submit]").click()
    expect(said_here).to_contain_text("Le code est changé")
    expect(page.locator("#shelter-work")).to_be_visible()  # still open, the person still there
    expect(page.locator("[data-person-name]")).to_have_text(who)

    page.locator("[data-lock]").click()
    expect(page.locator("#shelter-locked")).to_be_visible()
    page.locator("#pin-unlock").fill("246810")
    page.locator("[data-unlock-pin] button").click()
    expect(status).to_contain_text("ne déverrouille pas")
    expect(page.locator("#shelter-locked")).to_be_visible()
    # After a reload too (the record kept, not the page's copy), only the new code opens.
    page.reload()
    expect(page.locator("html[data-shelter-ready]")).to_have_count(1)
    page.locator("#pin-unlock").fill("246810")
    page.locator("[data-unlock-pin] button").click()
    expect(status).to_contain_text("ne déverrouille pas")
    page.locator("#pin-unlock").fill("97531086")
    page.locator("[data-unlock-pin] button").click()
    expect(page.locator("#shelter-work")).to_be_visible()
    expect(page.locator("[data-people] button", has_text=who)).to_have_count(1)
    expect(page.locator("[data-handover] > li")).to_have_count(1)  # the unsent work, intact
    assert_nothing_in_clear(page, [who, "246810", "97531086"])


def test_a_day_offline_for_ten_people_syncs_each_under_their_own(
    new_plain_context, fresh_server, admin, name
):
    """Issue 12, item 5: ten people made offline, each with a paper mandate, a file,
    a field, a photo and a message; back online, each item once, in order, under its person."""
    server = fresh_server
    context, page, _, worker_id = worker_device(new_plain_context, server, admin, name)
    open_shelter(page)
    page.locator("[data-setup-prf]").click()
    expect(page.locator("#shelter-work")).to_be_visible()
    context.set_offline(True)
    people = [(f"Personne {i} {name}", f"Ville {i} {name}", f"Message {i} de {name}") for i in range(10)]
    for i, (who, city, message) in enumerate(people):
        new_person(page, who, 100 + i)
        prepare(page, city, message, 100 + i)
    expect(page.locator("[data-handover] > li")).to_have_count(10)
    assert_nothing_in_clear(page, [p for person in people for p in person])

    context.set_offline(False)
    synced(page)
    held = [on_server(server, who, city, message) for who, city, message in people]
    assert len({h["id"] for h in held}) == 10
    assert_in_order(server, worker_id, 50)
    # Pulled back, per person, encrypted: each person's view is theirs alone.
    pick(page, people[7][0])
    expect(page.locator("#shelter-person")).to_contain_text(people[7][2])
    for other in people[:7] + people[8:]:
        expect(page.locator("#shelter-person")).not_to_contain_text(other[2])
