"""Verified contacts, password recovery and signed-in devices over HTTP.

Thin translators around :mod:`services.intake.codes` (one-time codes),
:mod:`services.intake.sessions` (refresh-token families, signing out everywhere) and
:mod:`services.intake.passwords` (bounded argon2). A password reset never says whether
an account exists: the request is always 202, and a wrong code, an unknown username and
an expired code are refused alike.
"""

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.client_session import AsyncClientSession

from services.intake.accounts import AccountStore
from services.intake.accounts_api import Profile, client_ip, profile_view
from services.intake.codes import CodeRejected, CodeStore, Contact, TooManyCodes
from services.intake.password_check import confirm_password
from services.intake.passwords import Passwords
from services.intake.sessions import Sessions
from services.intake.throttle import SignInThrottle
from shared.auth import CitizenPrincipal
from shared.events import utcnow
from shared.mongo import in_transaction
from shared.problems import Problem

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


def recovery_router(
    *,
    store: AccountStore,
    codes: CodeStore,
    sessions: Sessions,
    passwords: Passwords,
    throttle: SignInThrottle,
    citizen: Callable[..., Awaitable[CitizenPrincipal]],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["accounts"])
    Principal = Annotated[CitizenPrincipal, Depends(citizen)]
    resets: set[asyncio.Task[None]] = set()

    async def own_account(principal: CitizenPrincipal) -> dict[str, Any]:
        if not principal.is_citizen:
            raise Problem(403, "Khusus warga / Citizens only", "Staff accounts have no profile.")
        account = await store.profile(principal.subject)
        if account is None:
            raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
        return account

    async def sign_out(account_id: str, change: dict[str, Any] | None = None) -> None:
        """Sign out every device, with ``change`` to the account in the same transaction."""

        async def work(session: AsyncClientSession) -> datetime:
            if change:
                await store.accounts.update_one(
                    {"_id": account_id}, {"$set": change}, session=session
                )
            return await sessions.sign_out_everywhere(account_id, session)

        sessions.signed_out(account_id, await in_transaction(store.mongo, work))

    # --- verified contacts ------------------------------------------------------------

    @router.post(
        "/me/contact-verifications",
        status_code=202,
        response_model=CodeSent,
        summary="Send a code to my email or phone, to confirm it is mine",
    )
    async def send_contact_verification(
        body: VerificationRequest, request: Request, principal: Principal
    ) -> CodeSent:
        account = await own_account(principal)
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

    @router.post(
        "/me/contact-verifications/confirm",
        response_model=Profile,
        summary="Type back the code: the contact is verified",
    )
    async def confirm_contact_verification(
        body: VerificationConfirm, principal: Principal
    ) -> Profile:
        account = await own_account(principal)
        address = account[body.channel]
        # The contact as stored (sealed): unchanged since, or the code proved the old one.
        stored = await store.accounts.find_one({"_id": principal.subject}, {body.channel: 1})
        as_stored = (stored or {}).get(body.channel)

        async def verified(session: AsyncClientSession) -> None:
            result = await store.accounts.update_one(
                {"_id": principal.subject, body.channel: as_stored},
                {"$set": {f"{body.channel}_verified": True, "updated_at": utcnow()}},
                session=session,
            )
            if result.matched_count == 0:
                raise CodeRejected(0)  # changed meanwhile: the code proved the old one

        try:
            await codes.check(
                account_id=principal.subject,
                purpose="contact_verification",
                channel=body.channel,
                code=body.code,
                address=address,
                then=verified,
            )
        except CodeRejected as exc:
            raise _wrong_code(exc) from None
        return profile_view(await own_account(principal))

    # --- password recovery ------------------------------------------------------------

    async def find_account(username: str) -> dict[str, Any] | None:
        username = username.strip()
        if "@" in username:
            return await store.sealed.open(
                await store.accounts.find_one({"email_index": store.sealed.email_index(username)})
            )
        if len(username) == 16 and username.isdigit():
            return await store.account_of_nik(username)
        return None

    async def send_reset(username: str, correlation_id: str | None) -> None:
        account = await find_account(username)
        if account is None:
            return
        channel: Contact | None = next(
            (c for c in ("email", "phone") if account.get(f"{c}_verified")), None
        )
        if channel is None:
            log.info("password reset asked for an account without a verified contact")
            return
        try:
            await codes.issue(
                account_id=account["_id"],
                purpose="password_reset",
                channel=channel,
                address=account[channel],
                correlation_id=correlation_id,
            )
        except TooManyCodes:
            log.info("password reset code held back by the per-contact limit")

    async def send_reset_logged(username: str, correlation_id: str | None) -> None:
        try:
            await send_reset(username, correlation_id)
        except Exception as exc:  # nobody awaits this task: say what went wrong
            log.warning("password reset code not issued", error=type(exc).__name__)

    @router.post(
        "/auth/password-reset",
        status_code=202,
        summary="Forgot the password: send a code to my verified email or phone",
    )
    async def request_password_reset(body: ResetRequest, request: Request) -> dict[str, str]:
        # Answered before anything is looked up, so neither the answer nor its timing
        # says whether the account exists.
        task = asyncio.create_task(
            send_reset_logged(body.username, getattr(request.state, "correlation_id", None))
        )
        resets.add(task)
        task.add_done_callback(resets.discard)
        return _RESET_ACCEPTED

    @router.post(
        "/auth/password-reset/confirm",
        status_code=204,
        summary="Set a new password with the code; every device is signed out",
    )
    async def confirm_password_reset(body: ResetConfirm) -> Response:
        new_hash = await passwords.hash(body.new_password)  # first: the same work for anyone
        account = await find_account(body.username)
        if account is None:
            raise _reset_refused()
        account_id = account["_id"]

        async def reset(session: AsyncClientSession) -> datetime:
            await store.accounts.update_one(
                {"_id": account_id},
                {"$set": {"password_hash": new_hash, "updated_at": utcnow()}},
                session=session,
            )
            return await sessions.sign_out_everywhere(account_id, session)

        try:
            at = await codes.check(
                account_id=account_id,
                purpose="password_reset",
                channel="email",
                code=body.code,
                address=None,
                then=reset,
            )
        except CodeRejected:
            raise _reset_refused() from None
        sessions.signed_out(account_id, at)
        return Response(status_code=204)

    @router.post(
        "/me/password",
        status_code=204,
        summary="Change my password; every device is signed out",
    )
    async def change_password(
        body: PasswordChange, request: Request, principal: Principal
    ) -> Response:
        await own_account(principal)
        await confirm_password(
            store=store,
            passwords=passwords,
            throttle=throttle,
            account_id=principal.subject,
            client=client_ip(request),
            password=body.current_password,
            field="current_password",
        )
        new_hash = await passwords.hash(body.new_password)
        await sign_out(principal.subject, {"password_hash": new_hash, "updated_at": utcnow()})
        return Response(status_code=204)

    # --- sessions ---------------------------------------------------------------------

    @router.post(
        "/auth/signout-everywhere",
        status_code=204,
        summary="Sign out every device: refresh tokens revoked, access tokens refused",
    )
    async def signout_everywhere(principal: Principal) -> Response:
        await own_account(principal)
        await sign_out(principal.subject)
        return Response(status_code=204)

    @router.get("/me/devices", response_model=list[Device], summary="My signed-in devices")
    async def list_devices(principal: Principal) -> list[Device]:
        await own_account(principal)
        return [
            Device(
                id=family["_id"],
                device_name=family.get("device_name"),
                created_at=family["created_at"],
                last_used_at=family["last_used_at"],
            )
            for family in await sessions.devices(principal.subject)
        ]

    @router.delete(
        "/me/devices/{device_id}",
        status_code=204,
        summary="Sign one device out (its refresh token stops working)",
    )
    async def revoke_device(device_id: str, principal: Principal) -> Response:
        await own_account(principal)
        if not await sessions.revoke_device(principal.subject, device_id):
            raise Problem(
                404, "Perangkat tidak ditemukan / Device not found", "No such signed-in device."
            )
        return Response(status_code=204)

    return router
