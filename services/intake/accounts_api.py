"""Accounts over HTTP: register, sign in (OAuth2 password flow), read and edit the
profile. Thin translators around :class:`services.intake.accounts.AccountStore`."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from services.intake.accounts import AccountStore, Address, NewAccount, ProfileUpdate
from services.intake.limits import RateLimiter
from shared.auth import CitizenPrincipal, issue_token
from shared.problems import Problem
from shared.settings import Settings

__all__ = ["accounts_router"]


class Profile(BaseModel):
    id: str
    nik: str
    name: str
    email: str
    phone: str
    birth_place: str | None = None
    birth_date: str | None = None
    sex: Literal["F", "M"] | None = None
    address: Address | None = None
    family_card_number: str | None = None
    language: Literal["id", "en"]
    notification_channels: list[str]
    region: str


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int


def _profile(account: dict[str, Any]) -> Profile:
    return Profile(
        id=account["_id"], **{k: account.get(k) for k in Profile.model_fields if k != "id"}
    )


def accounts_router(
    store: AccountStore,
    settings: Settings,
    citizen: Callable[..., Awaitable[CitizenPrincipal]],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["accounts"])
    Principal = Annotated[CitizenPrincipal, Depends(citizen)]
    sign_ins = RateLimiter(per_minute=10)  # per username: slows password guessing

    @router.post("/accounts", status_code=201, response_model=Profile, summary="Create an account")
    async def register(body: NewAccount) -> Profile:
        return _profile(await store.register(body))

    @router.post("/auth/token", response_model=Token, summary="Sign in (username: NIK or email)")
    async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
        retry = sign_ins.check(form.username.strip().lower()[:254])
        if retry is not None:
            raise Problem(
                429,
                "Terlalu banyak percobaan / Too many attempts",
                f"Too many sign-in attempts for this account; retry after {int(retry) + 1} s.",
                headers={"Retry-After": str(int(retry) + 1)},
            )
        signed_in = await store.authenticate(form.username, form.password)
        if signed_in is None:
            raise Problem(
                401,
                "NIK/email atau kata sandi salah / Wrong NIK, email or password",
                "Check the NIK or email and the password, then try again.",
                headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
            )
        access_token, lifetime = issue_token(settings, signed_in.subject, signed_in.roles)
        return Token(access_token=access_token, expires_in=lifetime)

    async def own_account(request: Request, principal: CitizenPrincipal) -> dict[str, Any]:
        if not principal.is_citizen:
            raise Problem(403, "Khusus warga / Citizens only", "Operators have no profile.")
        account = await store.profile(principal.subject)
        if account is None:
            raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
        return account

    @router.get("/me", response_model=Profile, summary="My profile")
    async def me(request: Request, principal: Principal) -> Profile:
        return _profile(await own_account(request, principal))

    @router.patch("/me", response_model=Profile, summary="Change my profile")
    async def update_me(
        body: ProfileUpdate,
        request: Request,
        principal: Principal,
    ) -> Profile:
        await own_account(request, principal)
        return _profile(await store.update_profile(principal.subject, body))

    return router
