"""A worker's page for a person's access: hand the account over (a printed
claim code), help recover it (a printed enrolment code, after an identity
check in person), remove a lost passkey with the person there.

Every act is a command (`server/auth/assistance.py`) applied as the worker,
naming the person; its handler asks `mandates.active_for` for the mandate. The code
itself is made here and shown once, on the printable page answering the post;
the command carries only its keyed hash.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import segno
from starlette.requests import Request
from starlette.responses import Response

from server import clock, translation
from server import commands as command_registry
from server.auth import assisted, claims, credentials
from server.auth.policy import Actor
from server.domain import accounts, audit, mandates, organisations
from server.templating import date as format_date
from server.templating import datetime_ as format_datetime
from server.translation import gettext
from sync import log as sync_log
from sync.protocol import Command, Result

from .common import actor, db, form, limit, not_found, redirect, settings, templates
from .messages import done, message
from .texts import DOCUMENT_LABELS


@dataclasses.dataclass(frozen=True)
class Person:
    account: accounts.Account
    held: bool
    act: mandates.Mandate | None  # the mandate to act for all files, if any
    seen: mandates.Mandate  # some live mandate (view or act): the worker may see the person


async def _person(request: Request) -> Person:
    """The person, if the worker's organisation follows them; else "not found"
    (ids reveal nothing)."""
    who = actor(request)
    person_id = request.path_params["person_id"]

    def load(conn: Any) -> Person | None:
        now = clock.now()
        account = accounts.get(conn, person_id)
        if account is None or not who.organisation:
            return None
        act = mandates.active_for(conn, who.organisation, person_id, None, now, act=True)
        seen = act or mandates.best_for(conn, who.organisation, person_id, now)
        if seen is None:
            return None
        return Person(account, claims.is_held(conn, person_id), act, seen)

    found = await db(request).read(load)
    if found is None:
        raise not_found()
    return found


async def page(request: Request, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    person = await _person(request)
    passkeys = [] if person.held else await db(request).read(credentials.list_for, person.account.id)
    values = dict(await form(request)) if request.method == "POST" else {}
    return templates(request).render(
        request,
        "assistance/access.html",
        {
            "person": person.account,
            "held": person.held,
            "can_act": person.act is not None,
            "passkeys": passkeys,
            "documents": [(kind, gettext(DOCUMENT_LABELS[kind])) for kind in DOCUMENT_LABELS],
            "values": values,
            "errors": errors or {},
            "done": done(request.query_params.get("done")),
        },
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


async def _apply(
    request: Request, person: Person, op: str, args: dict[str, Any], cid: str | None = None
) -> Result:
    who: Actor = actor(request)
    # Not "acting for" the person (that is for the person's own acts,
    # `mandates.WORKER_OPS`): an act on their access, which the handler checks
    # against the mandate itself (`server/auth/assistance.py`).
    acting = dataclasses.replace(who, acting_for=None, mandate_id=None)
    command = Command(
        id=cid or str(uuid.uuid4()),
        client=f"web:{(who.session_id or '')[:12]}",
        seq=0,
        op=op,
        args={"person_id": person.account.id, **args},
        at=clock.iso(clock.now()),
    )

    def run(conn: Any) -> Result:
        fresh = sync_log.find(conn, acting.key, command.id) is None  # a replay is no new act
        result = command_registry.apply(conn, command, acting)
        # A worker's hand on someone's access is audited like a staff act,
        # applied or refused (unless every worker command already is).
        if fresh and acting.role not in audit.AUDITED:
            audit.record_command(conn, command, acting, result)
        return result

    return await db(request).write(run)


def _refused(result: Result) -> dict[str, str]:
    return {result.field or "form": message(result.code)}


async def handoff(request: Request) -> Response:
    """Print a claim code (again): the earlier one stops working."""
    person = await _person(request)
    limit(request, "assist", worker=actor(request).account_id)
    code, code_hash, _ = assisted.new_code(str(settings(request).secret_key), clock.now())
    result = await _apply(request, person, "assist.handoff_code", {"code_hash": code_hash})
    if not result.applied:
        return await page(request, _refused(result), 403 if result.code == "mandate" else 400)
    return await _printout(request, person.account, "handoff", code, result.data["expires_at"])


async def recovery_code(request: Request) -> Response:
    person = await _person(request)
    values = await form(request)
    limit(request, "assist", worker=actor(request).account_id)
    code, code_hash, _ = assisted.new_code(str(settings(request).secret_key), clock.now())
    args = {
        "code_hash": code_hash,
        "identity_checked": values.get("identity_checked") == "yes",
        "document": values.get("document", ""),
        "document_other": values.get("document_other", "")[:400],
    }
    result = await _apply(request, person, "assist.recovery_code", args)
    if not result.applied:
        return await page(request, _refused(result), 403 if result.code == "mandate" else 400)
    return await _printout(request, person.account, "recovery", code, result.data["expires_at"])


async def remove_passkey(request: Request) -> Response:
    person = await _person(request)
    values = await form(request)
    args = {"passkey_id": request.path_params["passkey_id"], "person_present": values.get("present") == "yes"}
    result = await _apply(request, person, "assist.passkey_remove", args, values.get("command_id") or None)
    if not result.applied:
        return await page(
            request, {"passkeys": message(result.code)}, 403 if result.code == "mandate" else 400
        )
    return redirect(f"/worker/people/{person.account.id}/access?done=assisted_passkey_removed")


def code_url(request: Request, kind: str, code: str) -> str:
    path = "/claim" if kind == "handoff" else "/recover/assisted"
    return f"{settings(request).origin}{path}?code={code}"


def _sheet(
    kind: str, person: accounts.Account, organisation: str, code: str, url: str, until: str
) -> dict[str, Any]:
    """The words of the printed sheet, in the current language."""
    if kind == "handoff":
        title = gettext("Sésame — prendre votre compte en main")
        lines = [
            gettext(
                "%(organisation)s vous accompagne dans vos démarches. Vous pouvez maintenant les suivre sur"
                " votre propre téléphone : ouvrez l’adresse ci-dessous ou scannez le QR code, tapez le code,"
                " puis créez votre clé d’accès. Vous retrouverez tout votre historique : dossiers, pièces,"
                " messages."
            )
            % {"organisation": organisation},
            gettext("Ce code ne sert qu’une fois. Il est valable jusqu’au %(date)s. Ne le donnez à personne.")
            % {"date": format_date(until)},
            gettext(
                "%(organisation)s garde son mandat pour vous accompagner tant que vous ne le retirez pas."
                " Vous pourrez le retirer à tout moment depuis votre téléphone."
            )
            % {"organisation": organisation},
        ]
    else:
        title = gettext("Sésame — une nouvelle clé d’accès")
        lines = [
            gettext(
                "Avec ce code, créez une clé d’accès sur votre nouveau téléphone : ouvrez l’adresse"
                " ci-dessous ou scannez le QR code, tapez le code, puis suivez les instructions."
            ),
            gettext(
                "Ce code ne sert qu’une fois. Il est valable jusqu’au %(date)s (24 heures). Ne le donnez à"
                " personne."
            )
            % {"date": format_datetime(until)},
            gettext(
                "Ensuite, sur la page « Mon compte », retirez la clé de votre ancien téléphone s’il est perdu"
                " ou volé."
            ),
        ]
    return {
        "lang": translation.current.get(),
        "title": title,
        "for": gettext("Pour : %(name)s") % {"name": person.display_name},
        "lines": lines,
        "address": gettext("Adresse :"),
        "code": gettext("Votre code :"),
        "qr": gettext("QR code : l’adresse et le code"),
    }


async def _printout(request: Request, person: accounts.Account, kind: str, code: str, until: str) -> Response:
    who = actor(request)
    found = await db(request).read(organisations.get, who.organisation or "")
    organisation = found.name if found else "?"
    url = code_url(request, kind, code)
    # The person's language first, then French for whoever helps them read it.
    sheets = []
    for lang in dict.fromkeys((person.language, "fr")):
        with translation.language(lang):
            sheets.append(_sheet(kind, person, organisation, code, url, until))
    return templates(request).render(
        request,
        "assistance/printout.html",
        {
            "person": person,
            "kind": kind,
            "code": code,
            "until": until,
            "sheets": sheets,
            "address": url.split("?")[0],
            "qr": segno.make(url, error="m").svg_data_uri(scale=5, border=2),
        },
        headers={"cache-control": "no-store, private"},
    )
