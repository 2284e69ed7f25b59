"""Web Push on the account page (ADR 0024): turn notifications on for this
browser, list the browsers that receive them, remove one.

The browser makes the subscription (`pushManager.subscribe`, pwa/push.js) and
posts it here as a plain form; the server keeps it through the command
`push.subscribe`, and refuses, with a sentence, an endpoint it would not push to.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.auth import sessions
from server.notify import subscriptions, vapid

from .common import actor, form, redirect, run_command, settings, user_agent
from .messages import message


def account_data(request: Request, conn: Any, account_id: str) -> dict[str, Any]:
    """What the account page shows of Web Push (applicants only)."""
    if actor(request).role != "applicant":
        return {"push": None}
    live = subscriptions.live(conn, account_id)
    return {
        "push": {
            "live": live,
            "removed": [
                s for s in subscriptions.recently_removed(conn, account_id) if s.removed_reason == "gone"
            ],
            # For pwa/push.js: the key to subscribe with, and which browsers are on.
            "page": {
                "key": vapid.keys(settings(request)).public_b64,
                "endpoints": {s.endpoint: s.id for s in live},
            },
        }
    }


async def _refused(request: Request, text: str) -> Response:
    from .account import _page  # the account page renders the error in its push section

    return await _page(request, errors={"push": text}, status_code=400)


async def subscribe(request: Request) -> Response:
    values = await form(request)
    endpoint = (values.get("endpoint") or "").strip()
    if not subscriptions.endpoint_allowed(endpoint, local=settings(request).is_localhost):
        return await _refused(request, message("push_endpoint"))
    args = {
        "endpoint": endpoint,
        "p256dh": values.get("p256dh", ""),
        "auth": values.get("auth", ""),
        "label": sessions.device_label(user_agent(request)),
    }
    result = await run_command(request, "push.subscribe", args, values.get("command_id"))
    if not result.applied:
        return await _refused(request, message(result.code))
    return redirect("/account?done=push_on#push")


async def unsubscribe(request: Request) -> Response:
    values = await form(request)
    args = {"subscription_id": request.path_params["subscription_id"]}
    result = await run_command(request, "push.unsubscribe", args, values.get("command_id"))
    if not result.applied:
        return await _refused(request, message(result.code))
    return redirect("/account?done=push_off#push")
