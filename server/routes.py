"""The whole URL map, in one list. Every route names the permission it needs
(`server/auth/policy.py`); `tests/test_policy_matrix.py` checks them all."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Mount, Route

from server.web import (
    account,
    admin,
    appointments,
    assistance,
    assisted,
    attestations,
    auth_pages,
    blocked,
    claim,
    contact,
    decisions,
    files,
    health,
    history,
    mandate_pages,
    notifications,
    organisations,
    pages,
    pieces,
    prefectures,
    push,
    questions,
    receipt,
    shelter,
    sw,
    sync_api,
    thread,
    tus,
    verify,
    worker,
)
from server.web.guard import Endpoint, guarded
from server.web.prefecture import appointments as prefecture_appointments
from server.web.prefecture import audit as prefecture_audit
from server.web.prefecture import complements as prefecture_complements
from server.web.prefecture import decisions as prefecture_decisions
from server.web.prefecture import figures as prefecture_figures
from server.web.prefecture import inbox as prefecture_inbox
from server.web.prefecture import information as prefecture_information
from server.web.prefecture import paper as prefecture_paper
from server.web.prefecture import reports as prefecture_reports
from server.web.prefecture import review as prefecture_review
from server.web.prefecture import voice as prefecture_voice
from server.web.static import StaticAssets


def route(path: str, endpoint: Endpoint, permission: str, methods: Sequence[str] = ("GET",)) -> Route:
    return Route(path, guarded(endpoint, permission), methods=list(methods), name=endpoint.__name__)


def api(path: str, endpoint: Endpoint, permission: str, methods: Sequence[str]) -> Route:
    """A JSON route: refusals are JSON (401 / 403), never a redirect to a page."""
    return Route(path, guarded(endpoint, permission, api=True), methods=list(methods), name=endpoint.__name__)


GET, POST = ("GET",), ("POST",)

routes: list[BaseRoute] = [
    # public
    route("/", pages.home, "public"),
    route("/healthz", pages.healthz, "public"),
    # operators: readiness for a load balancer; metrics behind a token or networks (health.py)
    route("/readyz", health.readyz, "public"),
    route("/metrics", health.metrics_page, "public"),
    route("/privacy", pages.privacy, "public"),
    route("/legal", pages.legal, "public"),
    route("/manifest.webmanifest", pages.manifest, "public"),
    route("/language", pages.set_language, "public", POST),
    route("/sw.js", sw.worker, "public"),
    route("/offline", sw.offline, "public"),
    route("/recover", auth_pages.recover_page, "public"),
    route("/recover", auth_pages.recover_begin, "public", POST),
    route("/recover/finish", auth_pages.recover_finish, "public", POST),
    route("/enrol/{token}", auth_pages.enrol_page, "anonymous"),
    route("/enrol/{token}", auth_pages.enrol_begin, "anonymous", POST),
    route("/enrol/{token}/finish", auth_pages.enrol_finish, "anonymous", POST),
    # not signed in yet
    route("/signup", auth_pages.signup_page, "anonymous"),
    route("/signup", auth_pages.signup_begin, "anonymous", POST),
    route("/signup/finish", auth_pages.signup_finish, "anonymous", POST),
    route("/signin", auth_pages.signin_page, "anonymous"),
    route("/signin", auth_pages.signin_finish, "anonymous", POST),
    # signed in
    route("/signout", auth_pages.signout, "signed_in", POST),
    route("/dashboard", pages.dashboard, "signed_in"),
    route("/account", account.page, "signed_in"),
    route("/account/profile", account.update_profile, "signed_in", POST),
    route("/account/notifications", notifications.save, "signed_in", POST),
    route("/account/contact/{channel}", contact.page, "signed_in"),
    route("/account/contact/{channel}", contact.confirm, "signed_in", POST),
    route("/account/contact/{channel}/code", contact.send_code, "signed_in", POST),
    route("/account/passkeys/new", account.new_passkey_page_get, "signed_in"),
    route("/account/passkeys/new", account.add_passkey, "signed_in", POST),
    route("/account/passkeys/{passkey_id}/rename", account.rename_passkey, "signed_in", POST),
    route("/account/passkeys/{passkey_id}/remove", account.remove_passkey, "signed_in", POST),
    route("/account/sessions/{session_id}/revoke", account.revoke_session, "signed_in", POST),
    route("/account/recovery-codes", account.recovery_codes_page, "signed_in"),
    route("/account/recovery-codes", account.regenerate_codes, "signed_in", POST),
    # Web Push: this browser may be reached; remove one (ADR 0024)
    route("/account/push", push.subscribe, "applicant", POST),
    route("/account/push/{subscription_id}/remove", push.unsubscribe, "applicant", POST),
    # appointments, information, figures (before /files/{file_id}/{step}, which would match them)
    route("/prefectures", prefectures.index, "public"),
    route("/prefectures/{code}", prefectures.page, "public"),
    route("/prefectures/{code}/figures", prefectures.public_figures, "public"),
    route("/figures", prefectures.public_figures, "public"),
    route("/files/{file_id}/appointment", appointments.page, "applicant"),
    route("/files/{file_id}/appointment", appointments.book, "applicant", POST),
    route("/files/{file_id}/appointment/cancel", appointments.cancel, "applicant", POST),
    route("/files/{file_id}/appointment.ics", appointments.calendar, "applicant"),
    route(
        "/prefecture/files/{file_id}/card/ready", prefecture_appointments.card_ready, "prefecture.cards", POST
    ),
    route(
        "/prefecture/files/{file_id}/card/handed-over",
        prefecture_appointments.card_handed_over,
        "prefecture.cards",
        POST,
    ),
    route("/prefecture/appointments", prefecture_appointments.page, "prefecture.appointments"),
    route("/prefecture/appointments/{desk_id}", prefecture_appointments.desk_page, "prefecture.appointments"),
    route(
        "/prefecture/appointments/{desk_id}",
        prefecture_appointments.save_desk,
        "prefecture.appointments",
        POST,
    ),
    route(
        "/prefecture/appointments/{desk_id}/new",
        prefecture_appointments.new_desk_page,
        "prefecture.appointments",
    ),
    route("/prefecture/information", prefecture_information.page, "prefecture.information"),
    route("/prefecture/information", prefecture_information.save, "prefecture.information", POST),
    route("/prefecture/figures", prefecture_figures.page, "prefecture.figures"),
    # applicants' files
    route("/files/new", questions.start, "applicant"),
    route("/files/new/q/{question}", questions.question_page, "applicant"),
    route("/files/new/next", questions.answer, "applicant"),
    route("/files/new/help", questions.help_page, "applicant"),
    route("/files/new/for/{outcome}", questions.outcome_page, "applicant"),
    route("/files/shell/{procedure}/{step}", files.shell, "applicant"),
    route("/outbox", sw.outbox_page, "applicant"),
    route("/shelter", shelter.page, "worker"),
    route("/files", files.create_file, "applicant", POST),
    route("/files/{file_id}", files.show_file, "applicant"),
    route("/files/{file_id}/grounds", files.grounds_page, "applicant"),
    route("/files/{file_id}/grounds", files.change_grounds, "applicant", POST),
    route("/files/{file_id}/fields", files.autosave, "applicant", POST),
    route("/files/{file_id}/checklist", pieces.checklist, "applicant"),
    route("/files/{file_id}/pieces/{piece_id}", pieces.upload, "applicant", POST),
    route("/files/{file_id}/attachments/{attachment_id}", pieces.download, "applicant"),
    route("/files/{file_id}/attachments/{attachment_id}/thumb", pieces.thumbnail, "applicant"),
    route("/files/{file_id}/attachments/{attachment_id}/replace", pieces.replace, "applicant", POST),
    route("/files/{file_id}/attachments/{attachment_id}/remove", pieces.remove, "applicant", POST),
    route("/files/{file_id}/review", files.review, "applicant"),
    route("/files/{file_id}/submit", files.submit, "applicant", POST),
    route("/files/{file_id}/confirmation", receipt.confirmation, "applicant"),
    route("/files/{file_id}/receipt", receipt.receipt, "applicant"),
    route("/files/{file_id}/withdraw", files.withdraw_page, "applicant"),
    route("/files/{file_id}/withdraw", files.withdraw, "applicant", POST),
    route("/files/{file_id}/messages", thread.page, "applicant"),
    route("/files/{file_id}/messages", thread.send, "applicant", POST),
    route("/files/{file_id}/messages/read", thread.mark_read, "applicant", POST),
    route("/files/{file_id}/messages/{message_id}/attachments/{index:int}", thread.attachment, "applicant"),
    route("/files/{file_id}/decisions/{decision_id}.pdf", decisions.letter, "applicant"),
    route("/files/{file_id}/decisions/{decision_id}", decisions.page, "applicant"),
    # attestations: the person's card (kept on the phone) and PDF; before the
    # step pages, whose {step} would take "attestation"
    route("/attestation", attestations.mine, "applicant"),
    route("/files/{file_id}/attestation", attestations.file_current, "applicant"),
    route("/files/{file_id}/attestations/{attestation_id}.pdf", attestations.pdf, "applicant"),
    route("/files/{file_id}/attestations/{attestation_id}", attestations.card, "applicant"),
    route(
        "/prefecture/files/{file_id}/attestations/{attestation_id}",
        attestations.staff_card,
        "prefecture.review",
    ),
    route("/prefecture/files/{file_id}/complete", attestations.mark_complete, "prefecture.decide", POST),
    route("/files/{file_id}/{step}", files.step_page, "applicant"),
    route("/files/{file_id}/{step}", files.save_step, "applicant", POST),
    route("/timeline", history.person_timeline, "applicant"),
    route("/account/export", history.export, "applicant"),
    # sync: the outbox pushes commands, pulls changes, uploads files in chunks
    api("/sync/push", sync_api.push, "signed_in", POST),
    api("/sync/pull", sync_api.pull, "signed_in", GET),
    api("/sync/people", sync_api.people, "worker", GET),
    # outreach workers: the people they follow whom Sésame could not reach (ADR 0023)
    route("/worker/reach", notifications.worker_reach, "worker"),
    api("/uploads", tus.options, "public", ("OPTIONS",)),
    api("/uploads", tus.create, "signed_in", POST),
    api("/uploads/{upload_id}", tus.head, "signed_in", ("HEAD",)),
    api("/uploads/{upload_id}", tus.patch, "signed_in", ("PATCH",)),
    # prefecture administrators
    route("/admin/invitations", admin.page, "staff.invite"),
    route("/admin/invitations", admin.invite, "staff.invite", POST),
    # the person's mandates: given, seen, withdrawn by the person only
    route("/account/mandates/new", mandate_pages.grant_page, "applicant"),
    route("/account/mandates", mandate_pages.grant, "applicant", POST),
    route("/account/mandates/{mandate_id}/revoke", mandate_pages.revoke, "applicant", POST),
    # outreach workers: the people they follow, acting for one, paper mandates, figures
    route("/worker", worker.home, "worker"),
    route("/worker/people/new", worker.person_page, "worker"),
    route("/worker/people/new", worker.person_create, "worker", POST),
    route("/worker/people/{person_id}/act", worker.act, "worker", POST),
    route("/worker/people/{person_id}/release", worker.release, "worker", POST),
    route("/worker/stop", worker.stop, "worker", POST),
    route("/worker/mandate-form", worker.mandate_form, "worker"),
    route("/worker/export.csv", worker.export, "worker"),
    # organisations: asked for by anyone, approved by an administrator, run by their own
    route("/organisations/new", organisations.request_page, "public"),
    route("/organisations/new", organisations.request_send, "public", POST),
    route("/admin/organisations", organisations.approvals, "organisations.approve"),
    route(
        "/admin/organisations/{organisation_id}/approve", organisations.approve, "organisations.approve", POST
    ),
    route(
        "/admin/organisations/{organisation_id}/suspend", organisations.suspend, "organisations.approve", POST
    ),
    route("/organisation", organisations.manage, "organisation.admin"),
    route("/organisation/invitations", organisations.invite_worker, "organisation.admin", POST),
    route(
        "/organisation/workers/{account_id}/remove", organisations.remove_worker, "organisation.admin", POST
    ),
    # prefecture: the back office (each file checked against the reader's prefecture)
    route("/prefecture", prefecture_inbox.page, "prefecture.review"),
    route("/prefecture/files/{file_id}", prefecture_review.page, "prefecture.review"),
    route(
        "/prefecture/files/{file_id}/attachments/{attachment_id}",
        prefecture_review.attachment,
        "prefecture.review",
    ),
    route(
        "/prefecture/files/{file_id}/messages/{message_id}/attachments/{index:int}",
        prefecture_review.message_attachment,
        "prefecture.review",
    ),
    route("/prefecture/files/{file_id}/lock", prefecture_review.lock, "prefecture.review", POST),
    route("/prefecture/files/{file_id}/unlock", prefecture_review.unlock, "prefecture.review", POST),
    route(
        "/prefecture/files/{file_id}/pieces/{piece_id}/accept",
        prefecture_review.accept,
        "prefecture.review",
        POST,
    ),
    route("/prefecture/files/{file_id}/messages", prefecture_review.send_message, "prefecture.review", POST),
    route("/prefecture/audit", prefecture_audit.page, "prefecture.audit"),
    # prefecture: complements and decisions
    route("/prefecture/files/{file_id}/complements/new", prefecture_complements.new, "prefecture.decide"),
    route(
        "/prefecture/files/{file_id}/complements", prefecture_complements.create, "prefecture.decide", POST
    ),
    route(
        "/prefecture/files/{file_id}/complements/{item_id}/settle",
        prefecture_complements.settle,
        "prefecture.decide",
        POST,
    ),
    route("/prefecture/files/{file_id}/decision", prefecture_decisions.page, "prefecture.decide"),
    route("/prefecture/files/{file_id}/decision", prefecture_decisions.decide, "prefecture.decide", POST),
    route(
        "/prefecture/files/{file_id}/decisions/{decision_id}.pdf",
        prefecture_decisions.letter,
        "prefecture.decide",
    ),
    route("/prefecture/settings", prefecture_complements.settings_page, "prefecture.settings"),
    route("/prefecture/settings", prefecture_complements.save_settings, "prefecture.settings", POST),
    # verify: anyone checks an attestation (no account; ADR 0014)
    route("/verify", verify.page, "public"),
    route("/verify/code", verify.by_code, "public", POST),
    api("/verify/status/{code}", verify.status, "public", GET),
    api("/verify/keys.json", verify.keys_json, "public", GET),
    api("/.well-known/jwks.json", verify.keys_json, "public", GET),
    # blocked, paper files, claims
    route("/blocked", blocked.page, "public"),
    route("/blocked", blocked.send, "public", POST),
    route("/blocked/send", blocked.send_json, "public", POST),
    route("/blocked/mine", blocked.mine, "applicant"),
    route("/blocked/by-id/{report_id}", blocked.by_id, "applicant"),
    route("/blocked/{number}.pdf", blocked.letter, "public"),
    route("/blocked/{number}", blocked.acknowledgement, "public"),
    route("/voice", blocked.give_voice, "public", POST),
    route("/claim", claim.page, "anonymous"),
    route("/claim", claim.begin, "anonymous", POST),
    route("/claim/finish", claim.finish_claim, "anonymous", POST),
    route("/prefecture/reports", prefecture_reports.page, "prefecture.review"),
    route("/prefecture/reports/settings", prefecture_reports.save_days, "prefecture.settings", POST),
    route("/prefecture/reports/{report_id}", prefecture_reports.detail, "prefecture.review"),
    route("/prefecture/reports/{report_id}/answer", prefecture_reports.answer, "prefecture.review", POST),
    # a worker's help with a person's access: hand-off, assisted recovery (ADR 0022)
    route("/worker/people/{person_id}/access", assistance.page, "worker"),
    route("/worker/people/{person_id}/handoff", assistance.handoff, "worker", POST),
    route("/worker/people/{person_id}/recovery", assistance.recovery_code, "worker", POST),
    route(
        "/worker/people/{person_id}/passkeys/{passkey_id}/remove", assistance.remove_passkey, "worker", POST
    ),
    route("/recover/assisted", assisted.page, "public"),
    route("/recover/assisted", assisted.begin, "public", POST),
    route("/recover/assisted/finish", assisted.finish_enrolment, "public", POST),
    route("/prefecture/paper", prefecture_paper.index, "prefecture.paper"),
    route("/prefecture/paper", prefecture_paper.create, "prefecture.paper", POST),
    route("/prefecture/paper/new", prefecture_paper.new, "prefecture.paper"),
    route("/prefecture/paper/{file_id}/claim-code", prefecture_paper.new_code, "prefecture.paper", POST),
    route("/prefecture/paper/{file_id}/claim.pdf", prefecture_paper.claim_pdf, "prefecture.paper", POST),
    route("/prefecture/voice", prefecture_voice.page, "prefecture.voice"),
    # static files (public, hashed URLs)
    Mount("/static", app=StaticAssets(), name="static"),
]
