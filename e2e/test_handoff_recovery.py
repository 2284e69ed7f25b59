"""Hand-off and assisted recovery (issue 12, ADR 0022), on real browsers with
virtual passkeys.

A worker records a person who has no account (paper mandate), starts a file
for her and adds a piece, then prints a one-time claim code; on her own phone
(a second browser context) she claims the account with her own passkey and
finds its whole history, and is told the mandate stays. She then loses that
phone: the worker checks her identity and prints an enrolment code; a third
context (the new phone, no credential) registers a passkey with it, signs in,
and removes the old phone's key; the timeline says so.

The worker's organisation is made and approved in the server's database through
the app's code (the worker signs up in the browser with a real passkey);
everything after that goes through the pages.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from server import clock
from tests import samples

from .helpers import continue_after_codes, said, sign_in
from .organisations import signed_up_worker
from .test_files import start_file
from .test_offline import rows

CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}$")


def become_worker(server: Any, page: Page, name: str, organisation: str, language: str = "fr") -> str:
    """A worker of an association in Seine-Saint-Denis. Returns the organisation's id."""
    return signed_up_worker(server, page, name, organisation, "association", "93", language)


def record_person(worker: Page, name: str, language: str = "fr") -> str:
    """The worker records a person with no account and her signed paper mandate."""
    worker.goto("/worker/people/new")
    worker.locator("#f-display_name").fill(name)
    worker.locator("#f-language").select_option(language)
    worker.locator("#f-scan").set_input_files(
        {"name": "mandat.png", "mimeType": "image/png", "buffer": samples.png(48, 48, seed=1)}
    )
    worker.locator("#f-can_act").check()
    worker.locator("form[action='/worker/people/new'] button[type=submit]").click()
    worker.wait_for_url("**/worker?done=person_recorded")
    card = worker.locator("[data-person]", has_text=name)
    person_id = card.get_attribute("data-person")
    assert person_id
    return person_id


def printed_code(worker: Page) -> str:
    """The code on the printable page (shown once), with its QR code."""
    expect(worker.locator("main img.code-sheet__qr").first).to_be_visible()
    code = worker.locator("main [data-code]").first.inner_text().strip()
    assert CODE.match(code), code
    return code


def test_hand_off_then_assisted_recovery(new_device_factory, server, name: str) -> None:
    _, worker, _ = new_device_factory()
    worker_name = f"Inès {name}"
    become_worker(server, worker, worker_name, "La Cimade Bobigny")
    person = f"Aminata {name}"
    person_id = record_person(worker, person)

    # Acting for her, the worker starts a file and adds a piece.
    worker.locator(f"[data-person='{person_id}'] form[action$='/act'] button").click()
    file_id = start_file(worker, "duplicate")
    # A worker's pages are online-only and load no outbox script (ADR 0020): the piece's
    # form works as without JavaScript — choose, then "Envoyer".
    worker.goto(f"/files/{file_id}/checklist")
    worker.locator("#piece-identity_photo summary.piece__line").click()
    worker.locator("#files-identity_photo").set_input_files(
        [{"name": "photo.png", "mimeType": "image/png", "buffer": samples.png(48, 48, seed=2)}]
    )
    worker.locator("#piece-identity_photo [data-pick-submit]").click()
    worker.wait_for_url(re.compile(rf"/files/{file_id}/checklist\?done=pieces_added"))
    expect(worker.locator("#piece-identity_photo")).to_contain_text("photo.png")
    worker.locator("form[action='/worker/stop'] button").click()
    worker.wait_for_url("**/worker")

    # The hand-off code, printed (the page is the printout: print CSS, a QR code).
    worker.get_by_role("link", name=re.compile(re.escape(person))).click()
    worker.wait_for_url(f"**/worker/people/{person_id}/access")
    worker.locator(f"form[action='/worker/people/{person_id}/handoff'] button").click()
    code = printed_code(worker)
    expect(worker.locator("main")).to_contain_text("garde son mandat")
    [row] = rows(
        server, "SELECT expires_at FROM claim_codes WHERE account_id = ? AND spent_at IS NULL", person_id
    )
    assert clock.parse(row["expires_at"]) > clock.now()

    # Her phone: the QR code opens the claim page with the code in it.
    _, phone, _ = new_device_factory()
    phone.goto(f"/claim?code={code}")
    expect(phone.locator("#f-code")).to_have_value(code)
    phone.locator("form[action='/claim'] button[type=submit]").click()
    phone.locator("[data-passkey-start]").click()
    expect(phone.locator("ol.codes code")).to_have_count(8)
    notice = phone.locator("main [role=note]", has_text="La Cimade Bobigny")
    expect(notice).to_contain_text("tant que vous ne le retirez pas")
    expect(notice.locator("a[href='/account#mandates']")).to_be_visible()
    continue_after_codes(phone)
    phone.goto(f"/files/{file_id}/checklist")
    expect(phone.locator("main")).to_contain_text(re.compile(r"photo\.(png|jpg)"))
    phone.goto("/timeline")
    history = phone.locator("main")
    expect(history).to_contain_text("a imprimé pour vous un code pour prendre votre compte en main")
    expect(history).to_contain_text("Vous avez retrouvé votre dossier sur Sésame")
    expect(history).to_contain_text(f"par {worker_name} (La Cimade Bobigny)")
    phone.goto("/account")
    expect(phone.locator("[data-mandates]")).to_contain_text("La Cimade Bobigny")

    # The printed code served once.
    _, other, _ = new_device_factory()
    other.goto(f"/claim?code={code}")
    other.locator("form[action='/claim'] button[type=submit]").click()
    expect(other.locator("main [role=alert]")).to_contain_text(said("message", "code_used"))

    # She loses that phone. In person, the worker checks her identity, then prints an enrolment code.
    worker.goto(f"/worker/people/{person_id}/access")
    worker.locator(f"form[action='/worker/people/{person_id}/recovery'] button[type=submit]").click()
    expect(worker.locator("main [role=alert]")).to_contain_text(said("message", "identity_unchecked"))
    worker.locator("#f-identity_checked").check()
    worker.locator("#f-document-passport").check()
    worker.locator(f"form[action='/worker/people/{person_id}/recovery'] button[type=submit]").click()
    enrolment = printed_code(worker)
    expect(worker.locator("main")).to_contain_text("24 heures")

    # The new phone has no credential: it registers one with the code, and is signed in.
    _, new_phone, _ = new_device_factory()
    new_phone.goto("/signin")
    new_phone.goto(f"/recover/assisted?code={enrolment}")
    new_phone.locator("form[action='/recover/assisted'] button[type=submit]").click()
    new_phone.locator("[data-passkey-start]").click()
    new_phone.wait_for_url("**/account?done=assisted_recovered")
    expect(new_phone.locator("main [data-done]")).to_contain_text(said("done", "assisted_recovered"))
    # The old phone's session ended at once.
    phone.goto("/dashboard")
    phone.wait_for_url("**/signin**")

    # She removes the old phone's key (her choice), on her account page.
    cards = new_phone.locator("main section[aria-labelledby=passkeys] li.card")
    expect(cards).to_have_count(2)
    old = cards.filter(has_not_text="la clé de cet appareil")
    new_phone.once("dialog", lambda dialog: dialog.accept())
    old.locator("form[action$='/remove'] button").click()
    new_phone.wait_for_url("**/account?done=passkey_removed*")
    expect(cards).to_have_count(1)

    # Signed out and in again with the new phone's passkey.
    new_phone.locator("form[action='/signout'] button").click()
    new_phone.wait_for_url("**/signin?done=signed_out")
    sign_in(new_phone)
    new_phone.goto("/timeline")
    history = new_phone.locator("main")
    expect(history).to_contain_text(
        f"Une nouvelle clé d’accès a été ajoutée avec l’aide de {worker_name} (La Cimade Bobigny) le"
    )
    expect(history).to_contain_text("a vérifié votre identité en personne (passeport)")
    expect(history).to_contain_text("Vous avez retiré la clé d’accès")

    # The enrolment code served once.
    _, again, _ = new_device_factory()
    again.goto(f"/recover/assisted?code={enrolment}")
    again.locator("form[action='/recover/assisted'] button[type=submit]").click()
    expect(again.locator("main [role=alert]")).to_contain_text(said("message", "code_used"))
