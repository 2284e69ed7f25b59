"""The account page: profile, passkeys, recovery codes, signed-in devices."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import clock
from server.auth import credentials, flows, recovery, sessions
from server.domain import accounts, mandates
from server.translation import gettext
from server.web.middleware import clear_session_cookie

from . import push
from .auth_pages import codes_page, finish, passkey_step, write_step
from .common import actor, client_ip, db, form, redirect, run_command, settings, templates
from .messages import done, message
from .notifications import account_data as notify_data


def _load(conn: Any, account_id: str) -> dict[str, Any]:
    now = clock.now()
    passkeys = credentials.list_for(conn, account_id)
    return {
        "profile": accounts.get(conn, account_id),
        "passkeys": passkeys,
        "sessions": sessions.live_for(conn, account_id, now),
        "codes_left": recovery.remaining(conn, account_id),
        # A passkey that lives on one phone only is lost with that phone.
        "fragile": len(passkeys) < 2 and not any(p.synced for p in passkeys),
        # Being told: channels, discreet, quiet hours, failures (ADR 0023).
        **notify_data(conn, account_id),
        "mandates": mandates.listed_for_person(conn, account_id, now),
    }


async def _page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    notify_values: bool = False,
) -> Response:
    who = actor(request)
    data = await db(request).read(_load, who.account_id)
    data.update(await db(request).read(lambda conn: push.account_data(request, conn, who.account_id)))
    profile = data["profile"]
    defaults = {name: getattr(profile, name) or "" for name in accounts.PROFILE_FIELDS}
    prefs = data["notify"]
    notify_form = (
        {
            **(values or {}),
            **{
                k: k in (values or {})
                for k in ("by_push", "by_email", "by_sms", "by_organisation", "discreet")
            },
        }
        if notify_values
        else {
            "email": profile.email or "",
            "phone": profile.phone or "",
            "quiet_start": prefs.quiet_start or "",
            "quiet_end": prefs.quiet_end or "",
            "by_push": prefs.push,
            "by_email": prefs.email,
            "by_sms": prefs.sms,
            "by_organisation": prefs.organisation,
            "discreet": prefs.discreet,
        }
    )
    return templates(request).render(
        request,
        "account/account.html",
        {
            **data,
            "values": {**defaults, **({} if notify_values else values or {})},
            "notify_form": notify_form,
            "errors": errors or {},
            "current_session": who.session_id,
            # Which key opened this session: after a recovery, the one to keep.
            "current_passkey": getattr(request.state.session, "passkey_id", None),
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
    )


async def page(request: Request) -> Response:
    return await _page(request)


async def update_profile(request: Request) -> Response:
    values = await form(request)
    args = {name: values.get(name, "") for name in accounts.PROFILE_FIELDS if name in values}
    result = await run_command(request, "account.update", args, values.get("command_id"))
    if not result.applied:
        errors = {result.field or "form": message(result.code)}
        return await _page(request, values=args, errors=errors, status_code=400)
    return redirect("/account?done=profile_saved")


async def new_passkey_page(request: Request, error: str = "", status_code: int = 200) -> Response:
    who = actor(request)
    begun = await write_step(request, flows.begin_add_passkey, account_id=who.account_id)
    return passkey_step(
        request,
        begun,
        mode="create",
        action="/account/passkeys/new",
        title=gettext("Ajouter une clé d’accès"),
        intro=gettext(
            "Ajoutez une clé sur un deuxième appareil (un autre téléphone, une tablette, une clé de"
            " sécurité) : si vous perdez l’un, l’autre vous permettra encore de vous connecter."
        ),
        button=gettext("Créer la clé d’accès"),
        label_field=True,
        error=error,
        status_code=status_code,
    )


async def new_passkey_page_get(request: Request) -> Response:
    return await new_passkey_page(request)


async def add_passkey(request: Request) -> Response:
    who = actor(request)
    values = await form(request)
    label = (values.get("label") or "").strip()[: credentials.LABEL_MAX]
    outcome = await finish(request, flows.finish_add_passkey, values, label, account_id=who.account_id)
    if isinstance(outcome, flows.FlowError):
        return await new_passkey_page(request, message(outcome.code), 400)
    return redirect("/account?done=passkey_added")


async def _command_then_back(request: Request, op: str, args: dict[str, Any], done_code: str) -> Response:
    values = await form(request)
    result = await run_command(
        request, op, {**args, **{k: values[k] for k in ("label",) if k in values}}, values.get("command_id")
    )
    if not result.applied:
        return await _page(request, errors={"passkeys": message(result.code)}, status_code=400)
    if result.data.get("current"):
        # The passkey removed had opened this very session: it has ended too.
        response = redirect("/signin?done=signed_out")
        response.headers.append("set-cookie", clear_session_cookie(settings(request)))
        return response
    if result.data.get("sessions_ended"):
        done_code += "_signed_out"
    return redirect(f"/account?done={done_code}")


async def rename_passkey(request: Request) -> Response:
    return await _command_then_back(
        request, "passkey.rename", {"passkey_id": request.path_params["passkey_id"]}, "passkey_renamed"
    )


async def remove_passkey(request: Request) -> Response:
    return await _command_then_back(
        request, "passkey.remove", {"passkey_id": request.path_params["passkey_id"]}, "passkey_removed"
    )


async def revoke_session(request: Request) -> Response:
    values = await form(request)
    result = await run_command(
        request, "session.revoke", {"session_id": request.path_params["session_id"]}, values.get("command_id")
    )
    if not result.applied:
        return await _page(request, errors={"sessions": message(result.code)}, status_code=400)
    if result.data.get("current"):
        response = redirect("/signin?done=signed_out")
        response.headers.append("set-cookie", clear_session_cookie(settings(request)))
        return response
    return redirect("/account?done=session_revoked")


async def recovery_codes_page(request: Request) -> Response:
    who = actor(request)
    left = await db(request).read(recovery.remaining, who.account_id)
    return templates(request).render(
        request, "account/recovery_codes.html", {"codes_left": left, "count": recovery.COUNT}
    )


async def regenerate_codes(request: Request) -> Response:
    who = actor(request)
    codes = await db(request).write(
        lambda conn: flows.regenerate_codes(
            conn, settings(request), account_id=who.account_id, ip=client_ip(request), now=clock.now()
        )
    )
    return codes_page(request, request.state.account, codes, first_time=False)
