"""Sign-up, sign-in, passkeys, recovery: through HTTP, with a software authenticator."""

from __future__ import annotations

import json
import sqlite3

from starlette.applications import Starlette

from .people import Person, ceremony
from .softauthn import SoftAuthenticator


def events(app: Starlette, kind: str) -> list[sqlite3.Row]:
    return app.state.db.read_sync(
        lambda c: c.execute("SELECT * FROM auth_events WHERE kind = ?", (kind,)).fetchall()
    )


def test_signup_needs_only_a_name_and_a_language(person: Person) -> None:
    codes = person.signup("Amina", "fr")
    assert len(set(codes)) == 8
    dashboard = person.client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Bonjour, Amina" in dashboard.text
    account = person.client.get("/account")
    assert 'name="foreign_number" type="text" value=""' in account.text


def test_signup_keeps_what_was_typed_when_invalid(person: Person) -> None:
    page = person.client.post("/signup", data={"display_name": "   ", "language": "ar"})
    assert page.status_code == 400
    assert 'lang="ar"' in page.text  # the page answers in the language chosen on the form
    assert 'aria-invalid="true"' in page.text


def test_sign_out_then_sign_in_with_the_passkey(person: Person) -> None:
    person.signup("Karim")
    person.signout()
    assert person.client.get("/dashboard", follow_redirects=False).status_code == 303
    person.signin()
    assert "Bonjour, Karim" in person.client.get("/dashboard").text


def test_a_sign_in_response_cannot_be_replayed(person: Person) -> None:
    person.signup()
    person.signout()
    page = person.client.get("/signin")
    step = ceremony(page.text)
    answer = json.dumps(person.phone.get(step["publicKey"]))
    first = person.client.post(
        "/signin", data={"flow": step["flow"], "credential": answer}, follow_redirects=False
    )
    assert first.status_code == 303
    person.signout()
    again = person.client.post(
        "/signin", data={"flow": step["flow"], "credential": answer}, follow_redirects=False
    )
    assert again.status_code == 400
    assert "expiré" in again.text


def test_user_handle_must_match_the_account(app: Starlette, person: Person) -> None:
    person.signup()
    person.signout()
    response = person.signin_response(user_handle=b"someone-else")
    assert response.status_code == 400
    assert "aucun compte" in response.text
    failures = events(app, "signin_failed")
    assert failures and json.loads(failures[-1]["detail"])["reason"] == "unknown_passkey"


def test_unknown_passkey_is_refused(person: Person, settings: object) -> None:
    person.signup()
    person.signout()
    stranger = SoftAuthenticator(origin=person.phone.origin)
    page = person.client.get("/signin")
    step = ceremony(page.text)
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAA"})
    answer = stranger.get(step["publicKey"])
    response = person.client.post("/signin", data={"flow": step["flow"], "credential": json.dumps(answer)})
    assert response.status_code == 400
    assert "aucun compte" in response.text


def test_counter_regression_is_journaled_not_blocking(app: Starlette, person: Person) -> None:
    person.signup()
    person.signout()
    person.signin(sign_count=5)
    person.signout()
    person.signin(sign_count=3)  # went back: a cloned key, or a restored phone
    regressions = events(app, "sign_count_regression")
    assert len(regressions) == 1
    detail = json.loads(regressions[0]["detail"])
    assert (detail["stored"], detail["received"]) == (5, 3)


def test_synced_passkeys_report_zero_without_regression(app: Starlette, make_person) -> None:
    p = make_person(synced=True)
    p.signup()
    for _ in range(2):
        p.signout()
        p.signin()
    assert events(app, "sign_count_regression") == []
    assert "ne tient qu’à un appareil" not in p.client.get("/account").text


def test_single_device_passkey_urges_a_second_one(person: Person) -> None:
    person.signup()
    page = person.client.get("/account").text
    assert "ne tient qu’à un appareil" in page
    assert person.add_passkey(SoftAuthenticator(origin=person.phone.origin)).status_code == 303
    assert "ne tient qu’à un appareil" not in person.client.get("/account").text


def test_second_passkey_signs_in_alone(person: Person) -> None:
    person.signup()
    second = SoftAuthenticator(origin=person.phone.origin)
    assert person.add_passkey(second, "Tablet").headers["location"] == "/account?done=passkey_added"
    page = person.client.get("/account").text
    assert page.count('class="card"') >= 3  # two passkeys and one device
    assert "Tablet" in page
    person.signout()
    person.phone = second
    person.signin()


def test_rename_and_remove_passkeys_never_the_last(app: Starlette, person: Person) -> None:
    person.signup()
    first_id = next(iter(person.phone.credentials))
    from .softauthn import b64url

    first = b64url(first_id)
    refused = person.client.post(f"/account/passkeys/{first}/remove", follow_redirects=False)
    assert refused.status_code == 400
    assert "seule clé" in refused.text
    renamed = person.client.post(
        f"/account/passkeys/{first}/rename", data={"label": "Old phone"}, follow_redirects=False
    )
    assert renamed.status_code == 303
    assert "Old phone" in person.client.get("/account").text
    person.add_passkey(SoftAuthenticator(origin=person.phone.origin))
    removed = person.client.post(f"/account/passkeys/{first}/remove", follow_redirects=False)
    assert removed.status_code == 303
    assert "Old phone" not in person.client.get("/account").text


def test_recovery_code_works_once_on_a_new_phone(make_person) -> None:
    owner = make_person()
    codes = owner.signup("Fatou")
    new_phone = make_person()
    done = new_phone.recover(codes[0].lower().replace("-", " "))  # typed loosely
    assert done.status_code == 303 and done.headers["location"] == "/account?done=recovered_signed_out"
    assert "Fatou" in new_phone.client.get("/dashboard").text
    again = make_person().recover(codes[0])
    assert again.status_code == 400
    assert "déjà servi" in again.text
    assert make_person().recover(codes[1]).status_code == 303


def test_a_cancelled_recovery_does_not_spend_the_code(make_person) -> None:
    owner = make_person()
    codes = owner.signup()
    someone = make_person()
    assert someone.client.post("/recover", data={"code": codes[0]}).status_code == 200
    # …the passkey prompt is cancelled: nothing is posted. The code still works.
    assert make_person().recover(codes[0]).status_code == 303


def test_new_codes_replace_the_old_set(make_person) -> None:
    owner = make_person()
    old = owner.signup()
    page = owner.client.post("/account/recovery-codes")
    from .people import codes_in

    new = codes_in(page.text)
    assert len(new) == 8 and not set(new) & set(old)
    assert page.headers["cache-control"] == "no-store"
    assert make_person().recover(old[2]).status_code == 400
    assert make_person().recover(new[0]).status_code == 303


def test_revoking_a_device_signs_it_out(make_person) -> None:
    owner = make_person()
    owner.signup()
    other = make_person()
    other.phone = owner.phone
    other.signin()
    sessions = owner.client.app.state.db.read_sync(
        lambda c: [r["id"] for r in c.execute("SELECT id FROM sessions ORDER BY created_at")]
    )
    assert len(sessions) == 2
    response = owner.client.post(f"/account/sessions/{sessions[1]}/revoke", follow_redirects=False)
    assert response.headers["location"] == "/account?done=session_revoked"
    assert other.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_cannot_touch_another_persons_passkey_or_session(make_person) -> None:
    alice, bob = make_person(), make_person()
    alice.signup("Alice")
    bob.signup("Bob")
    from .softauthn import b64url

    alice_key = b64url(next(iter(alice.phone.credentials)))
    for action in ("rename", "remove"):
        response = bob.client.post(f"/account/passkeys/{alice_key}/{action}", data={"label": "x"})
        assert response.status_code == 400
        assert "n’existe pas" in response.text
    alice_session = alice.client.app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT s.id FROM sessions s JOIN accounts a ON a.id = s.account_id"
            " WHERE a.display_name = 'Alice'"
        ).fetchone()[0]
    )
    assert bob.client.post(f"/account/sessions/{alice_session}/revoke").status_code == 400
    assert "Bonjour, Alice" in alice.client.get("/dashboard").text


def test_profile_optional_fields_and_validation(person: Person) -> None:
    person.signup()
    bad = person.client.post(
        "/account/profile",
        data={"display_name": "Amina", "language": "fr", "foreign_number": "12AB", "email": "", "phone": ""},
    )
    assert bad.status_code == 400
    assert "10 chiffres" in bad.text
    assert 'value="12AB"' in bad.text  # what was typed is kept
    ok = person.client.post(
        "/account/profile",
        data={
            "display_name": "Amina B.",
            "language": "en",
            "foreign_number": "12 34 56 78 90",
            "email": "amina@example.org",
            "phone": "06 12 34 56 78",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    page = person.client.get("/account")
    assert 'lang="en"' in page.text and 'value="1234567890"' in page.text


def test_a_form_posted_twice_applies_once(app: Starlette, person: Person) -> None:
    person.signup()
    data = {"display_name": "Twice", "command_id": "7b0f6d62-8d7c-4a8e-9a43-0a3f8a3c2f11"}
    person.client.post("/account/profile", data=data)
    person.client.post("/account/profile", data=data)
    count = app.state.db.read_sync(
        lambda c: c.execute("SELECT count(*) FROM commands WHERE op = 'account.update'").fetchone()[0]
    )
    assert count == 1
