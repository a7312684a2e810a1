"""Counters and kiosks: serving a citizen in person, each under the staff account of the
one who does it.

A **counter operator** checks the citizen's KTP in hand, looks the account up by NIK
(``POST /api/v1/counter/citizens`` with the NIK in the body, never in a URL: the account
id, the name to compare with the card, and which profile fields are present — nothing
else), then submits for them with ``citizen_nik`` (channel ``counter``): it may fill the
profile fields the account lacks, never change a contact
(:mod:`services.identity.counter_profile`). A **kiosk** has nobody to check a card, and a NIK
proves nothing (it is printed on every KTP): the citizen signs in at the kiosk with their
own password, and the kiosk sends that citizen's access token in ``X-Citizen-Token``
beside its own (channel ``kiosk``). Either way the application is submitted in the
operator's MPP region only, and the operator's username is kept with it.

A counter proof made on the wrong account (a squatter's) is taken back by a supervisor
of Disdukcapil — the office behind the NIK — with the holder's KTP in hand
(``POST /api/v1/counter/nik-revocations``, a reason required): the account history of
the account names the supervisor, and the real holder can then prove the NIK.

A disabled account, or a token issued before its password was reset, is refused here at
once (identity holds the staff accounts). Intake submits what a counter, a kiosk or a
mobile unit sends (:mod:`services.identity.applicants_api` answers its questions).
"""

from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import structlog
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.identity.account_history import Actor
from services.identity.accounts import AccountStore
from services.identity.deps import AccountsDep, OwnershipDep, Principal
from services.identity.staff import StaffStore
from shared.applicant import missing_fields
from shared.auth import CitizenPrincipal
from shared.catalogue import APPLICANT_FIELDS, Service
from shared.privacy.plain_input import PlainInput
from shared.problems import Problem

__all__ = [
    "REGISTRY_AGENCY_PREFIX",
    "counter_router",
    "serving_staff",
]

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


async def serving_staff(
    staff: StaffStore, principal: CitizenPrincipal, bound_to: str = "region"
) -> dict[str, Any]:
    """The staff account behind the token, while it may act — a counter's or kiosk's,
    bound to a region; a supervisor's, bound to an agency: 401 for a disabled account or
    a token older than the last password reset."""
    found = await staff.valid_for(principal)
    if found is None or found.get(bound_to) is None:
        raise Problem(
            401,
            "Akun petugas tidak berlaku / Staff account not valid",
            "Akun ini dinonaktifkan atau kata sandinya diganti; masuk lagi / This account "
            "was disabled or its password was reset; sign in again.",
            headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
        )
    return found


class NikHoldersQuery(PlainInput):
    model_config = ConfigDict(extra="forbid")

    nik: str = Field(pattern=r"^[0-9]{16}$", description="From the KTP in hand.")
    email: str | None = Field(
        None, max_length=254, description="The citizen's email: only their account is listed."
    )


class NikHolder(BaseModel):
    """An account registered with the NIK, shown so the citizen can point at theirs."""

    id: str
    name: str
    email_hint: str = Field(description="Masked, e.g. s***@example.id.")
    phone_hint: str = Field(description="Masked, e.g. +6281******890.")
    nik_verified: bool
    frozen: bool = Field(
        description="Frozen when someone else proved the NIK; a proof here brings it back."
    )
    registered_at: datetime


class CounterProof(PlainInput):
    model_config = ConfigDict(extra="forbid")

    citizen_id: str = Field(max_length=64, description="The account the citizen says is theirs.")
    nik: str = Field(
        pattern=r"^[0-9]{16}$", description="Typed from the KTP in hand; must be the account's."
    )
    name: str | None = Field(
        None, min_length=1, max_length=100, description="As on the KTP, when the profile's differs."
    )


class CounterProven(BaseModel):
    citizen_id: str
    nik_verified: bool
    frozen_accounts: int = Field(description="Other accounts of this NIK, now frozen.")


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    return phone[:5] + "*" * max(0, len(phone) - 8) + phone[-3:]


counter_router = APIRouter(prefix="/api/v1/counter", tags=["counter"])


async def _counter_staff(caller: CitizenPrincipal, accounts: AccountStore) -> dict[str, Any]:
    if caller.operator_role != "counter":
        raise Problem(
            403,
            "Khusus petugas loket / Counter operators only",
            "Only a counter operator's account looks citizens up and checks KTPs.",
        )
    return await serving_staff(accounts.staff, caller)


class CitizenLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nik: str = Field(pattern=r"^[0-9]{16}$", description="From the KTP in hand.")


@counter_router.post(
    "/citizens",
    response_model=CounterCitizen,
    summary="Look a citizen up by NIK (counter operators; the NIK in the body)",
    responses={403: {}, 404: {}},
)
async def look_up_citizen(
    caller: Principal, body: CitizenLookup, accounts: AccountsDep
) -> CounterCitizen:
    """Minimal data only: the account id to submit for, the name to compare with the
    card, and which profile fields are present (never their values). The NIK goes in
    the body, so it stays out of URLs, browser history and access logs."""
    staff = await _counter_staff(caller, accounts)
    account = await accounts.find_by_nik(body.nik)
    log.info("counter lookup", staff=staff["_id"], region=staff["region"], found=bool(account))
    if account is None:
        raise Problem(
            404,
            "Belum ada akun terverifikasi / No proven account",
            "Belum ada akun dengan NIK ini yang terverifikasi; periksa KTP lalu verifikasi "
            "akun warga (POST /api/v1/counter/nik-holders, lalu /nik-verifications), atau "
            "daftarkan warga dulu / No account has proven this NIK: check the KTP and verify "
            "the citizen's account (POST /api/v1/counter/nik-holders, then "
            "/nik-verifications), or register the citizen first (POST /api/v1/accounts).",
        )
    missing = missing_fields(account, _EVERY_FIELD)
    return CounterCitizen(
        id=account["_id"],
        name=account["name"],
        present_fields=[f for f in APPLICANT_FIELDS if f not in missing],
        missing_fields=missing,
    )


@counter_router.get("/citizens", include_in_schema=False, status_code=410)
async def look_up_citizen_by_query() -> None:
    """The old look-up with the NIK in the query string: refused, whatever it carries
    (nothing of it is read or logged), with where the look-up is now."""
    raise Problem(
        410,
        "Pencarian NIK lewat URL dihentikan / NIK look-up by URL is gone",
        "NIK tidak boleh ada di URL (tercatat di riwayat dan log); kirim NIK di badan "
        'permintaan: POST /api/v1/counter/citizens {"nik": "…"} / A NIK must not travel '
        "in a URL (history and logs keep it); send it in the body: POST "
        '/api/v1/counter/citizens {"nik": "…"}.',
    )


@counter_router.post(
    "/nik-holders",
    response_model=list[NikHolder],
    summary="Accounts registered with a NIK (counter operators)",
    responses={403: {}},
)
async def find_nik_holders(
    caller: Principal, body: NikHoldersQuery, accounts: AccountsDep
) -> list[NikHolder]:
    """Every account (not frozen) registered with the NIK on the KTP in hand, with
    masked contacts, so the citizen can say which is theirs. The NIK goes in the body,
    so it stays out of URLs and access logs."""
    staff = await _counter_staff(caller, accounts)
    found = await accounts.holders(body.nik, body.email)
    log.info("counter nik holders", staff=staff["_id"], found=len(found))
    return [
        NikHolder(
            id=account["_id"],
            name=account["name"],
            email_hint=mask_email(account["email"]),
            phone_hint=mask_phone(account["phone"]),
            nik_verified=bool(account.get("nik_verification")),
            frozen=account.get("frozen_at") is not None,
            registered_at=account["created_at"],
        )
        for account in found
    ]


@counter_router.post(
    "/nik-verifications",
    response_model=CounterProven,
    summary="Mark a citizen's NIK proven after checking the KTP in person",
    responses={403: {}, 404: {}, 409: {}, 422: {}},
)
async def prove_at_counter(
    caller: Principal, body: CounterProof, accounts: AccountsDep, ownership: OwnershipDep
) -> CounterProven:
    """The operator holds the KTP: its NIK must be the account's, and its name should
    be the profile's (send ``name`` to correct the profile). The account becomes the
    NIK's owner; any other account holding the NIK is frozen — also one that proved it
    through Dukcapil, since a card in hand outweighs a name and birth date somebody
    knew. The operator and the counter's region are kept with the proof."""
    staff = await _counter_staff(caller, accounts)
    await _account_of_the_ktp(accounts, body.citizen_id, body.nik)
    proven = await ownership.prove(
        body.citizen_id,
        method="counter",
        name=body.name,
        operator_id=staff["_id"],
        region=staff["region"],
    )
    log.info("counter nik proof", staff=staff["_id"], frozen=len(proven.frozen))
    return CounterProven(
        citizen_id=body.citizen_id, nik_verified=True, frozen_accounts=len(proven.frozen)
    )


class CounterRevocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    citizen_id: str = Field(max_length=64, description="The account whose NIK proof is wrong.")
    nik: str = Field(
        pattern=r"^[0-9]{16}$",
        description="Typed from the holder's KTP in hand; must be the account's NIK.",
    )
    reason: str = Field(
        min_length=10,
        max_length=500,
        description="Why the proof is taken back, for the account's history (sealed).",
    )


class CounterRevoked(BaseModel):
    citizen_id: str
    nik_verified: bool = Field(description="False: the NIK has no owner until proven again.")
    frozen: bool = Field(description="The account is frozen until a counter proves it again.")
    revoked_by: str = Field(description="The supervisor's username.")


async def _account_of_the_ktp(accounts: AccountStore, citizen_id: str, nik: str) -> dict[str, Any]:
    """The account, when the NIK typed from the KTP in hand is its NIK; else 422."""
    account = await accounts.profile(citizen_id)
    if account is None or account["nik"] != nik:
        raise Problem(
            422,
            "NIK tidak sesuai dengan akun / NIK does not match the account",
            "NIK pada KTP berbeda dengan NIK akun ini; periksa kembali / The NIK on the KTP "
            "is not this account's NIK; check again.",
            errors=[{"field": "nik", "message": "not this account's NIK"}],
        )
    return account


REGISTRY_AGENCY_PREFIX = "disdukcapil-"
"""Supervisors of these agencies (the population registry offices) take proofs back."""


async def _registry_supervisor(caller: CitizenPrincipal, accounts: AccountStore) -> dict[str, Any]:
    if caller.agency_role != "supervisor" or not (caller.agency or "").startswith(
        REGISTRY_AGENCY_PREFIX
    ):
        raise Problem(
            403,
            "Khusus supervisor Disdukcapil / Disdukcapil supervisors only",
            "Bukti NIK dari loket hanya dapat dicabut oleh supervisor Disdukcapil yang "
            "memegang KTP pemiliknya / Only a Disdukcapil supervisor holding the owner's KTP "
            "takes a counter's NIK proof back.",
        )
    return await serving_staff(accounts.staff, caller, bound_to="agency")


@counter_router.post(
    "/nik-revocations",
    response_model=CounterRevoked,
    summary="Take back a NIK proof made on the wrong account (Disdukcapil supervisors)",
    responses={401: {}, 403: {}, 409: {}, 422: {}},
)
async def revoke_nik_proof(
    caller: Principal, body: CounterRevocation, accounts: AccountsDep, ownership: OwnershipDep
) -> CounterRevoked:
    """The supervisor holds the KTP of the NIK's real holder, and the account proven
    for it is not theirs (a squatter's, chosen at a counter by mistake). The NIK has no
    owner again — the holder registers or proves their own account — and this account
    is frozen; its history names the supervisor and keeps the reason."""
    staff = await _registry_supervisor(caller, accounts)
    await _account_of_the_ktp(accounts, body.citizen_id, body.nik)
    supervisor = Actor("supervisor", staff["_id"], agency=staff["agency"])
    await ownership.revoke(body.citizen_id, supervisor, body.reason.strip())
    log.info("counter nik proof revoked", staff=staff["_id"])
    return CounterRevoked(
        citizen_id=body.citizen_id, nik_verified=False, frozen=True, revoked_by=staff["_id"]
    )
