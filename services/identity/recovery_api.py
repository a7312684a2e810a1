"""Verified contacts, password recovery and signed-in devices over HTTP.

Thin translators around :mod:`services.identity.codes` (one-time codes),
:mod:`services.identity.sessions` (refresh-token families, signing out everywhere) and
:mod:`services.identity.passwords` (bounded argon2). A password reset never says whether
an account exists: the request is always 202, and a wrong code, an unknown username and
an expired code are refused alike.

Typing a code back is limited twice: per account across its codes
(:mod:`services.identity.code_attempts`, counted in the database, for an unknown username
by the username) and per client across accounts (a :class:`SignInThrottle` in the
process); either answers 429 with ``Retry-After``.
"""

import asyncio
import math
from datetime import datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.client_session import AsyncClientSession

from services.identity.accounts import AccountStore
from services.identity.accounts_api import (
    Profile,
    client_ip,
    confirm_callers_password,
    profile_view,
)
from services.identity.codes import CodeRejected, Contact, TooManyCodes, TooManyTries
from services.identity.deps import (
    AccountsDep,
    CodesDep,
    IdentityParts,
    PartsDep,
    Principal,
    SessionsDep,
)
from shared.auth import CitizenPrincipal
from shared.events import utcnow
from shared.problems import Problem
from shared.unit_of_work import Transaction

__all__ = ["recovery_router"]

log = structlog.get_logger(__name__)

_CODE = Field(pattern=r"^[0-9]{6}$", description="The six digits received.")
_NEW_PASSWORD = Field(min_length=8, max_length=128)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerificationRequest(_Body):
    channel: Contact = Field(description="email, or phone (the code comes by SMS).")


class VerificationConfirm(_Body):
    channel: Contact
    code: str = _CODE


class CodeSent(BaseModel):
    channel: Contact
    expires_at: datetime


class ResetRequest(_Body):
    username: str = Field(min_length=1, max_length=254, description="NIK or email.")


class ResetConfirm(_Body):
    username: str = Field(min_length=1, max_length=254, description="NIK or email.")
    code: str = _CODE
    new_password: str = _NEW_PASSWORD


class PasswordChange(_Body):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = _NEW_PASSWORD


class Device(BaseModel):
    id: str
    device_name: str | None
    created_at: datetime
    last_used_at: datetime


_RESET_ACCEPTED = {
    "detail": "Jika akun ini ada dan punya email atau nomor HP terverifikasi, kode sudah "
    "dikirim ke sana / If the account exists and has a verified email or phone, a code "
    "was sent to it."
}


def _too_many_codes(exc: TooManyCodes) -> Problem:
    seconds = str(max(1, math.ceil(exc.retry_after)))
    return Problem(
        429,
        "Terlalu banyak kode / Too many codes",
        f"Sudah terlalu banyak kode dikirim ke kontak ini; coba lagi setelah {seconds} detik "
        f"/ Too many codes were sent to this contact; retry after {seconds} s.",
        headers={"Retry-After": seconds},
    )


def _too_many_tries(wait: float) -> Problem:
    seconds = str(max(1, math.ceil(wait)))
    return Problem(
        429,
        "Terlalu banyak kode salah / Too many wrong codes",
        f"Terlalu banyak kode salah dicoba; coba lagi setelah {seconds} detik "
        f"/ Too many wrong codes were tried; retry after {seconds} s.",
        headers={"Retry-After": seconds},
    )


def _client_may_try(parts: IdentityParts, request: Request) -> tuple[str, str]:
    """The client's key in the per-client limit on codes; 429 while it must wait."""
    key = parts.code_throttle.key("one-time codes", client_ip(request))
    wait = parts.code_throttle.attempt(key)
    if wait is not None:
        raise _too_many_tries(wait)
    return key


def _wrong_code(exc: CodeRejected) -> Problem:
    if exc.attempts_left:
        message = (
            f"Kode salah; sisa {exc.attempts_left} kali percobaan / Wrong code; "
            f"{exc.attempts_left} tries left."
        )
    else:
        message = (
            "Kode tidak berlaku (salah terlalu sering, sudah dipakai atau kedaluwarsa); minta "
            "kode baru / The code is no longer valid (too many wrong tries, used or expired); "
            "ask for a new one."
        )
    return Problem(
        422,
        "Kode tidak diterima / Code not accepted",
        message,
        errors=[{"field": "code", "message": message}],
        attempts_left=exc.attempts_left,
    )


def _reset_refused() -> Problem:
    """One answer for a wrong code, an unknown username and an expired code alike."""
    return Problem(
        422,
        "Kode tidak diterima / Code not accepted",
        "Kode salah atau tidak berlaku lagi; minta kode baru bila perlu / The code is wrong "
        "or no longer valid; ask for a new one if needed.",
        errors=[{"field": "code", "message": "wrong or no longer valid"}],
    )


recovery_router = APIRouter(prefix="/api/v1", tags=["accounts"])
_resets: set[asyncio.Task[None]] = set()
"""Password-reset codes being issued after the answer was sent (kept till done)."""


async def _own_account(accounts: AccountStore, principal: CitizenPrincipal) -> dict[str, Any]:
    if not principal.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Staff accounts have no profile.")
    account = await accounts.profile(principal.subject)
    if account is None:
        raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
    return account


async def _sign_out(
    parts: IdentityParts, account_id: str, change: dict[str, Any] | None = None
) -> None:
    """Sign out every device, with ``change`` to the account in the same transaction."""

    async def work(tx: Transaction) -> datetime:
        if change:
            await parts.accounts.records.set_fields(account_id, change, tx.session)
        return await parts.sessions.sign_out_everywhere(account_id, tx.session)

    parts.sessions.signed_out(account_id, await parts.runtime.units.run(work))


# --- verified contacts ----------------------------------------------------------------


@recovery_router.post(
    "/me/contact-verifications",
    status_code=202,
    response_model=CodeSent,
    summary="Send a code to my email or phone, to confirm it is mine",
)
async def send_contact_verification(
    body: VerificationRequest,
    request: Request,
    principal: Principal,
    accounts: AccountsDep,
    codes: CodesDep,
) -> CodeSent:
    account = await _own_account(accounts, principal)
    if account.get(f"{body.channel}_verified"):
        raise Problem(
            409,
            "Sudah terverifikasi / Already verified",
            f"This {body.channel} is verified already; a new one is verified after a change.",
        )
    try:
        issued = await codes.issue(
            account_id=principal.subject,
            purpose="contact_verification",
            channel=body.channel,
            address=account[body.channel],
            correlation_id=getattr(request.state, "correlation_id", None),
        )
    except TooManyCodes as exc:
        raise _too_many_codes(exc) from None
    return CodeSent(channel=body.channel, expires_at=issued.expires_at)


@recovery_router.post(
    "/me/contact-verifications/confirm",
    response_model=Profile,
    summary="Type back the code: the contact is verified",
)
async def confirm_contact_verification(
    body: VerificationConfirm,
    request: Request,
    principal: Principal,
    parts: PartsDep,
) -> Profile:
    accounts, codes = parts.accounts, parts.codes
    account = await _own_account(accounts, principal)
    client = _client_may_try(parts, request)
    # The contact as stored (sealed): unchanged since, or the code proved the old one.
    stored = await accounts.accounts.find_one({"_id": principal.subject}, {body.channel: 1})
    as_stored = (stored or {}).get(body.channel)

    async def verified(session: AsyncClientSession) -> None:
        proven = await accounts.records.contact_proven(
            principal.subject, body.channel, as_stored, utcnow(), session
        )
        if not proven:
            raise CodeRejected(0)  # changed meanwhile: the code proved the old one

    try:
        await codes.check(
            account_id=principal.subject,
            purpose="contact_verification",
            channel=body.channel,
            code=body.code,
            address=account[body.channel],
            then=verified,
        )
    except TooManyTries as exc:
        raise _too_many_tries(exc.retry_after) from None
    except CodeRejected as exc:
        raise _wrong_code(exc) from None
    parts.code_throttle.succeeded(client)
    return profile_view(await _own_account(accounts, principal))


# --- password recovery ----------------------------------------------------------------


async def _find_account(accounts: AccountStore, username: str) -> dict[str, Any] | None:
    username = username.strip()
    if "@" in username:
        return await accounts.sealed.open(
            await accounts.accounts.find_one({"email_index": accounts.sealed.email_index(username)})
        )
    if len(username) == 16 and username.isdigit():
        return await accounts.account_of_nik(username)
    return None


async def _send_reset(parts: IdentityParts, username: str, correlation_id: str | None) -> None:
    account = await _find_account(parts.accounts, username)
    if account is None:
        return
    channel: Contact | None = next(
        (c for c in ("email", "phone") if account.get(f"{c}_verified")), None
    )
    if channel is None:
        log.info("password reset asked for an account without a verified contact")
        return
    try:
        await parts.codes.issue(
            account_id=account["_id"],
            purpose="password_reset",
            channel=channel,
            address=account[channel],
            correlation_id=correlation_id,
        )
    except TooManyCodes:
        log.info("password reset code held back by the per-contact limit")


async def _send_reset_logged(
    parts: IdentityParts, username: str, correlation_id: str | None
) -> None:
    try:
        await _send_reset(parts, username, correlation_id)
    except Exception as exc:  # nobody awaits this task: say what went wrong
        log.warning("password reset code not issued", error=type(exc).__name__)


@recovery_router.post(
    "/auth/password-reset",
    status_code=202,
    summary="Forgot the password: send a code to my verified email or phone",
)
async def request_password_reset(
    body: ResetRequest, request: Request, parts: PartsDep
) -> dict[str, str]:
    # Answered before anything is looked up, so neither the answer nor its timing
    # says whether the account exists.
    correlation_id = getattr(request.state, "correlation_id", None)
    task = asyncio.create_task(_send_reset_logged(parts, body.username, correlation_id))
    _resets.add(task)
    task.add_done_callback(_resets.discard)
    return _RESET_ACCEPTED


@recovery_router.post(
    "/auth/password-reset/confirm",
    status_code=204,
    summary="Set a new password with the code; every device is signed out",
)
async def confirm_password_reset(body: ResetConfirm, request: Request, parts: PartsDep) -> Response:
    client = _client_may_try(parts, request)
    new_hash = await parts.passwords.hash(body.new_password)  # first: the same work for anyone
    account = await _find_account(parts.accounts, body.username)
    if account is None:
        try:
            await parts.codes.refuse_unknown("password_reset", body.username)
        except TooManyTries as exc:
            raise _too_many_tries(exc.retry_after) from None
        except CodeRejected:
            raise _reset_refused() from None
    account_id = account["_id"]

    async def reset(session: AsyncClientSession) -> datetime:
        await parts.accounts.records.set_fields(
            account_id, {"password_hash": new_hash, "updated_at": utcnow()}, session
        )
        return await parts.sessions.sign_out_everywhere(account_id, session)

    try:
        at = await parts.codes.check(
            account_id=account_id,
            purpose="password_reset",
            channel="email",
            code=body.code,
            address=None,
            then=reset,
        )
    except TooManyTries as exc:
        raise _too_many_tries(exc.retry_after) from None
    except CodeRejected:
        raise _reset_refused() from None
    parts.code_throttle.succeeded(client)
    parts.sessions.signed_out(account_id, at)
    return Response(status_code=204)


@recovery_router.post(
    "/me/password",
    status_code=204,
    summary="Change my password; every device is signed out",
)
async def change_password(
    body: PasswordChange, request: Request, principal: Principal, parts: PartsDep
) -> Response:
    await _own_account(parts.accounts, principal)
    await confirm_callers_password(parts, request, principal.subject, body.current_password)
    new_hash = await parts.passwords.hash(body.new_password)
    await _sign_out(parts, principal.subject, {"password_hash": new_hash, "updated_at": utcnow()})
    return Response(status_code=204)


# --- sessions -------------------------------------------------------------------------


@recovery_router.post(
    "/auth/signout-everywhere",
    status_code=204,
    summary="Sign out every device: refresh tokens revoked, access tokens refused",
)
async def signout_everywhere(principal: Principal, parts: PartsDep) -> Response:
    await _own_account(parts.accounts, principal)
    await _sign_out(parts, principal.subject)
    return Response(status_code=204)


@recovery_router.get("/me/devices", response_model=list[Device], summary="My signed-in devices")
async def list_devices(
    principal: Principal, accounts: AccountsDep, sessions: SessionsDep
) -> list[Device]:
    await _own_account(accounts, principal)
    return [
        Device(
            id=family["_id"],
            device_name=family.get("device_name"),
            created_at=family["created_at"],
            last_used_at=family["last_used_at"],
        )
        for family in await sessions.devices(principal.subject)
    ]


@recovery_router.delete(
    "/me/devices/{device_id}",
    status_code=204,
    summary="Sign one device out (its refresh token stops working)",
)
async def revoke_device(
    device_id: str, principal: Principal, accounts: AccountsDep, sessions: SessionsDep
) -> Response:
    await _own_account(accounts, principal)
    if not await sessions.revoke_device(principal.subject, device_id):
        raise Problem(
            404, "Perangkat tidak ditemukan / Device not found", "No such signed-in device."
        )
    return Response(status_code=204)
