"""Every route × every role: who gets through, who is sent to sign in, who is refused.

The expected table is written out here on purpose: adding a route, or changing
a permission, must change this file too.
"""

from __future__ import annotations

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from server import clock
from server.auth import policy, sessions
from server.domain import accounts

EXPECTED = {
    ("/", "GET"): "public",
    ("/healthz", "GET"): "public",
    ("/manifest.webmanifest", "GET"): "public",
    ("/language", "POST"): "public",
    ("/sw.js", "GET"): "public",
    ("/offline", "GET"): "public",
    ("/files/shell/{procedure}/{step}", "GET"): "applicant",
    ("/outbox", "GET"): "applicant",
    ("/recover", "GET"): "public",
    ("/recover", "POST"): "public",
    ("/recover/finish", "POST"): "public",
    ("/enrol/{token}", "GET"): "anonymous",
    ("/enrol/{token}", "POST"): "anonymous",
    ("/enrol/{token}/finish", "POST"): "anonymous",
    ("/signup", "GET"): "anonymous",
    ("/signup", "POST"): "anonymous",
    ("/signup/finish", "POST"): "anonymous",
    ("/signin", "GET"): "anonymous",
    ("/signin", "POST"): "anonymous",
    ("/signout", "POST"): "signed_in",
    ("/dashboard", "GET"): "signed_in",
    ("/account", "GET"): "signed_in",
    ("/account/profile", "POST"): "signed_in",
    ("/account/passkeys/new", "GET"): "signed_in",
    ("/account/passkeys/new", "POST"): "signed_in",
    ("/account/passkeys/{passkey_id}/rename", "POST"): "signed_in",
    ("/account/passkeys/{passkey_id}/remove", "POST"): "signed_in",
    ("/account/sessions/{session_id}/revoke", "POST"): "signed_in",
    ("/account/recovery-codes", "GET"): "signed_in",
    ("/account/recovery-codes", "POST"): "signed_in",
    ("/files/new", "GET"): "applicant",
    ("/files/new/grounds", "GET"): "applicant",
    ("/files", "POST"): "applicant",
    ("/files/{file_id}", "GET"): "applicant",
    ("/files/{file_id}/grounds", "GET"): "applicant",
    ("/files/{file_id}/grounds", "POST"): "applicant",
    ("/files/{file_id}/fields", "POST"): "applicant",
    ("/files/{file_id}/checklist", "GET"): "applicant",
    ("/files/{file_id}/pieces/{piece_id}", "POST"): "applicant",
    ("/files/{file_id}/attachments/{attachment_id}", "GET"): "applicant",
    ("/files/{file_id}/attachments/{attachment_id}/replace", "POST"): "applicant",
    ("/files/{file_id}/attachments/{attachment_id}/remove", "POST"): "applicant",
    ("/files/{file_id}/review", "GET"): "applicant",
    ("/files/{file_id}/submit", "POST"): "applicant",
    ("/files/{file_id}/withdraw", "GET"): "applicant",
    ("/files/{file_id}/withdraw", "POST"): "applicant",
    ("/files/{file_id}/messages", "GET"): "applicant",
    ("/files/{file_id}/messages", "POST"): "applicant",
    ("/files/{file_id}/messages/{message_id}/attachments/{index:int}", "GET"): "applicant",
    ("/files/{file_id}/decisions/{decision_id}.pdf", "GET"): "applicant",
    ("/files/{file_id}/decisions/{decision_id}", "GET"): "applicant",
    ("/files/{file_id}/{step}", "GET"): "applicant",
    ("/files/{file_id}/{step}", "POST"): "applicant",
    ("/timeline", "GET"): "applicant",
    ("/account/export", "GET"): "applicant",
    ("/sync/push", "POST"): "signed_in",
    ("/sync/pull", "GET"): "signed_in",
    ("/uploads", "OPTIONS"): "public",
    ("/uploads", "POST"): "signed_in",
    ("/uploads/{upload_id}", "HEAD"): "signed_in",
    ("/uploads/{upload_id}", "PATCH"): "signed_in",
    ("/admin/invitations", "GET"): "staff.invite",
    ("/admin/invitations", "POST"): "staff.invite",
    ("/prefecture/files/{file_id}/complements/new", "GET"): "prefecture.decide",
    ("/prefecture/files/{file_id}/complements", "POST"): "prefecture.decide",
    ("/prefecture/files/{file_id}/complements/{item_id}/settle", "POST"): "prefecture.decide",
    ("/prefecture/files/{file_id}/decision", "GET"): "prefecture.decide",
    ("/prefecture/files/{file_id}/decision", "POST"): "prefecture.decide",
    ("/prefecture/files/{file_id}/decisions/{decision_id}.pdf", "GET"): "prefecture.decide",
    ("/prefecture/settings", "GET"): "prefecture.settings",
    ("/prefecture/settings", "POST"): "prefecture.settings",
}


def app_routes(app) -> dict[tuple[str, str], str]:
    found = {}
    for route in app.routes:
        if isinstance(route, Route):
            # Starlette adds HEAD to every GET route; keep HEAD only where it stands alone.
            methods = route.methods - {"HEAD"} if "GET" in route.methods else route.methods
            for method in methods:
                found[(route.path, method)] = route.endpoint.permission
    return found


API = {path for (path, _), _ in EXPECTED.items() if path.startswith(("/sync", "/uploads"))}


def test_every_route_is_in_the_table(app) -> None:
    assert app_routes(app) == EXPECTED


def sign_in_as(app, client: TestClient, role: str) -> None:
    if role == policy.ANONYMOUS:
        return

    def make(conn):
        account = accounts.create(
            conn,
            display_name=role,
            language="fr",
            user_handle=role.encode().ljust(32, b"."),
            version=1,
            role=role,
            prefecture=None if role == "applicant" else "75",
        )
        token, _ = sessions.create(
            conn, account.id, lifetime=3600, sliding=False, user_agent="", ip="", now=clock.now()
        )
        return token

    token = app.state.db.write_sync(make)
    client.cookies.set(sessions.COOKIE, token)


@pytest.mark.parametrize("role", policy.ROLES)
def test_matrix(app, settings, role: str) -> None:
    with TestClient(app, base_url=settings.origin, headers={"origin": settings.origin}) as client:
        sign_in_as(app, client, role)
        for (path, method), permission in sorted(EXPECTED.items()):
            if (path, method) == ("/signout", "POST"):
                continue  # would end the session for the rest of the loop; see below
            url = path.replace("{index:int}", "0").format(
                token="t0ken",
                passkey_id="pk",
                session_id="s",
                file_id="00000000-0000-4000-8000-000000000000",
                piece_id="passport",
                attachment_id="a",
                message_id="m",
                step="identity",
                upload_id="00000000-0000-4000-8000-000000000000",
                procedure="renewal",
                decision_id="00000000-0000-4000-8000-000000000001",
                item_id="00000000-0000-4000-8000-000000000002",
            )
            response = client.request(method, url, follow_redirects=False)
            allowed = role in policy.PERMISSIONS[permission]
            where = response.headers.get("location", "")
            label = f"{role} {method} {path} → {response.status_code} {where}"
            if allowed:
                assert response.status_code not in (401, 403), label
                assert not where.startswith("/signin?next="), label
            elif path in API:
                assert response.status_code == (401 if role == policy.ANONYMOUS else 403), label
            elif role == policy.ANONYMOUS:
                assert response.status_code == 303 and where.startswith("/signin?next="), label
            elif permission == "anonymous":
                assert response.status_code == 303 and where == "/dashboard", label
            else:
                assert response.status_code == 403, label
        signout = client.post("/signout", follow_redirects=False)
        expected = "/signin?done=signed_out" if role != policy.ANONYMOUS else "/signin?next=/dashboard"
        assert signout.headers["location"] == expected


def test_prefecture_admins_invite_only_for_their_prefecture() -> None:
    national = policy.Actor(role="admin", account_id="a", prefecture=None)
    paris = policy.Actor(role="admin", account_id="b", prefecture="75")
    agent = policy.Actor(role="agent", account_id="c", prefecture="75")
    assert policy.may_invite(national, "13")
    assert policy.may_invite(paris, "75") and not policy.may_invite(paris, "13")
    assert not policy.may_invite(agent, "75")
