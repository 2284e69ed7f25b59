"""Web Push end to end (issue 14, ADR 0024), with no outside service.

Chromium here cannot reach a real push service, so its own `subscribe()` cannot
work: the test makes the subscription a browser would (a P-256 key pair and an
auth secret) whose endpoint is a local push service (tests/push_receiver.py),
and registers it through the real form of the account page. Then an agent asks
for a piece: the server's dispatcher sends one push; the receiver checks VAPID
and TTL, answers 201, and decrypts it with the subscription's keys to the
neutral text. That very text is handed to the page's service worker with the
DevTools protocol (`ServiceWorker.deliverPushMessage`), which shows the
notification; its click handler's code path (`Sesame.push.open`, what
`notificationclick` calls) then takes the open window to the page — offline.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from server.notify import channels, webpush
from server.settings import load
from server.store.db import Database
from tests.push_receiver import Receiver

from .helpers import SAFETY_NET, assert_no_horizontal_scroll, tr
from .test_accessibility import Scanner, set_language
from .test_backoffice_flow import staff, submitted_renewal
from .test_offline import CONTROLLED, account_of, command, person, push, ready_for_offline, rows, served

NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, lang: n.lang, dir: n.dir,
                             icon: n.icon, data: n.data}));
}"""


def push_data(page: Page) -> dict[str, Any]:
    return dict(json.loads(page.locator("#push-data").text_content() or "{}"))


def register_on_page(page: Page, receiver: Receiver) -> str:
    """Subscribe this browser the way pwa/push.js does after `pushManager.subscribe`,
    with a subscription whose endpoint is the local receiver."""
    page.goto("/account")
    browser = receiver.new_subscription(server_key=push_data(page)["key"])
    page.evaluate(
        """(sub) => {
          const form = document.querySelector("[data-push-form]");
          form.elements.endpoint.value = sub.endpoint;
          form.elements.p256dh.value = sub.keys.p256dh;
          form.elements.auth.value = sub.keys.auth;
          form.submit();
        }""",
        browser.json(),
    )
    page.wait_for_url("**/account?done=push_on#push")
    expect(page.locator("[data-done]")).to_have_text(
        tr("fr", "Les notifications sont activées sur cet appareil.")
    )
    assert browser.endpoint in push_data(page)["endpoints"]
    return browser.token


def deliver_to_worker(context: BrowserContext, page: Page, base_url: str, data: str) -> None:
    """What a push service does once a push reaches the phone: hand the
    decrypted payload to the service worker's `push` event."""
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + SAFETY_NET
    while not [r for r in registrations if not r.get("isDeleted")]:
        assert time.monotonic() < deadline, "no service worker registration reported"
        page.wait_for_timeout(100)
    [registration] = [r for r in registrations if not r.get("isDeleted")][-1:]
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": base_url, "registrationId": registration["registrationId"], "data": data},
    )


def shown_notifications(
    page: Page, count: int = 1, until: Callable[[dict[str, Any]], bool] = lambda n: True
) -> list[dict[str, Any]]:
    """The notifications shown, once there are `count` and the newest is as `until` says."""
    deadline = time.monotonic() + SAFETY_NET
    while True:
        found = list(page.evaluate(NOTIFICATIONS))
        if len(found) >= count and until(found[-1]):
            return found
        assert time.monotonic() < deadline, f"{count} notification(s) not shown as expected: {found}"
        page.wait_for_timeout(100)


def logged_pushes(server: Any, account_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + SAFETY_NET
    sql = "SELECT channel, delivered, error FROM notify_log WHERE account_id = ? AND channel = 'push'"
    while not (found := rows(server, sql, account_id)):
        assert time.monotonic() < deadline, "the push was never logged"
        time.sleep(0.1)
    return found


def no_quiet_hours(page: Page, server: Any) -> None:
    """The test may run at night: this person wants signs at any hour."""
    answer = push(page, server, [command("notify.preferences", {"quiet_start": "", "quiet_end": ""})])
    assert answer.json()["results"][0]["status"] == "applied", answer.json()


def open_from_worker(context: BrowserContext, path: str) -> str:
    """Run what `notificationclick` runs, in the service worker itself."""
    [worker] = [w for w in context.service_workers if w.url.endswith("/sw.js")]
    return str(worker.evaluate("(path) => self.Sesame.push.open(path)", path))


def test_bursts_collapse_discreet_signs_have_no_words_and_a_click_opens_the_page_offline(
    new_device_factory, server, name
):
    context, page = person(new_device_factory, name)
    context.grant_permissions(["notifications"], origin=server.base_url)
    ready_for_offline(page, also=("/account",))
    page.goto("/account")
    page.wait_for_function(CONTROLLED)
    first = {"title": "Sésame", "body": "Premier", "path": "/account", "lang": "fr", "dir": "ltr"}
    deliver_to_worker(context, page, server.base_url, json.dumps(first))
    [shown] = shown_notifications(page)
    assert shown["title"] == "Sésame" and shown["body"] == "Premier" and shown["tag"] == "sesame"
    assert shown["data"] == {"path": "/account"} and shown["icon"].startswith(server.base_url + "/static/")
    # A second push while the first is shown replaces it: one notification, the newest.
    arabic = {
        "title": "سيزام",
        "body": "كتبت إليكم المحافظة.",
        "path": "/dashboard",
        "lang": "ar",
        "dir": "rtl",
    }
    deliver_to_worker(context, page, server.base_url, json.dumps(arabic))
    [shown] = shown_notifications(page, until=lambda n: n["lang"] == "ar")
    assert (shown["body"], shown["dir"]) == ("كتبت إليكم المحافظة.", "rtl")
    # Discreet: not a word on the lock screen.
    deliver_to_worker(context, page, server.base_url, json.dumps({"path": "/dashboard", "discreet": True}))
    [shown] = shown_notifications(page, until=lambda n: n["body"] == "")
    assert shown["title"] == "•" and shown["body"] == ""
    # The click, offline: the open window goes to the page, from the device's copy.
    context.set_offline(True)
    try:
        assert open_from_worker(context, "/dashboard") == f"{server.base_url}/dashboard"
        page.wait_for_url(f"{server.base_url}/dashboard")
        served(page, "cache")
        # Another site's address is never opened: the dashboard instead.
        assert open_from_worker(context, "//evil.example/x") == f"{server.base_url}/dashboard"
    finally:
        context.set_offline(False)


def test_turning_on_says_the_truth_when_the_browser_cannot_subscribe(new_device_factory, server, name):
    """Chromium here reaches no push service: `subscribe()` fails, and the page says
    so instead of claiming notifications are on; nothing is kept on the server."""
    context, page = person(new_device_factory, name)
    context.grant_permissions(["notifications"], origin=server.base_url)
    page.goto("/account")
    page.wait_for_function(CONTROLLED)
    state = page.locator("[data-push-state]")
    expect(state).to_have_text(tr("fr", "Cet appareil ne reçoit pas de notifications.", "js"))
    page.get_by_role("button", name=tr("fr", "Activer les notifications sur cet appareil")).click()
    expect(state).to_have_text(
        tr(
            "fr",
            "Ce navigateur n’a pas pu s’abonner aux notifications (son service de notification est"
            " injoignable). Réessayez plus tard, ou recevez les nouvelles par courriel ou SMS.",
            "js",
        )
    )
    assert push_data(page)["endpoints"] == {}
    mine = rows(server, "SELECT count(*) AS n FROM push_subscriptions WHERE account_id = ?", account_of(page))
    assert mine == [{"n": 0}]


def test_an_agent_asks_for_a_piece_and_the_phone_shows_one_neutral_sign(new_device_factory, server, name):
    with Receiver() as receiver:
        context, applicant = person(new_device_factory, name)
        context.grant_permissions(["notifications"], origin=server.base_url)
        no_quiet_hours(applicant, server)
        token = register_on_page(applicant, receiver)
        file_id, _ = submitted_renewal(applicant, server)
        applicant.goto(f"/files/{file_id}")  # kept by the worker: the click opens it offline
        ready_for_offline(applicant, also=(f"/files/{file_id}",))

        agent = staff(new_device_factory, server, "agent", "Agent Push")
        agent.goto(f"/prefecture/files/{file_id}")
        agent.get_by_role("button", name="Prendre en examen").click()
        expect(agent.locator("main")).to_contain_text("pris en examen")
        agent.goto(f"/prefecture/files/{file_id}/complements/new?piece=passport")
        agent.locator("#reason-piece-passport").fill("La page de la photo est illisible.")
        agent.get_by_role("button", name="Envoyer la demande de complément").click()
        agent.wait_for_url(f"**/prefecture/files/{file_id}?done=complement_requested")

        # The server's dispatcher sends one push; the push service got it encrypted.
        [received] = receiver.wait(1)
        assert received.token == token and not receiver.refused
        assert received.headers["content-encoding"] == "aes128gcm" and int(received.headers["ttl"]) > 0
        plain = receiver.decrypt(received)
        data = json.loads(plain)
        assert data == {
            "title": tr("fr", "Sésame"),
            "body": tr(
                "fr", "Sésame : la préfecture attend une réponse de votre part. Ouvrez l’application."
            ),
            "path": f"/files/{file_id}",
            "lang": "fr",
            "dir": "ltr",
        }
        # Nothing of the person or the file beyond the page to open.
        for secret in (name, *name.split(), "passeport", "illisible", "Push"):
            assert secret.lower() not in data["body"].lower() and secret.lower() not in data["title"].lower()
        # The dispatcher logs the attempt once the push service answered (no content, no address).
        logged = logged_pushes(server, account_of(applicant))
        assert logged == [{"channel": "push", "delivered": 1, "error": None}]
        kept = rows(
            server,
            "SELECT last_success_at IS NOT NULL AS ok FROM push_subscriptions WHERE account_id = ?",
            account_of(applicant),
        )
        assert kept == [{"ok": 1}]

        # The phone receives it: the worker shows the notification.
        applicant.goto("/dashboard")
        applicant.wait_for_function(CONTROLLED)
        deliver_to_worker(context, applicant, server.base_url, plain.decode())
        [shown] = shown_notifications(applicant)
        assert (shown["title"], shown["body"], shown["lang"]) == (data["title"], data["body"], "fr")
        assert shown["data"] == {"path": f"/files/{file_id}"}

        # Its click, with no network: the file's page, from the device.
        context.set_offline(True)
        try:
            assert open_from_worker(context, shown["data"]["path"]) == f"{server.base_url}/files/{file_id}"
            applicant.wait_for_url(f"{server.base_url}/files/{file_id}")
            served(applicant, "cache")
        finally:
            context.set_offline(False)
        # One act, one push (the send is settled: later passes have nothing to send).
        sends = rows(
            server,
            "SELECT state FROM notify_sends WHERE account_id = ? AND channel = 'push'",
            account_of(applicant),
        )
        assert sends == [{"state": "sent"}] and len(receiver.received) == 1


def test_account_page_lists_devices_says_which_stopped_and_passes_axe(new_device_factory, server, name):
    """Two devices on; the push service then says one is gone (a real send, by the
    server's own sender): the page lists the other and says why the first stopped,
    in French and Arabic, at 320 px, with no axe violation."""
    with Receiver() as receiver:
        context, page = person(new_device_factory, name)
        register_on_page(page, receiver)
        gone_token = register_on_page(page, receiver)
        receiver.gone.add(gone_token)
        settings = load({"SESAME_DATA": str(server.data_dir), "SESAME_ORIGIN": server.base_url})
        db = Database(server.db_path)
        try:
            message = channels.Message(key="axe", language="fr", title="Sésame", text="x", path="/dashboard")
            outcomes = webpush.WebPushSender(settings).send(db, account_of(page), message)
        finally:
            db.close()
        assert sorted(o.error or "" for o in outcomes) == ["", "gone"]
    page.set_viewport_size({"width": 320, "height": 800})
    for lang in ("fr", "ar"):
        scan = Scanner(lang)
        page.goto("/account#push")
        set_language(page, lang)
        expect(page.locator("#f-push .card")).to_have_count(1)
        expect(page.locator("#f-push")).to_contain_text(tr(lang, "Appareils qui reçoivent les notifications"))
        stopped = {"fr": "ne reçoit plus les notifications depuis le", "ar": "لم يعد"}[lang]
        expect(page.locator("#f-push")).to_contain_text(stopped)
        scan(page, "account with push devices")
        assert_no_horizontal_scroll(page)
        scan.check()
    set_language(page, "fr")


# The browser's own subscription (Chromium here has no push service to make one): the
# registered endpoint, as `pushManager.getSubscription()` would give it, with an
# `unsubscribe()` that notes it was called.
FAKE_SUBSCRIPTION = """(endpoint) => {
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve({ endpoint, unsubscribe() {
      localStorage.setItem("e2e-unsubscribed", endpoint);
      return Promise.resolve(true);
    } });
  };
}"""


def test_signing_out_stops_this_browsers_notifications(new_device_factory, server, name):
    """A phone shared with family: whoever signs out, their news stops showing on it."""
    with Receiver() as receiver:
        context, page = person(new_device_factory, name)
        account = account_of(page)
        register_on_page(page, receiver)
        [endpoint] = push_data(page)["endpoints"]
        context.add_init_script(script=f"({FAKE_SUBSCRIPTION})({json.dumps(endpoint)})")
        page.goto("/dashboard")
        page.locator("form[action='/signout'] button").click()
        page.wait_for_url("**/signin?done=signed_out")
        assert page.evaluate("() => localStorage.getItem('e2e-unsubscribed')") == endpoint
    sql = "SELECT endpoint, removed_reason FROM push_subscriptions WHERE account_id = ?"
    assert rows(server, sql, account) == [{"endpoint": endpoint, "removed_reason": "signed_out"}]
