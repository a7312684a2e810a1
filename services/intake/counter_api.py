"""Counters and kiosks: serving a citizen in person, each under the staff account of the
one who does it.

A **counter operator** checks the citizen's KTP in hand, looks the account up by NIK
(``GET /api/v1/counter/citizens?nik=``: the account id, the name to compare with the
card, and which profile fields are present — nothing else), then submits for them with
``citizen_nik`` (channel ``counter``). A **kiosk** has nobody to check a card, and a NIK
proves nothing (it is printed on every KTP): the citizen signs in at the kiosk with their
own password, and the kiosk sends that citizen's access token in ``X-Citizen-Token``
beside its own (channel ``kiosk``). Either way the application is submitted in the
operator's MPP region only, and the operator's username is kept with it.

A disabled account, or a token issued before its password was reset, is refused here at
once (intake holds the staff accounts).
"""

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Annotated, Any, cast

import structlog
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.intake.accounts import AccountStore
from services.intake.applicant import missing_fields
from services.intake.staff import StaffStore
from shared.auth import CitizenPrincipal
from shared.catalogue import APPLICANT_FIELDS, Service
from shared.problems import Problem

__all__ = ["CITIZEN_TOKEN_HEADER", "counter_router", "kiosk_citizen", "serving_staff"]

CITIZEN_TOKEN_HEADER = "X-Citizen-Token"  # noqa: S105 - a header name, not a secret
"""The header a kiosk sends the signed-in citizen's access token in."""

log = structlog.get_logger(__name__)

_EVERY_FIELD = cast(Service, SimpleNamespace(applicant_fields=APPLICANT_FIELDS))


class CounterCitizen(BaseModel):
    """What a counter needs to serve a citizen, and no more."""

    id: str = Field(description="The citizen's account id.")
    name: str = Field(description="To compare with the KTP in hand.")
    present_fields: list[str] = Field(description="Profile fields the account holds.")
    missing_fields: list[str] = Field(
        description="Profile fields it lacks: a service that declares one needs it in the "
        "submission's applicant."
    )


async def serving_staff(staff: StaffStore, principal: CitizenPrincipal) -> dict[str, Any]:
    """The counter's or kiosk's staff account behind the token, while it may act: 401 for
    a disabled account or a token older than the last password reset."""
    found = await staff.valid_for(principal)
    if found is None or found.get("region") is None:
        raise Problem(
            401,
            "Akun petugas tidak berlaku / Staff account not valid",
            "Akun ini dinonaktifkan atau kata sandinya diganti; masuk lagi / This account "
            "was disabled or its password was reset; sign in again.",
            headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
        )
    return found


async def kiosk_citizen(
    request: Request, principal: Callable[[Request], Awaitable[CitizenPrincipal]]
) -> CitizenPrincipal:
    """The citizen signed in at a kiosk, from the token in ``X-Citizen-Token``.

    The token is judged by intake's own ``principal`` dependency, exactly as if the
    citizen had called: signature and expiry, not signed out everywhere since, within
    the account's rate limit."""
    token = request.headers.get(CITIZEN_TOKEN_HEADER)
    if not token:
        raise Problem(
            422,
            "Warga belum masuk di kios / Citizen not signed in at the kiosk",
            f"Warga masuk di kios dengan akunnya sendiri; kirim tokennya di {CITIZEN_TOKEN_HEADER}"
            f" / The citizen signs in at the kiosk with their own account; send their access "
            f"token in {CITIZEN_TOKEN_HEADER} (a NIK alone proves nothing).",
            errors=[{"field": CITIZEN_TOKEN_HEADER, "message": "required for kiosks"}],
        )
    as_citizen = Request(
        {
            "type": "http",
            "method": request.method,
            "path": request.url.path,
            "query_string": b"",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
            "client": request.scope.get("client"),
        }
    )
    try:
        citizen = await principal(as_citizen)
    except Problem as problem:
        problem.detail = f"{CITIZEN_TOKEN_HEADER}: {problem.detail}"
        raise
    if not citizen.is_citizen:
        raise Problem(
            403,
            "Bukan akun warga / Not a citizen's account",
            f"{CITIZEN_TOKEN_HEADER} must carry a citizen's token.",
        )
    return citizen


def counter_router(
    accounts: AccountStore, principal: Callable[..., Awaitable[CitizenPrincipal]]
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/counter", tags=["counter"])
    Principal = Annotated[CitizenPrincipal, Depends(principal)]

    @router.get(
        "/citizens",
        response_model=CounterCitizen,
        summary="Look a citizen up by NIK (counter operators)",
        responses={403: {}, 404: {}},
    )
    async def look_up(
        caller: Principal,
        nik: Annotated[str, Query(pattern=r"^[0-9]{16}$", description="From the KTP in hand.")],
    ) -> CounterCitizen:
        """Minimal data only: the account id to submit for, the name to compare with the
        card, and which profile fields are present (never their values)."""
        if caller.operator_role != "counter":
            raise Problem(
                403,
                "Khusus petugas loket / Counter operators only",
                "Only a counter operator's account looks citizens up by NIK.",
            )
        staff = await serving_staff(accounts.staff, caller)
        account = await accounts.find_by_nik(nik)
        log.info("counter lookup", staff=staff["_id"], region=staff["region"], found=bool(account))
        if account is None:
            raise Problem(
                404,
                "Warga belum punya akun / Citizen has no account",
                "Tidak ada akun untuk NIK ini; daftarkan warga dulu / No account for this NIK; "
                "register the citizen first (POST /api/v1/accounts).",
            )
        missing = missing_fields(account, _EVERY_FIELD)
        return CounterCitizen(
            id=account["_id"],
            name=account["name"],
            present_fields=[f for f in APPLICANT_FIELDS if f not in missing],
            missing_fields=missing,
        )

    return router
