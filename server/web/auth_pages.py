"""Sign-up, sign-in, sign-out, recovery with a code, and staff enrolment.

Each ceremony is two requests: a page that carries the browser's options
(`auth/passkey_step.html`), and a form post of the browser's answer. The
passkey prompt itself needs JavaScript (`pwa/passkeys.js`); everything around
it is plain HTML.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock, translation
from server.auth import flows, invitations, sessions, tokens
from server.domain import geography, organisations
from server.notify import subscriptions
from server.translation import gettext
from server.web.middleware import acting_cookie, clear_session_cookie, language_cookie, session_cookie

from .common import (
    client_ip,
    db,
    form,
    limit,
    redirect,
    safe_next,
    settings,
    templates,
    user_agent,
)
from .errors import render_error
from .messages import done, message

# Where a person sees and revokes their mandates (the account page's section).
MANDATES_URL = "/account#mandates"


def passkey_label(request: Request) -> str:
    device = sessions.device_label(user_agent(request))
    return device if device != "?" else gettext("Clé d’accès")


def _errors(error: flows.FlowError) -> dict[str, str]:
    return {error.field or "form": message(error.code)}


def _signed_in_response(request: Request, signed_in: flows.SignedIn, response: Response) -> Response:
    lifetime = (
        settings(request).staff_session_seconds
        if signed_in.account.is_staff
        else settings(request).applicant_session_seconds
    )
    response.headers.append("set-cookie", session_cookie(settings(request), signed_in.token, lifetime))
    response.headers.append("set-cookie", language_cookie(settings(request), signed_in.account.language))
    return response


def codes_page(
    request: Request,
    account: Any,
    codes: list[str] | None,
    first_time: bool,
    organisations: list[str] | None = None,
) -> Response:
    """`organisations`: after a hand-off, those whose mandate stays (said on the page)."""
    with translation.language(account.language):
        return templates(request).render(
            request,
            "auth/recovery_codes.html",
            # On sign-up the person is signed in from this response on: show the page so.
            {
                "codes": codes,
                "first_time": first_time,
                "account": account,
                "organisations": organisations or [],
                "mandates_url": MANDATES_URL,
            },
            headers={"cache-control": "no-store"},
        )


def passkey_step(
    request: Request,
    begun: flows.Begun,
    *,
    mode: str,
    action: str,
    title: str,
    intro: str,
    button: str,
    hidden: dict[str, str] | None = None,
    label_field: bool = False,
    status_code: int = 200,
    error: str = "",
) -> Response:
    return templates(request).render(
        request,
        "auth/passkey_step.html",
        {
            "ceremony": {"mode": mode, "flow": begun.flow, "publicKey": begun.options},
            "flow": begun.flow,
            "action": action,
            "title": title,
            "intro": intro,
            "button": button,
            "hidden": hidden or {},
            "label_field": label_field,
            "label": passkey_label(request),
            "error": error,
        },
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


async def write_step(request: Request, fn: Any, **kwargs: Any) -> Any:
    """Run an auth step through `flows.attempt` in one write transaction."""
    return await db(request).write(
        lambda conn: flows.attempt(fn, conn, settings(request), now=clock.now(), **kwargs)
    )


async def finish(request: Request, fn: Any, values: dict[str, str], label: str = "", **kwargs: Any) -> Any:
    """The second step of a ceremony: the browser's answer posted with its flow id."""
    if not values.get("credential"):
        return flows.FlowError("missing_credential")
    device = flows.Device(
        label=label or passkey_label(request), user_agent=user_agent(request), ip=client_ip(request)
    )
    return await write_step(
        request, fn, flow_id=values.get("flow", ""), credential=values["credential"], device=device, **kwargs
    )


# -- sign-up ---------------------------------------------------------------


def _signup_form(
    request: Request, values: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    return templates(request).render(
        request,
        "auth/signup.html",
        {"values": values, "errors": errors or {}},
        status_code=status_code,
    )


async def signup_page(request: Request) -> Response:
    return _signup_form(request, {"display_name": "", "language": request.state.lang})


async def signup_begin(request: Request) -> Response:
    limit(request, "signup")
    values = await form(request)
    profile = {
        "display_name": values.get("display_name", ""),
        "language": values.get("language", ""),
    }
    outcome = await write_step(request, flows.begin_signup, **profile)
    if isinstance(outcome, flows.FlowError):
        return _signup_form(request, profile, _errors(outcome), 400)
    with translation.language(profile["language"]):
        response = passkey_step(
            request,
            outcome,
            mode="create",
            action="/signup/finish",
            title=gettext("Créez votre clé d’accès"),
            intro=gettext(
                "Votre téléphone va vous demander de confirmer avec votre empreinte, votre visage"
                " ou le code de déverrouillage de l’écran. Aucun mot de passe à retenir : c’est"
                " votre téléphone qui vous reconnaît."
            ),
            button=gettext("Créer ma clé d’accès"),
            hidden=profile,
        )
    response.headers.append("set-cookie", language_cookie(settings(request), profile["language"]))
    return response


async def signup_finish(request: Request) -> Response:
    limit(request, "signup")
    values = await form(request)
    profile = {
        "display_name": values.get("display_name", ""),
        "language": values.get("language", request.state.lang),
    }
    outcome = await finish(request, flows.finish_signup, values)
    if isinstance(outcome, flows.FlowError):
        return _signup_form(request, profile, {"form": message(outcome.code)}, 400)
    page = codes_page(request, outcome.account, outcome.recovery_codes, first_time=True)
    return _signed_in_response(request, outcome, page)


# -- sign-in ---------------------------------------------------------------


async def _signin_page(request: Request, next_url: str, error: str = "", status_code: int = 200) -> Response:
    begun = await write_step(request, flows.begin_signin)
    return templates(request).render(
        request,
        "auth/signin.html",
        {
            "ceremony": {"mode": "get", "flow": begun.flow, "publicKey": begun.options},
            "flow": begun.flow,
            "next": next_url,
            "error": error,
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


async def signin_page(request: Request) -> Response:
    limit(request, "signin")
    return await _signin_page(request, safe_next(request.query_params.get("next")))


async def signin_finish(request: Request) -> Response:
    values = await form(request)
    target = await db(request).read(flows.signin_target, values.get("credential", ""))
    limit(request, "signin", account=target)
    next_url = safe_next(values.get("next"))
    outcome = await finish(request, flows.finish_signin, values)
    if isinstance(outcome, flows.FlowError):
        return await _signin_page(request, next_url, message(outcome.code), 400)
    if next_url == "/dashboard" and outcome.account.is_staff and outcome.account.prefecture:
        next_url = "/prefecture"  # an agent's day starts with the files received
    return _signed_in_response(request, outcome, redirect(next_url))


async def signout(request: Request) -> Response:
    session = request.state.session
    if session is not None:
        # The page names this browser's push subscription (and unsubscribes it):
        # a shared phone stops receiving this account's news (ADR 0024).
        endpoint = (await form(request)).get("push_endpoint", "")
        account_id = request.state.actor.account_id

        def end(conn: Any) -> None:
            if endpoint and account_id:
                subscriptions.signed_out(conn, account_id, endpoint, clock.iso(clock.now()))
            flows.sign_out(conn, session)

        await db(request).write(end)
    response = redirect("/signin?done=signed_out")
    response.headers.append("set-cookie", clear_session_cookie(settings(request)))
    if request.state.acting_choice:
        # A shared device: the next worker starts acting for no one.
        response.headers.append("set-cookie", acting_cookie(settings(request), ""))
    return response


# -- recovery ----------------------------------------------------------------


def _recover_form(
    request: Request,
    code: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    others: str = "end",
) -> Response:
    return templates(request).render(
        request,
        "auth/recover.html",
        {"code": code, "errors": errors or {}, "others": others},
        status_code=status_code,
    )


def _others(values: dict[str, str]) -> str:
    """ "Sign out everywhere else" unless the person chose to keep the others."""
    return "keep" if values.get("others") == "keep" else "end"


async def recover_page(request: Request) -> Response:
    return _recover_form(request)


async def _limit_recovery(request: Request, code: str, flow_id: str = "") -> None:
    target = await db(request).read(flows.recovery_target, settings(request), code, flow_id)
    limit(request, "recover", account=target)


async def recover_begin(request: Request) -> Response:
    values = await form(request)
    code = values.get("code", "").strip()
    await _limit_recovery(request, code)
    outcome = await write_step(request, flows.begin_recovery, code=code, ip=client_ip(request))
    if isinstance(outcome, flows.FlowError):
        return _recover_form(request, code, _errors(outcome), 400, _others(values))
    return passkey_step(
        request,
        outcome,
        mode="create",
        action="/recover/finish",
        title=gettext("Créez une clé d’accès sur cet appareil"),
        intro=gettext(
            "Le code est bon. Créez maintenant une clé d’accès sur cet appareil. Le code de"
            " secours ne sera utilisé qu’au moment où la clé sera créée."
        ),
        button=gettext("Créer une clé d’accès ici"),
        hidden={"code": code, "others": _others(values)},
    )


async def recover_finish(request: Request) -> Response:
    values = await form(request)
    code = values.get("code", "")
    await _limit_recovery(request, code, values.get("flow", "") or "-")
    others = _others(values)
    outcome = await finish(request, flows.finish_recovery, values, sign_out_others=others == "end")
    if isinstance(outcome, flows.FlowError):
        return _recover_form(request, code, {"code": message(outcome.code)}, 400, others)
    done_code = "recovered_signed_out" if others == "end" else "recovered"
    return _signed_in_response(request, outcome, redirect(f"/account?done={done_code}"))


# -- staff enrolment ---------------------------------------------------------


async def _invitation(request: Request) -> invitations.Invitation | None:
    token = request.path_params["token"]
    return await db(request).read(invitations.find, token, clock.now())


def _enrol_form(
    request: Request,
    invitation: invitations.Invitation,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    # A worker's invitation names their organisation (one small read).
    organisation = (
        db(request).read_sync(organisations.get, invitation.organisation) if invitation.organisation else None
    )
    return templates(request).render(
        request,
        "auth/enrol.html",
        {
            "invitation": invitation,
            "departement": geography.get(invitation.prefecture),
            "organisation": organisation,
            "values": values,
            "errors": errors or {},
            "token": request.path_params["token"],
        },
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


async def enrol_page(request: Request) -> Response:
    invitation = await _invitation(request)
    if invitation is None:
        return render_error(request, 410, message("invitation_invalid"))
    values = {"display_name": invitation.name or "", "language": request.state.lang}
    return _enrol_form(request, invitation, values)


def _limit_enrolment(request: Request) -> None:
    limit(request, "enrol", invitation=tokens.digest(request.path_params["token"]))


async def enrol_begin(request: Request) -> Response:
    _limit_enrolment(request)
    invitation = await _invitation(request)
    if invitation is None:
        return render_error(request, 410, message("invitation_invalid"))
    values = await form(request)
    profile = {
        "display_name": values.get("display_name", ""),
        "language": values.get("language", ""),
    }
    outcome = await write_step(request, flows.begin_enrolment, token=request.path_params["token"], **profile)
    if isinstance(outcome, flows.FlowError):
        return _enrol_form(request, invitation, profile, _errors(outcome), 400)
    with translation.language(profile["language"]):
        return passkey_step(
            request,
            outcome,
            mode="create",
            action=f"/enrol/{request.path_params['token']}/finish",
            title=gettext("Créez votre clé d’accès"),
            intro=gettext(
                "Cette clé d’accès vous identifiera comme agent de la préfecture. Créez-la sur"
                " l’appareil que vous utilisez pour travailler."
            ),
            button=gettext("Créer ma clé d’accès"),
            hidden=profile,
        )


async def enrol_finish(request: Request) -> Response:
    _limit_enrolment(request)
    invitation = await _invitation(request)
    if invitation is None:
        return render_error(request, 410, message("invitation_invalid"))
    values = await form(request)
    profile = {
        "display_name": values.get("display_name", ""),
        "language": values.get("language", request.state.lang),
    }
    outcome = await finish(request, flows.finish_enrolment, values)
    if isinstance(outcome, flows.FlowError):
        return _enrol_form(request, invitation, profile, {"form": message(outcome.code)}, 400)
    page = codes_page(request, outcome.account, outcome.recovery_codes, first_time=True)
    return _signed_in_response(request, outcome, page)
