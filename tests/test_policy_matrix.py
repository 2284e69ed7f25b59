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
    ("/readyz", "GET"): "public",
    ("/metrics", "GET"): "public",  # and a bearer token or an allowed network (tests/test_health.py)
    ("/privacy", "GET"): "public",
    ("/legal", "GET"): "public",
    ("/manifest.webmanifest", "GET"): "public",
    ("/language", "POST"): "public",
    ("/sw.js", "GET"): "public",
    ("/offline", "GET"): "public",
    ("/verify", "GET"): "public",
    ("/verify/code", "POST"): "public",
    ("/verify/status/{code}", "GET"): "public",
    ("/verify/keys.json", "GET"): "public",
    ("/.well-known/jwks.json", "GET"): "public",
    ("/files/shell/{procedure}/{step}", "GET"): "applicant",
    ("/outbox", "GET"): "applicant",
    ("/shelter", "GET"): "worker",
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
    ("/account/notifications", "POST"): "signed_in",
    ("/account/contact/{channel}", "GET"): "signed_in",
    ("/account/contact/{channel}", "POST"): "signed_in",
    ("/account/contact/{channel}/code", "POST"): "signed_in",
    ("/account/passkeys/new", "GET"): "signed_in",
    ("/account/passkeys/new", "POST"): "signed_in",
    ("/account/passkeys/{passkey_id}/rename", "POST"): "signed_in",
    ("/account/passkeys/{passkey_id}/remove", "POST"): "signed_in",
    ("/account/sessions/{session_id}/revoke", "POST"): "signed_in",
    ("/account/recovery-codes", "GET"): "signed_in",
    ("/account/recovery-codes", "POST"): "signed_in",
    ("/account/push", "POST"): "applicant",
    ("/account/push/{subscription_id}/remove", "POST"): "applicant",
    ("/files/new", "GET"): "applicant",
    ("/files/new/q/{question}", "GET"): "applicant",
    ("/files/new/next", "GET"): "applicant",
    ("/files/new/help", "GET"): "applicant",
    ("/files/new/for/{outcome}", "GET"): "applicant",
    ("/files", "POST"): "applicant",
    ("/files/{file_id}", "GET"): "applicant",
    ("/files/{file_id}/grounds", "GET"): "applicant",
    ("/files/{file_id}/grounds", "POST"): "applicant",
    ("/files/{file_id}/fields", "POST"): "applicant",
    ("/files/{file_id}/checklist", "GET"): "applicant",
    ("/files/{file_id}/pieces/{piece_id}", "POST"): "applicant",
    ("/files/{file_id}/attachments/{attachment_id}", "GET"): "applicant",
    ("/files/{file_id}/attachments/{attachment_id}/thumb", "GET"): "applicant",
    ("/files/{file_id}/attachments/{attachment_id}/replace", "POST"): "applicant",
    ("/files/{file_id}/attachments/{attachment_id}/remove", "POST"): "applicant",
    ("/files/{file_id}/review", "GET"): "applicant",
    ("/files/{file_id}/submit", "POST"): "applicant",
    ("/files/{file_id}/confirmation", "GET"): "applicant",
    ("/files/{file_id}/receipt", "GET"): "applicant",
    ("/files/{file_id}/withdraw", "GET"): "applicant",
    ("/files/{file_id}/withdraw", "POST"): "applicant",
    ("/files/{file_id}/messages", "GET"): "applicant",
    ("/files/{file_id}/messages", "POST"): "applicant",
    ("/files/{file_id}/messages/read", "POST"): "applicant",
    ("/files/{file_id}/messages/{message_id}/attachments/{index:int}", "GET"): "applicant",
    ("/files/{file_id}/decisions/{decision_id}.pdf", "GET"): "applicant",
    ("/files/{file_id}/decisions/{decision_id}", "GET"): "applicant",
    # attestations (owner only; staff of the file's prefecture from the back office, audited)
    ("/attestation", "GET"): "applicant",
    ("/files/{file_id}/attestation", "GET"): "applicant",
    ("/files/{file_id}/attestations/{attestation_id}.pdf", "GET"): "applicant",
    ("/files/{file_id}/attestations/{attestation_id}", "GET"): "applicant",
    ("/prefecture/files/{file_id}/attestations/{attestation_id}", "GET"): "prefecture.review",
    ("/prefecture/files/{file_id}/complete", "POST"): "prefecture.decide",
    ("/files/{file_id}/{step}", "GET"): "applicant",
    ("/files/{file_id}/{step}", "POST"): "applicant",
    ("/timeline", "GET"): "applicant",
    ("/account/export", "GET"): "applicant",
    ("/sync/push", "POST"): "signed_in",
    ("/sync/pull", "GET"): "signed_in",
    ("/sync/people", "GET"): "worker",
    ("/worker/reach", "GET"): "worker",
    # a worker's help with a person's access (each person checked against a mandate: 404 without)
    ("/worker/people/{person_id}/access", "GET"): "worker",
    ("/worker/people/{person_id}/handoff", "POST"): "worker",
    ("/worker/people/{person_id}/recovery", "POST"): "worker",
    ("/worker/people/{person_id}/passkeys/{passkey_id}/remove", "POST"): "worker",
    ("/recover/assisted", "GET"): "public",
    ("/recover/assisted", "POST"): "public",
    ("/recover/assisted/finish", "POST"): "public",
    ("/uploads", "OPTIONS"): "public",
    ("/uploads", "POST"): "signed_in",
    ("/uploads/{upload_id}", "HEAD"): "signed_in",
    ("/uploads/{upload_id}", "PATCH"): "signed_in",
    ("/admin/invitations", "GET"): "staff.invite",
    ("/admin/invitations", "POST"): "staff.invite",
    ("/account/mandates/new", "GET"): "applicant",
    ("/account/mandates", "POST"): "applicant",
    ("/account/mandates/{mandate_id}/revoke", "POST"): "applicant",
    ("/worker", "GET"): "worker",
    ("/worker/people/new", "GET"): "worker",
    ("/worker/people/new", "POST"): "worker",
    ("/worker/people/{person_id}/act", "POST"): "worker",
    ("/worker/people/{person_id}/release", "POST"): "worker",
    ("/worker/stop", "POST"): "worker",
    ("/worker/mandate-form", "GET"): "worker",
    ("/worker/export.csv", "GET"): "worker",
    ("/organisations/new", "GET"): "public",
    ("/organisations/new", "POST"): "public",
    ("/admin/organisations", "GET"): "organisations.approve",
    ("/admin/organisations/{organisation_id}/approve", "POST"): "organisations.approve",
    ("/admin/organisations/{organisation_id}/suspend", "POST"): "organisations.approve",
    ("/organisation", "GET"): "organisation.admin",
    ("/organisation/invitations", "POST"): "organisation.admin",
    ("/organisation/workers/{account_id}/remove", "POST"): "organisation.admin",
    ("/prefecture", "GET"): "prefecture.review",
    ("/prefecture/files/{file_id}", "GET"): "prefecture.review",
    ("/prefecture/files/{file_id}/attachments/{attachment_id}", "GET"): "prefecture.review",
    ("/prefecture/files/{file_id}/messages/{message_id}/attachments/{index:int}", "GET"): "prefecture.review",
    ("/prefecture/files/{file_id}/lock", "POST"): "prefecture.review",
    ("/prefecture/files/{file_id}/unlock", "POST"): "prefecture.review",
    ("/prefecture/files/{file_id}/pieces/{piece_id}/accept", "POST"): "prefecture.review",
    ("/prefecture/files/{file_id}/messages", "POST"): "prefecture.review",
    ("/prefecture/audit", "GET"): "prefecture.audit",
    ("/prefecture/files/{file_id}/complements/new", "GET"): "prefecture.decide",
    ("/prefecture/files/{file_id}/complements", "POST"): "prefecture.decide",
    ("/prefecture/files/{file_id}/complements/{item_id}/settle", "POST"): "prefecture.decide",
    ("/prefecture/files/{file_id}/decision", "GET"): "prefecture.decide",
    ("/prefecture/files/{file_id}/decision", "POST"): "prefecture.decide",
    ("/prefecture/files/{file_id}/decisions/{decision_id}.pdf", "GET"): "prefecture.decide",
    ("/prefecture/settings", "GET"): "prefecture.settings",
    ("/prefecture/settings", "POST"): "prefecture.settings",
    # appointments, information, figures
    ("/prefectures", "GET"): "public",
    ("/prefectures/{code}", "GET"): "public",
    ("/prefectures/{code}/figures", "GET"): "public",
    ("/figures", "GET"): "public",
    ("/files/{file_id}/appointment", "GET"): "applicant",
    ("/files/{file_id}/appointment", "POST"): "applicant",
    ("/files/{file_id}/appointment/cancel", "POST"): "applicant",
    ("/files/{file_id}/appointment.ics", "GET"): "applicant",
    ("/prefecture/files/{file_id}/card/ready", "POST"): "prefecture.cards",
    ("/prefecture/files/{file_id}/card/handed-over", "POST"): "prefecture.cards",
    ("/prefecture/appointments", "GET"): "prefecture.appointments",
    ("/prefecture/appointments/{desk_id}", "GET"): "prefecture.appointments",
    ("/prefecture/appointments/{desk_id}", "POST"): "prefecture.appointments",
    ("/prefecture/appointments/{desk_id}/new", "GET"): "prefecture.appointments",
    ("/prefecture/information", "GET"): "prefecture.information",
    ("/prefecture/information", "POST"): "prefecture.information",
    ("/prefecture/figures", "GET"): "prefecture.figures",
    # blocked, paper files, claims
    ("/blocked", "GET"): "public",
    ("/blocked", "POST"): "public",
    ("/blocked/send", "POST"): "public",
    ("/blocked/mine", "GET"): "applicant",
    ("/blocked/by-id/{report_id}", "GET"): "applicant",
    ("/blocked/{number}.pdf", "GET"): "public",
    ("/blocked/{number}", "GET"): "public",
    ("/voice", "POST"): "public",
    ("/claim", "GET"): "anonymous",
    ("/claim", "POST"): "anonymous",
    ("/claim/finish", "POST"): "anonymous",
    ("/prefecture/reports", "GET"): "prefecture.review",
    ("/prefecture/reports/settings", "POST"): "prefecture.settings",
    ("/prefecture/reports/{report_id}", "GET"): "prefecture.review",
    ("/prefecture/reports/{report_id}/answer", "POST"): "prefecture.review",
    ("/prefecture/paper", "GET"): "prefecture.paper",
    ("/prefecture/paper", "POST"): "prefecture.paper",
    ("/prefecture/paper/new", "GET"): "prefecture.paper",
    ("/prefecture/paper/{file_id}/claim-code", "POST"): "prefecture.paper",
    ("/prefecture/paper/{file_id}/claim.pdf", "POST"): "prefecture.paper",
    ("/prefecture/voice", "GET"): "prefecture.voice",
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
        organisation = None
        if role == "worker":
            from .orgs import approved_organisation

            organisation = approved_organisation(conn).id
        account = accounts.create(
            conn,
            display_name=role,
            language="fr",
            user_handle=role.encode().ljust(32, b"."),
            version=1,
            role=role,
            prefecture=None if role in ("applicant", "worker") else "75",
            organisation=organisation,
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
                channel="sms",
                file_id="00000000-0000-4000-8000-000000000000",
                piece_id="passport",
                attachment_id="a",
                message_id="m",
                step="identity",
                upload_id="00000000-0000-4000-8000-000000000000",
                procedure="renewal",
                decision_id="00000000-0000-4000-8000-000000000001",
                item_id="00000000-0000-4000-8000-000000000002",
                attestation_id="ABCDE12345",
                code="75",
                desk_id="00000000-0000-4000-8000-000000000003",
                report_id="00000000-0000-4000-8000-000000000003",
                number="B-2026-000001",
                question="permit",
                outcome="duplicate",
                organisation_id="00000000-0000-4000-8000-000000000004",
                account_id="00000000-0000-4000-8000-000000000005",
                person_id="00000000-0000-4000-8000-000000000006",
                mandate_id="00000000-0000-4000-8000-000000000007",
                subscription_id="00000000-0000-4000-8000-000000000004",
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


def test_an_agent_of_75_never_sees_a_file_of_93(app, settings, make_person) -> None:
    """Every back-office route, with a real file of 93, as an agent and an
    administrator of 75: not found, and nothing of the file is sent."""
    from .test_prefecture_review import staff, submitted_file

    person, file_id = submitted_file(make_person)  # Saint-Denis: 93
    attachment, piece = app.state.db.read_sync(
        lambda c: c.execute("SELECT id, piece FROM attachments WHERE file_id = ?", (file_id,)).fetchone()
    )
    person.client.post(f"/files/{file_id}/messages", data={"body": "Bonjour"})
    message_id = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM messages").fetchone()[0])
    # A real complement item and a real decision of that file, so their routes are tried for real.
    agent93 = policy.Actor(role="agent", account_id="agent-93", prefecture="93")
    item_id, decision_id = _complement_and_decision(app, agent93, file_id)
    # The file's real proof of submission: the attestation routes are tried for real too.
    attestation_id = app.state.db.read_sync(
        lambda c: c.execute("SELECT id FROM attestations WHERE file_id = ?", (file_id,)).fetchone()[0]
    )
    for role in ("agent", "admin"):
        paris = staff(app, settings, role=role, prefecture="75")
        for path, method in EXPECTED:
            if not path.startswith("/prefecture/files/"):
                continue
            url = path.replace("{index:int}", "0").format(
                file_id=file_id,
                attachment_id=attachment,
                piece_id=piece,
                message_id=message_id,
                decision_id=decision_id,
                item_id=item_id,
                attestation_id=attestation_id,
            )
            response = paris.request(method, url, data={"body": "x"})
            assert response.status_code == 404, f"{role} {method} {url}"
        assert file_id not in paris.get("/prefecture?status=all").text
        assert file_id not in paris.get("/prefecture?q=diallo&status=all").text
    seine_saint_denis = staff(app, settings, prefecture="93")
    assert seine_saint_denis.get(f"/prefecture/files/{file_id}").status_code == 200


def _complement_and_decision(app, agent: policy.Actor, file_id: str) -> tuple[str, str]:
    import uuid

    from server import commands
    from sync.protocol import Command

    def run(op: str, args: dict) -> object:
        command = Command(id=str(uuid.uuid4()), client="t", seq=0, op=op, args=args)
        result = app.state.db.write_sync(lambda c: commands.apply(c, command, agent))
        assert result.applied, result
        return result

    item = {"kind": "field", "target": "city", "reason": "Commune ?"}
    item_id = run("complement.request", {"file_id": file_id, "items": [item]}).data["item_ids"][0]
    run("file.lock", {"file_id": file_id})
    from server.domain import decision_reasons, files

    procedure = app.state.db.read_sync(lambda c: files.get(c, file_id)).procedure
    reason = decision_reasons.load().for_file(procedure, "granted")[0]
    decision_id = str(uuid.uuid4())
    args = {"file_id": file_id, "decision_id": decision_id, "outcome": "granted", "reason": reason.id}
    run("file.decide", args)
    return item_id, decision_id


def test_an_applicant_never_reaches_the_back_office(app, settings, make_person) -> None:
    from .test_prefecture_review import submitted_file

    person, file_id = submitted_file(make_person)
    for (path, method), _ in EXPECTED.items():
        if path == "/prefecture" or path.startswith("/prefecture/"):  # not the public /prefectures
            url = path.replace("{index:int}", "0").format(
                file_id=file_id,
                attachment_id="a",
                piece_id="p",
                message_id="m",
                decision_id="d",
                item_id="i",
                attestation_id="x",
                desk_id="00000000-0000-4000-8000-000000000003",
                report_id="r",
            )
            assert person.client.request(method, url, follow_redirects=False).status_code == 403, url


def test_nobody_reads_a_piece_without_an_audit_row(app, settings, make_person) -> None:
    """Each byte of a piece that reaches staff follows a committed audit row
    naming the reader and the file; the applicant's own download is theirs."""
    from .test_prefecture_review import staff, submitted_file

    person, file_id = submitted_file(make_person)
    attachments = app.state.db.read_sync(
        lambda c: [r[0] for r in c.execute("SELECT id FROM attachments WHERE file_id = ?", (file_id,))]
    )
    agent = staff(app, settings, prefecture="93")
    for attachment in attachments:
        before = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM audit").fetchone()[0])
        got = agent.get(f"/prefecture/files/{file_id}/attachments/{attachment}")
        assert got.status_code == 200
        row = app.state.db.read_sync(
            lambda c: dict(c.execute("SELECT * FROM audit ORDER BY id DESC").fetchone())
        )
        assert row["id"] == before + 1
        assert (row["actor_id"], row["file_id"], row["attachment_id"], row["outcome"]) == (
            agent.account_id,
            file_id,
            attachment,
            "applied",
        )
    # The applicant's route refuses staff: staff read only through the audited one.
    assert agent.get(f"/files/{file_id}/attachments/{attachments[0]}").status_code == 403


def test_a_worker_reaches_a_person_only_under_a_live_mandate(app, settings, make_person) -> None:
    """Every applicant route, with a real file of the person, as a worker who
    names that person: no mandate, another organisation's mandate, or a
    revoked one → refused and nothing of the file sent; a view-only mandate
    → pages, but every action refused and nothing changed."""
    from .orgs import (
        account_id_of,
        approved_organisation,
        grant,
        person_actor,
        run,
        signed_in_client,
        worker_account,
    )
    from .test_prefecture_review import submitted_file

    person, file_id = submitted_file(make_person)
    person_id = account_id_of(app, "Aminata")
    org = app.state.db.write_sync(approved_organisation)
    other = app.state.db.write_sync(lambda c: approved_organisation(c, "Autre", "93"))
    karim = signed_in_client(app, settings, app.state.db.write_sync(lambda c: worker_account(c, org.id)).id)
    karim.follow_redirects = False
    applicant_routes = [(p, m) for (p, m), permission in EXPECTED.items() if permission == "applicant"]

    def walk(expect_pages: bool) -> None:
        for path, method in applicant_routes:
            url = path.replace("{index:int}", "0").format(
                file_id=file_id,
                piece_id="passport",
                attachment_id="a",
                message_id="m",
                step="identity",
                procedure="renewal",
                decision_id="d",
                item_id="i",
                appointment_id="x",
                mandate_id="m",
                attestation_id="ABCDE12345",
                code="75",
                desk_id="d",
                report_id="r",
                number="B-2026-000001",
                upload_id="u",
                question="permit",
                outcome="duplicate",
                subscription_id="s",
            )
            response = karim.request(method, url, data={"family_name": "Changed", "body": "x"})
            label = f"{method} {path} → {response.status_code}"
            if not expect_pages:
                assert response.status_code == 403, label
                assert "Aminata" not in response.text, label  # nothing of the person
            else:
                assert response.status_code < 500, label

    with karim:
        karim.cookies.set("sesame_for", person_id)
        walk(expect_pages=False)  # no mandate at all
        grant(app, person_id, other.id)
        walk(expect_pages=False)  # a mandate, but to another organisation
        mandate_id = grant(app, person_id, org.id)
        run(app, person_actor(person_id), "mandate.revoke", mandate_id=mandate_id)
        walk(expect_pages=False)  # revoked
        grant(app, person_id, org.id, can_act=False)
        changes = (
            "SELECT (SELECT max(version) FROM files), (SELECT count(*) FROM messages),"
            " (SELECT count(*) FROM attachments), (SELECT count(*) FROM commands WHERE actor LIKE 'worker:%')"
        )
        before = tuple(app.state.db.read_sync(lambda c: c.execute(changes).fetchone()))
        assert karim.get(f"/files/{file_id}").status_code == 200
        walk(expect_pages=True)  # view only: pages, and every action refused
        assert tuple(app.state.db.read_sync(lambda c: c.execute(changes).fetchone())) == before
        assert before[3] == 0


ACCESS_ROUTES = (
    "/worker/people/{person_id}/access",
    "/worker/people/{person_id}/handoff",
    "/worker/people/{person_id}/recovery",
    "/worker/people/{person_id}/passkeys/",
)


def test_a_worker_without_a_mandate_reaches_nothing_of_a_persons_access(app, settings, make_person) -> None:
    """Every route of a worker's help with access, on a real person: a worker
    of an organisation without a mandate (or with a view-only one, for the
    acts) is refused, and nothing is issued or removed."""
    from . import orgs

    person = make_person()
    person.signup("Karim")
    pid = orgs.account_id_of(app, "Karim")
    passkey = app.state.db.read_sync(lambda c: c.execute("SELECT id FROM passkeys").fetchone()[0])
    ours = app.state.db.write_sync(lambda c: orgs.approved_organisation(c, "Ours"))
    theirs = app.state.db.write_sync(lambda c: orgs.approved_organisation(c, "Theirs"))
    orgs.grant(app, pid, ours.id, can_act=False)
    for org, expected in ((theirs.id, 404), (ours.id, None)):
        worker = app.state.db.write_sync(lambda c, org=org: orgs.worker_account(c, org, f"W {org[:4]}"))
        with orgs.signed_in_client(app, settings, worker.id) as client:
            for path, method in EXPECTED:
                if not path.startswith(ACCESS_ROUTES):
                    continue
                url = path.format(person_id=pid, passkey_id=passkey)
                data = {"identity_checked": "yes", "document": "passport", "present": "yes"}
                status = client.request(method, url, data=data).status_code
                if expected == 404 or method == "GET":
                    assert status == (expected or 200), f"{org} {method} {url} → {status}"
                else:  # view only: no act
                    assert status == 403, f"{method} {url} → {status}"
    count = app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM claim_codes").fetchone()[0])
    assert count == 0
    assert app.state.db.read_sync(lambda c: c.execute("SELECT count(*) FROM passkeys").fetchone()[0]) == 1
