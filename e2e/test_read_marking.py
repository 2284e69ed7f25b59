"""In a real browser (with its service worker): the prefecture's messages are marked
read when the person opens the thread from Sésame, not when the worker keeps a copy
of the page nor when a link on another site opens it."""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import expect

from server import commands as server_commands
from server.auth.policy import Actor
from server.store.db import Database
from sync.protocol import Command

from .helpers import SesameServer
from .test_offline import command, person, ready_for_offline, rows, submitted_file, wait_until


def reply_as_agent(server: SesameServer, file_id: str, body: str) -> None:
    [file] = rows(server, "SELECT departement FROM files WHERE id = ?", file_id)
    agent = Actor(role="agent", account_id="agent-e2e", prefecture=file["departement"])
    args = {"file_id": file_id, "message_id": str(uuid.uuid4()), "body": body}
    db = Database(server.db_path)
    try:
        result = db.write_sync(
            server_commands.apply, Command.from_json(command("message.send", args, "e2e-agent", 1)), agent
        )
    finally:
        db.close()
    assert result.applied, result


def unread(server: SesameServer, file_id: str) -> int:
    found = rows(
        server,
        "SELECT count(*) AS n FROM messages WHERE file_id = ? AND author_role = 'agent' AND read_at IS NULL",
        file_id,
    )
    return int(found[0]["n"])


KEPT_WITH = """async () => {
  for (const name of await caches.keys()) {
    const hit = await (await caches.open(name)).match(%s);
    if (hit && (await hit.text()).includes(%s)) return true;
  }
  return false;
}"""


def test_messages_are_read_from_our_pages_only(new_device_factory, server, name):
    context, page = person(new_device_factory, name)
    file_id = submitted_file(page, server)
    thread = f"/files/{file_id}/messages"
    reply_as_agent(server, file_id, "Pouvez-vous envoyer votre bail ?")

    # The worker keeps a fresh copy of the thread, in the background: nobody read it.
    ready_for_offline(page)
    page.evaluate(
        "(urls) => navigator.serviceWorker.controller.postMessage({type: 'refresh', urls})", [thread]
    )
    wait_until(page, KEPT_WITH % (json.dumps(thread), json.dumps("Pouvez-vous")), what="the worker's copy")
    assert unread(server, file_id) == 1

    # A link on another site opens the thread (through the worker): shown, not marked …
    page.route(
        "https://elsewhere.example/",
        lambda route: route.fulfill(
            content_type="text/html", body=f'<a id="go" href="{server.base_url}{thread}">messages</a>'
        ),
    )
    page.goto("https://elsewhere.example/")
    page.locator("#go").click()
    expect(page.get_by_text("Pouvez-vous envoyer votre bail ?")).to_be_visible()
    assert unread(server, file_id) == 1
    # … and the page offers to mark them read.
    mark = page.get_by_role("button", name="J’ai lu les messages de la préfecture")
    mark.click()
    page.wait_for_url(f"**{thread}")
    expect(mark).to_have_count(0)
    assert unread(server, file_id) == 0

    # Opened from the dashboard's link: read.
    reply_as_agent(server, file_id, "Merci pour le bail.")
    page.goto("/dashboard")
    page.locator(f"a.badge[href='{thread}']").click()
    expect(page.get_by_text("Merci pour le bail.")).to_be_visible()
    assert unread(server, file_id) == 0
