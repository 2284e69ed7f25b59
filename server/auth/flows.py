"""The account ceremonies, each in two steps (begin → browser → finish).

Every function runs inside one write transaction on the writer connection.
`begin_*` stores a single-use challenge and returns (flow id, options for the
browser). `finish_*` takes the challenge (deleting it), verifies, and writes.

Failures raise `FlowError` with a stable code. Call steps through `attempt`,
which undoes the step's writes, spends its challenge anyway (a failed response
can never be replayed), journals the failure, and returns the error.

These are not sync commands: they are online-only (the server's challenge is
part of them) and some carry secrets (recovery codes) that must not sit in the
command log. See docs/adr/0002-commands-and-idempotency.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from server import clock
from server.domain import accounts
from server.settings import Settings
from sync import log as sync_log
from sync.engine import Refused

from . import challenges, credentials, events, invitations, passkeys, recovery, sessions

T = TypeVar("T")


class FlowError(Exception):
    """Codes: expired, invalid_response, unknown_passkey, passkey_exists,
    code_invalid, code_spent, invitation_invalid, and the profile codes of
    `server.domain.accounts` (name_required, …)."""

    def __init__(self, code: str, field: str | None = None, account_id: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.account_id = account_id


@dataclass(frozen=True)
class SignedIn:
    account: accounts.Account
    token: str
    session: sessions.Session
    recovery_codes: list[str] | None = None


@dataclass(frozen=True)
class Device:
    """Where a ceremony happens: the passkey's default label, the browser, the address."""

    label: str
    user_agent: str | None = None
    ip: str | None = None


@dataclass(frozen=True)
class Begun:
    flow: str
    options: dict[str, Any]


def attempt(fn: Callable[..., T], conn: sqlite3.Connection, *args: Any, **kwargs: Any) -> T | FlowError:
    """Run a finisher; on failure undo its writes but still spend its challenge
    and journal the failure, then return the error (the caller commits)."""
    conn.execute("SAVEPOINT flow")
    try:
        result = fn(conn, *args, **kwargs)
    except FlowError as error:
        conn.execute("ROLLBACK TO flow")
        conn.execute("RELEASE flow")
        if "flow_id" in kwargs:
            conn.execute("DELETE FROM challenges WHERE id = ?", (kwargs["flow_id"],))
        events.record(
            conn,
            fn.__name__.removeprefix("finish_").removeprefix("begin_") + "_failed",
            account_id=error.account_id,
            ip=kwargs["device"].ip if "device" in kwargs else kwargs.get("ip"),
            now=kwargs.get("now"),
            reason=error.code,
        )
        return error
    conn.execute("RELEASE flow")
    return result


def relying_party(settings: Settings) -> passkeys.RelyingParty:
    return passkeys.RelyingParty(id=settings.rp_id, name=settings.rp_name, origin=settings.origin)


def _take(conn: sqlite3.Connection, flow_id: str, purpose: str, now: datetime) -> challenges.Challenge:
    try:
        return challenges.take(conn, flow_id, purpose, now)
    except challenges.ChallengeError as e:
        raise FlowError(e.code) from e


def _register(settings: Settings, credential: str, challenge: bytes) -> passkeys.NewPasskey:
    try:
        return passkeys.verify_registration(relying_party(settings), credential, challenge)
    except passkeys.PasskeyError as e:
        raise FlowError(e.code) from e


def _clean(display_name: str, language: str) -> dict[str, Any]:
    try:
        return accounts.clean_profile({"display_name": display_name, "language": language})
    except Refused as e:
        raise FlowError(e.code, e.field) from e


def _store_passkey(
    conn: sqlite3.Connection,
    new: passkeys.NewPasskey,
    account_id: str,
    label: str,
    version: int,
    now: datetime,
) -> None:
    if credentials.get(conn, new.credential_id) is not None:
        raise FlowError("passkey_exists")
    credentials.add(
        conn,
        credential_id=new.credential_id,
        account_id=account_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        transports=new.transports,
        device_type=new.device_type,
        backed_up=new.backed_up,
        aaguid=new.aaguid,
        label=label,
        version=version,
        now=now,
    )


def _open_session(
    conn: sqlite3.Connection,
    settings: Settings,
    account: accounts.Account,
    device: Device,
    now: datetime,
    passkey_id: str,
) -> tuple[str, sessions.Session]:
    staff = account.is_staff
    sessions.purge_expired(conn, now)
    return sessions.create(
        conn,
        account.id,
        lifetime=settings.staff_session_seconds if staff else settings.applicant_session_seconds,
        sliding=not staff,
        user_agent=device.user_agent,
        ip=device.ip,
        now=now,
        passkey_id=passkey_id,
    )


def _new_account_options(
    conn: sqlite3.Connection,
    settings: Settings,
    purpose: str,
    profile: dict[str, Any],
    now: datetime,
    **data: Any,
) -> Begun:
    handle = accounts.new_user_handle()
    challenge, options = passkeys.registration_options(
        relying_party(settings), user_handle=handle, user_name=profile["display_name"]
    )
    flow = challenges.put(
        conn,
        purpose=purpose,
        challenge=challenge,
        lifetime=settings.challenge_seconds,
        now=now,
        data={**profile, "user_handle": bytes_to_base64url(handle), **data},
    )
    return Begun(flow, options)


# -- what a ceremony aims at (for the per-account rate limits) ---------------


def signin_target(conn: sqlite3.Connection, credential: str) -> str | None:
    """The account a sign-in answer claims (by its passkey), if any."""
    try:
        assertion = passkeys.read_assertion(credential)
    except (passkeys.PasskeyError, RecursionError):
        return None
    stored = credentials.get(conn, assertion.credential_id)
    return stored.account_id if stored else None


def recovery_target(conn: sqlite3.Connection, settings: Settings, code: str, flow_id: str) -> str | None:
    """The account a recovery is for: its code's owner, or its flow's."""
    if flow_id:
        row = conn.execute(
            "SELECT account_id FROM challenges WHERE id = ? AND purpose = 'recover'", (flow_id,)
        ).fetchone()
        return row["account_id"] if row else None
    found = recovery.find(conn, str(settings.secret_key), code)
    return found.account_id if found else None


# -- sign-up ---------------------------------------------------------------


def begin_signup(
    conn: sqlite3.Connection, settings: Settings, *, display_name: str, language: str, now: datetime
) -> Begun:
    return _new_account_options(conn, settings, "signup", _clean(display_name, language), now)


def finish_signup(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    flow_id: str,
    credential: str,
    device: Device,
    now: datetime,
) -> SignedIn:
    ch = _take(conn, flow_id, "signup", now)
    return _create_account(conn, settings, ch, credential, device, now)


def _create_account(
    conn: sqlite3.Connection,
    settings: Settings,
    ch: challenges.Challenge,
    credential: str,
    device: Device,
    now: datetime,
    role: str = "applicant",
    prefecture: str | None = None,
    organisation: str | None = None,
    organisation_admin: bool = False,
) -> SignedIn:
    new = _register(settings, credential, ch.challenge)
    version = sync_log.next_version(conn)
    account = accounts.create(
        conn,
        display_name=ch.data["display_name"],
        language=ch.data["language"],
        user_handle=base64url_to_bytes(ch.data["user_handle"]),
        version=version,
        role=role,
        prefecture=prefecture,
        now=now,
        organisation=organisation,
        organisation_admin=organisation_admin,
    )
    _store_passkey(conn, new, account.id, device.label, version, now)
    codes = recovery.generate(conn, str(settings.secret_key), account.id, now)
    token, session = _open_session(conn, settings, account, device, now, new.credential_id)
    events.record(conn, "account_created", account_id=account.id, ip=device.ip, now=now, role=role)
    return SignedIn(account, token, session, codes)


# -- sign-in ---------------------------------------------------------------


def begin_signin(conn: sqlite3.Connection, settings: Settings, *, now: datetime) -> Begun:
    challenge, options = passkeys.authentication_options(relying_party(settings))
    flow = challenges.put(
        conn, purpose="signin", challenge=challenge, lifetime=settings.challenge_seconds, now=now
    )
    return Begun(flow, options)


def finish_signin(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    flow_id: str,
    credential: str,
    device: Device,
    now: datetime,
) -> SignedIn:
    ch = _take(conn, flow_id, "signin", now)
    try:
        assertion = passkeys.read_assertion(credential)
    except passkeys.PasskeyError as e:
        raise FlowError(e.code) from e
    stored = credentials.get(conn, assertion.credential_id)
    account = accounts.get(conn, stored.account_id) if stored else None
    if stored is None or account is None:
        raise FlowError("unknown_passkey")
    # Usernameless sign-in: the library checks the signature, not that the
    # passkey's user handle is the one we gave this account. We do.
    if assertion.user_handle != account.user_handle:
        raise FlowError("unknown_passkey", account_id=account.id)
    try:
        use = passkeys.verify_authentication(
            relying_party(settings),
            assertion,
            ch.challenge,
            public_key=stored.public_key,
            stored_sign_count=stored.sign_count,
        )
    except passkeys.PasskeyError as e:
        raise FlowError(e.code, account_id=account.id) from e
    if use.counter_regressed:
        events.record(
            conn,
            "sign_count_regression",
            account_id=account.id,
            ip=device.ip,
            now=now,
            passkey=stored.id,
            stored=stored.sign_count,
            received=use.sign_count,
        )
    credentials.record_use(
        conn,
        stored.id,
        sign_count=use.sign_count,
        device_type=use.device_type,
        backed_up=use.backed_up,
        version=sync_log.next_version(conn),
        now=now,
    )
    token, session = _open_session(conn, settings, account, device, now, stored.id)
    events.record(conn, "signin", account_id=account.id, ip=device.ip, now=now, passkey=stored.id)
    return SignedIn(account, token, session)


# -- another passkey on a signed-in account ------------------------------------


def begin_add_passkey(
    conn: sqlite3.Connection, settings: Settings, *, account_id: str, now: datetime
) -> Begun:
    account = accounts.get(conn, account_id)
    assert account is not None
    return _another_passkey(conn, settings, account, "add_passkey", now)


def _another_passkey(
    conn: sqlite3.Connection,
    settings: Settings,
    account: accounts.Account,
    purpose: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> Begun:
    """Options for one more passkey on an existing account (its others excluded)."""
    existing = [p.id for p in credentials.list_for(conn, account.id)]
    challenge, options = passkeys.registration_options(
        relying_party(settings),
        user_handle=account.user_handle,
        user_name=account.display_name,
        exclude=existing,
    )
    flow = challenges.put(
        conn,
        purpose=purpose,
        challenge=challenge,
        account_id=account.id,
        lifetime=settings.challenge_seconds,
        now=now,
        data=data,
    )
    return Begun(flow, options)


def finish_add_passkey(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    account_id: str,
    flow_id: str,
    credential: str,
    device: Device,
    now: datetime,
) -> str:
    ch = _take(conn, flow_id, "add_passkey", now)
    if ch.account_id != account_id:
        raise FlowError("expired")
    new = _register(settings, credential, ch.challenge)
    _store_passkey(conn, new, account_id, device.label, sync_log.next_version(conn), now)
    events.record(
        conn, "passkey_added", account_id=account_id, ip=device.ip, now=now, passkey=new.credential_id
    )
    return new.credential_id


# -- recovery with a one-time code ------------------------------------------


def begin_recovery(
    conn: sqlite3.Connection, settings: Settings, *, code: str, ip: str | None, now: datetime
) -> Begun:
    found = recovery.find(conn, str(settings.secret_key), code)
    account = accounts.get(conn, found.account_id) if found else None
    if found is None or account is None:
        raise FlowError("code_invalid", "code")
    return _another_passkey(conn, settings, account, "recover", now, {"code_hash": found.code_hash})


def finish_recovery(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    flow_id: str,
    credential: str,
    device: Device,
    now: datetime,
    sign_out_others: bool = True,
) -> SignedIn:
    """A new passkey from a recovery code. By default every other session of
    the account ends: whoever recovers may be recovering from a stolen phone."""
    ch = _take(conn, flow_id, "recover", now)
    new = _register(settings, credential, ch.challenge)
    # The code is spent only now that a passkey exists: a cancelled prompt
    # does not cost the person one of their ten codes.
    owner = recovery.spend(conn, ch.data["code_hash"], now)
    if owner is None or owner != ch.account_id:
        raise FlowError("code_spent", "code")
    account = accounts.get(conn, owner)
    assert account is not None
    _store_passkey(conn, new, account.id, device.label, sync_log.next_version(conn), now)
    token, session = _open_session(conn, settings, account, device, now, new.credential_id)
    ended = sessions.revoke_others(conn, account.id, session.id, now) if sign_out_others else 0
    events.record(
        conn,
        "recovered",
        account_id=account.id,
        ip=device.ip,
        now=now,
        passkey=new.credential_id,
        sessions_ended=ended,
    )
    return SignedIn(account, token, session)


def regenerate_codes(
    conn: sqlite3.Connection, settings: Settings, *, account_id: str, ip: str | None, now: datetime
) -> list[str]:
    codes = recovery.generate(conn, str(settings.secret_key), account_id, now)
    events.record(conn, "recovery_codes_renewed", account_id=account_id, ip=ip, now=now)
    return codes


# -- staff enrolment with an invitation --------------------------------------


def begin_enrolment(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    token: str,
    display_name: str,
    language: str,
    now: datetime,
) -> Begun:
    invitation = invitations.find(conn, token, now)
    if invitation is None:
        raise FlowError("invitation_invalid")
    profile = _clean(display_name, language)
    return _new_account_options(conn, settings, "enrol", profile, now, invitation=invitation.id)


def finish_enrolment(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    flow_id: str,
    credential: str,
    device: Device,
    now: datetime,
) -> SignedIn:
    ch = _take(conn, flow_id, "enrol", now)
    row = conn.execute(
        "SELECT * FROM invitations WHERE id = ? AND used_at IS NULL AND expires_at > ?",
        (ch.data["invitation"], clock.iso(now)),
    ).fetchone()
    if row is None:
        raise FlowError("invitation_invalid")
    invitation = invitations.Invitation.from_row(row)
    signed_in = _create_account(
        conn,
        settings,
        ch,
        credential,
        device,
        now,
        role=invitation.role,
        prefecture=invitation.prefecture,
        organisation=invitation.organisation,
        organisation_admin=invitation.organisation_admin,
    )
    if not invitations.use(conn, invitation.id, signed_in.account.id, now):
        raise FlowError("invitation_invalid")
    return signed_in


def sign_out(conn: sqlite3.Connection, session: sessions.Session, now: datetime | None = None) -> None:
    sessions.revoke(conn, session.id, session.account_id, now or clock.now())
