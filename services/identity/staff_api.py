"""The staff administration API: a region's administrator adds and stops its own
offices' officers and its counters, without asking the platform's operators.

``POST /api/v1/staff`` adds an account and answers its one-time initial password, as
``mpp staff add`` prints it; ``GET /api/v1/staff`` lists the accounts the caller
administers; ``POST /api/v1/staff/{username}/disable`` and ``…/reset-password`` stop an
account or give it a new password. Who may do what is decided by the caller's token
alone (:mod:`services.identity.staff_admin`, the same functions ``mpp staff`` calls);
refusals are answered by identity's refusal table (:mod:`services.identity.refusals`).

A disable or reset is refused by identity and intake at once. Routing checks staff
tokens by signature and its own ``staff_revocations``: the store stages a
``staff.access_revoked`` event with the change, routing records it, and a disabled
officer's token issued earlier is refused by the agency API and the workbench within
seconds — see docs/identity.md.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.identity.deps import parts
from services.identity.staff import StaffStore
from services.identity.staff_admin import (
    Administrator,
    add_staff,
    disable_staff,
    reset_staff_password,
    visible_staff,
)
from shared.auth import TokenVerifier
from shared.problems import Problem

__all__ = ["staff_router"]

staff_router = APIRouter(prefix="/api/v1/staff", tags=["staff administration"])

_NO_STORE = {"Cache-Control": "no-store"}  # answers that carry a password


def _store(request: Request) -> StaffStore:
    return parts(request).accounts.staff


async def _administrator(request: Request) -> Administrator:
    """The caller, when their token is a staff administrator's whose account may still
    act: 401 without a valid token or once the account is disabled or reset, 403 for
    any other token."""
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier(request)
    admin = Administrator.of(principal)
    if await _store(request).valid_for(principal) is None:
        raise Problem(
            401,
            "Akun petugas tidak berlaku / Staff account not valid",
            "Akun ini dinonaktifkan atau kata sandinya diganti; masuk lagi / This account "
            "was disabled or its password was reset; sign in again.",
            headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
        )
    return admin


Admin = Annotated[Administrator, Depends(_administrator)]
Store = Annotated[StaffStore, Depends(_store)]


class NewStaff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=40, description="3-40 lower-case letters, digits, . - _")
    role: str = Field(
        max_length=20,
        description="officer, supervisor, counter, kiosk, mobile_unit, queue_kiosk, "
        "counter_officer",
    )
    agency: str | None = Field(None, max_length=80, description="officer, supervisor: the office")
    region: str | None = Field(
        None, max_length=8, description="counter, kiosk, mobile_unit, queue_kiosk, counter_officer"
    )
    name: str | None = Field(None, max_length=100, description="As shown on screens.")


class StaffAccount(BaseModel):
    username: str
    role: str
    agency: str | None = None
    region: str | None = None
    name: str | None = None
    active: bool
    created_at: datetime
    created_by: str | None = Field(None, description="The administrator who added it.")
    disabled_at: datetime | None = None
    disabled_by: str | None = None


class WithPassword(StaffAccount):
    password: str = Field(
        description="One-time: stored only as a hash and never shown again; give it to "
        "the person directly."
    )


def _account(staff: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": staff["_id"],
        "active": staff.get("disabled_at") is None,
        **{key: staff.get(key) for key in StaffAccount.model_fields if key in staff},
    }


@staff_router.post(
    "",
    response_model=WithPassword,
    status_code=201,
    summary="Add a staff account (its one-time initial password in the answer)",
    responses={401: {}, 403: {}, 409: {}, 422: {}},
)
async def add(body: NewStaff, admin: Admin, store: Store, response: Response) -> WithPassword:
    staff, password = await add_staff(
        store,
        admin,
        body.username,
        body.role,
        agency=body.agency,
        region=body.region,
        name=body.name,
    )
    response.headers.update(_NO_STORE)
    return WithPassword(**_account(staff), password=password)


@staff_router.get(
    "",
    response_model=list[StaffAccount],
    summary="The staff accounts I administer",
    responses={401: {}, 403: {}},
)
async def listing(
    admin: Admin,
    store: Store,
    role: Annotated[str | None, Query(max_length=20)] = None,
    agency: Annotated[str | None, Query(max_length=80)] = None,
    region: Annotated[str | None, Query(max_length=8)] = None,
) -> list[StaffAccount]:
    found = await visible_staff(store, admin, agency=agency, role=role, region=region)
    return [StaffAccount(**_account(staff)) for staff in found]


@staff_router.post(
    "/{username}/disable",
    response_model=StaffAccount,
    summary="Disable a staff account at once (sign-in and earlier tokens refused)",
    responses={401: {}, 403: {}, 404: {}},
)
async def disable(username: str, admin: Admin, store: Store) -> StaffAccount:
    disabled, _ = await disable_staff(store, admin, username, revocations=None)
    return StaffAccount(**_account(disabled))


@staff_router.post(
    "/{username}/reset-password",
    response_model=WithPassword,
    summary="Give a staff account a new one-time password (earlier sessions end)",
    responses={401: {}, 403: {}, 404: {}},
)
async def reset_password(
    username: str, admin: Admin, store: Store, response: Response
) -> WithPassword:
    updated, password = await reset_staff_password(store, admin, username, revocations=None)
    response.headers.update(_NO_STORE)
    return WithPassword(**_account(updated), password=password)
