"""Accounts over HTTP: register, sign in (OAuth2 password and refresh-token grants), read
and edit the profile. Thin translators around :class:`services.identity.accounts.AccountStore`
and :class:`services.identity.sessions.Sessions`."""

import math
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Header, Request, Response
from pydantic import BaseModel, Field

from services.identity.accounts import (
    AccountStore,
    Address,
    NewAccount,
    ProfileUpdate,
    still_to_verify,
)
from services.identity.deps import AccountsDep, IdentityParts, PartsDep, Principal
from services.identity.password_check import confirm_password
from services.identity.sessions import SessionRefused
from shared.auth import CitizenPrincipal, issue_token
from shared.http_cache import PRIVATE, cached_json
from shared.problems import Problem

__all__ = [
    "Profile",
    "ProfileChange",
    "accounts_router",
    "client_ip",
    "confirm_callers_password",
    "profile_view",
]


class Profile(BaseModel):
    id: str
    nik: str
    name: str
    email: str
    email_verified: bool = False
    phone: str
    phone_verified: bool = False
    birth_place: str | None = None
    birth_date: str | None = None
    sex: Literal["F", "M"] | None = None
    address: Address | None = None
    family_card_number: str | None = None
    language: Literal["id", "en"]
    notification_channels: list[str]
    region: str
    nik_verified: bool = Field(
        False, description="Proven through Dukcapil or at an MPP counter (see docs/identity.md)."
    )
    nik_verified_by: Literal["dukcapil", "counter"] | None = None
    to_verify: list[Literal["email", "phone", "nik"]] = Field(
        default_factory=list,
        description="What is still to prove before the account can submit applications.",
    )
    can_submit: bool = Field(False, description="True once email, phone and NIK are proven.")


class ProfileChange(ProfileUpdate):
    """A citizen's own change of their profile: with the current password when the email
    or phone changes (where password reset codes go; see docs/intake.md)."""

    current_password: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Needed to change the email or phone; checked whenever sent.",
    )


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int
    refresh_token: str | None = None


_DERIVED = {"id", "nik_verified", "nik_verified_by", "to_verify", "can_submit"}


def profile_view(account: dict[str, Any]) -> Profile:
    fields = {k: account.get(k) for k in Profile.model_fields if k not in _DERIVED}
    for flag in ("email_verified", "phone_verified"):
        fields[flag] = bool(account.get(flag))
    proof = account.get("nik_verification") or {}
    to_verify = still_to_verify(account)
    return Profile(
        id=account["_id"],
        nik_verified=bool(proof),
        nik_verified_by=proof.get("method"),
        to_verify=to_verify,
        can_submit=not to_verify,
        **fields,
    )


def client_ip(request: Request) -> str:
    """The caller's address, as the per-IP rate limit sees it."""
    return request.client.host if request.client else "unknown"


async def confirm_callers_password(
    parts: IdentityParts,
    request: Request,
    account_id: str,
    password: str,
    field: str = "current_password",
) -> None:
    """The signed-in caller's password asked again before a change that matters,
    throttled per account and browser like a sign-in (:func:`confirm_password`)."""
    await confirm_password(
        store=parts.accounts,
        passwords=parts.passwords,
        throttle=parts.throttle,
        account_id=account_id,
        client=client_ip(request),
        password=password,
        field=field,
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _device_name(*offered: str | None) -> str | None:
    for value in offered:
        if value and (name := _CONTROL.sub(" ", value).strip()[:100]):
            return name
    return None


def _refused(detail: str) -> Problem:
    return Problem(
        401,
        "Sesi tidak berlaku / Session not valid",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
        error="invalid_grant",
    )


accounts_router = APIRouter(prefix="/api/v1", tags=["accounts"])


@accounts_router.post(
    "/accounts", status_code=201, response_model=Profile, summary="Create an account"
)
async def register_account(body: NewAccount, accounts: AccountsDep) -> Profile:
    return profile_view(await accounts.register(body))


@accounts_router.post(
    "/auth/token",
    response_model=Token,
    response_model_exclude_none=True,
    summary="Sign in (username: NIK or email), or renew with a refresh token",
)
async def sign_in(
    request: Request,
    parts: PartsDep,
    grant_type: Annotated[str | None, Form(description="password or refresh_token")] = None,
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
    device_name: Annotated[str | None, Form(description="Shown in /me/devices")] = None,
    x_device_name: Annotated[str | None, Header()] = None,
) -> Token:
    if grant_type == "refresh_token":
        return await _renew(refresh_token, parts)
    if grant_type not in (None, "password"):
        raise Problem(
            400,
            "Jenis grant tidak didukung / Unsupported grant type",
            "Use grant_type=password or grant_type=refresh_token.",
            error="unsupported_grant_type",
        )
    missing = [
        {"field": name, "message": "Field required"}
        for name, value in (("username", username), ("password", password))
        if not value
    ]
    if username is None or password is None or missing:
        raise Problem(
            422,
            "Data tidak valid / Invalid data",
            "Periksa isian berikut / Check these fields: " + ", ".join(e["field"] for e in missing),
            errors=missing,
        )
    signed_in = await _authenticate(username, password, client_ip(request), parts)
    access_token, lifetime = issue_token(
        parts.runtime.settings, signed_in.subject, signed_in.roles, **signed_in.claims
    )
    refresh = None
    if "citizen" in signed_in.roles:  # staff sign in again: a reset must end them
        device = _device_name(device_name, x_device_name)
        refresh = await parts.sessions.start(signed_in.subject, device)
    return Token(access_token=access_token, expires_in=lifetime, refresh_token=refresh)


async def _authenticate(username: str, password: str, client: str, parts: IdentityParts) -> Any:
    """The account signing in, within the sign-in throttle; 429 while throttled, 401 for
    a wrong username or password."""
    throttle = parts.throttle
    key = throttle.key(username, client)
    wait = throttle.attempt(key)
    if wait is not None:
        seconds = str(math.ceil(wait))
        raise Problem(
            429,
            "Terlalu banyak percobaan / Too many attempts",
            f"Terlalu banyak percobaan masuk dari perangkat ini; coba lagi setelah {seconds} "
            f"detik / Too many sign-in attempts from this client; retry after {seconds} s.",
            headers={"Retry-After": seconds},
        )
    async with parts.passwords.slot():  # the argon2 check inside is one of the bounded few
        signed_in = await parts.accounts.authenticate(username, password)
    if signed_in is None:
        raise Problem(
            401,
            "NIK/email atau kata sandi salah / Wrong NIK, email or password",
            "Check the NIK or email and the password, then try again. The email always "
            "works; a NIK that is not proven yet may not.",
            headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
        )
    throttle.succeeded(key)
    return signed_in


async def _renew(refresh_token: str | None, parts: IdentityParts) -> Token:
    if not refresh_token:
        raise _refused("Send the refresh_token the last sign-in or renewal returned.")
    try:
        account_id, refresh = await parts.sessions.rotate(refresh_token)
    except SessionRefused:
        raise _refused(
            "Token penyegaran tidak berlaku; silakan masuk lagi dengan kata sandi "
            "/ The refresh token is not valid (expired, used or signed out); sign in "
            "again with the password."
        ) from None
    signed_in = await parts.accounts.still_signed_in(account_id)
    if signed_in is None:
        raise _refused("The account no longer exists.")
    access_token, lifetime = issue_token(
        parts.runtime.settings, signed_in.subject, signed_in.roles, **signed_in.claims
    )
    return Token(access_token=access_token, expires_in=lifetime, refresh_token=refresh)


async def _own_account(accounts: AccountStore, principal: CitizenPrincipal) -> dict[str, Any]:
    if not principal.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Operators have no profile.")
    account = await accounts.profile(principal.subject)
    if account is None:
        raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
    return account


@accounts_router.get(
    "/me",
    response_model=Profile,
    summary="My profile",
    description="Send the last `ETag` in `If-None-Match`: unchanged, it answers 304.",
    responses={304: {"description": "Not modified since the ETag sent"}},
)
async def get_me(request: Request, principal: Principal, accounts: AccountsDep) -> Response:
    found = profile_view(await _own_account(accounts, principal))
    return cached_json(request, found.model_dump(mode="json"), cache_control=PRIVATE)


@accounts_router.patch(
    "/me",
    response_model=Profile,
    summary="Change my profile (a new email or phone needs current_password)",
    description="A new email or phone is refused (403) without `current_password`; the "
    "verified contact it replaces is told. Other fields need no password.",
)
async def update_me(
    body: ProfileChange,
    request: Request,
    principal: Principal,
    parts: PartsDep,
) -> Profile:
    await _own_account(parts.accounts, principal)
    if body.current_password is not None:
        await confirm_callers_password(parts, request, principal.subject, body.current_password)
    update = ProfileUpdate(**body.model_dump(exclude_unset=True, exclude={"current_password"}))
    changed = await parts.accounts.update_profile(
        principal.subject, update, password_confirmed=body.current_password is not None
    )
    return profile_view(changed)
