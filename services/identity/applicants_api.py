"""What intake asks identity, always with the caller's own token.

Intake holds no account: at every submission it asks here whether the caller's session
still stands, which staff account an operator's token belongs to, and the applicant's
declared fields (:mod:`shared.applicant`) — after saving what the form added. Each
question is answered exactly as far as the token reaches:

* ``GET /api/v1/auth/session`` — the token's session still stands (401 once its account
  signed out everywhere), and since when its account's tokens are valid, so intake can
  judge the next requests of the same account for a few seconds on its own;
* ``GET /api/v1/staff/me`` — the staff account behind an operator's token, while it may
  act (401 once disabled or its password reset);
* ``POST /api/v1/me/applicant`` — a citizen's own declared fields for one service: 403
  while the account is not proven, 422 naming what is missing; the fields the form adds
  are saved first under the rules of ``PATCH /api/v1/me``;
* ``POST /api/v1/counter/applicants`` — a counter operator's or a mobile unit's citizen,
  named by the NIK on the KTP in hand: the account that proved it and the declared
  fields for one service, after filling only what the profile lacks, in the operator's
  name (:mod:`services.identity.counter_profile`).

A citizen's token never reads another citizen's fields here; an operator's reads only
the fields the service declares, for a citizen it names by NIK, in its own region.
"""

from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.identity.account_history import Actor
from services.identity.accounts import refuse_unproven
from services.identity.counter_api import serving_staff
from services.identity.counter_profile import fill_missing
from services.identity.deps import AccountsDep, CatalogueDep, PartsDep, parts
from shared.applicant import applicant_snapshot
from shared.auth import CitizenPrincipal, TokenVerifier
from shared.catalogue import Catalogue, Service
from shared.privacy.plain_input import PlainInput
from shared.problems import Problem
from shared.profile import ProfileUpdate

__all__ = ["applicants_router"]

log = structlog.get_logger(__name__)

applicants_router = APIRouter(prefix="/api/v1", tags=["applicants"])


async def _caller(request: Request) -> CitizenPrincipal:
    """The verified caller, not signed out since; intake's own rate limits already
    counted the request, so this one is not counted again."""
    verifier: TokenVerifier = request.app.state.verifier
    caller = await verifier(request)
    await parts(request).sessions.refuse_signed_out(caller)
    return caller


Caller = Annotated[CitizenPrincipal, Depends(_caller)]


class SessionState(BaseModel):
    subject: str
    tokens_valid_after: datetime | None = Field(
        None, description="Tokens of this account issued before then are refused."
    )


@applicants_router.get("/auth/session", response_model=SessionState, summary="My session")
async def session_state(caller: Caller, parts: PartsDep) -> SessionState:
    """Whether the token's session stands, and since when the account's tokens count."""
    valid_after = None
    if caller.is_citizen:
        valid_after = await parts.sessions.tokens_valid_after(caller.subject)
    return SessionState(subject=caller.subject, tokens_valid_after=valid_after)


class StaffMember(BaseModel):
    username: str
    role: str
    region: str | None = None
    agency: str | None = None


@applicants_router.get("/staff/me", response_model=StaffMember, summary="My staff account")
async def staff_me(caller: Caller, parts: PartsDep) -> StaffMember:
    """The staff account behind the token while it may act; 401 once disabled or reset."""
    if caller.operator_role is None and caller.agency_role is None:
        raise Problem(403, "Khusus petugas / Staff only", "This token is not a staff account's.")
    bound_to = "region" if caller.operator_role is not None else "agency"
    staff = await serving_staff(parts.accounts.staff, caller, bound_to=bound_to)
    return StaffMember(
        username=staff["_id"],
        role=staff["role"],
        region=staff.get("region"),
        agency=staff.get("agency"),
    )


class ApplicantRequest(PlainInput):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(max_length=100)
    channel: str = Field("web", max_length=20, description="Where the application is made.")
    applicant: ProfileUpdate | None = None


class ApplicantAnswer(BaseModel):
    citizen_id: str
    applicant: dict[str, Any] | None = Field(
        description="The service's declared fields; null when it declares none."
    )


def _service(catalogue: Catalogue, code: str) -> Service:
    service = catalogue.service(code)
    if service is None:
        raise Problem(
            422,
            "Layanan tidak dikenal / Unknown service",
            f"No service {code} in the catalogue.",
            errors=[{"field": "service", "message": "unknown service"}],
        )
    return service


def _answer(citizen_id: str, account: dict[str, Any], service: Service) -> ApplicantAnswer:
    snapshot = applicant_snapshot(account, service)
    return ApplicantAnswer(
        citizen_id=citizen_id,
        applicant=None
        if snapshot is None
        else snapshot.model_dump(mode="json", exclude_unset=True),
    )


@applicants_router.post(
    "/me/applicant",
    response_model=ApplicantAnswer,
    summary="My declared fields for a service, after saving what the form added",
    responses={403: {}, 422: {}},
)
async def my_applicant(
    caller: Caller, body: ApplicantRequest, parts: PartsDep, catalogue: CatalogueDep
) -> ApplicantAnswer:
    if not caller.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Operators have no profile.")
    service = _service(catalogue, body.service)
    account = await parts.accounts.profile(caller.subject)
    if account is None:
        raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
    refuse_unproven(account, body.channel)
    if body.applicant is not None and body.applicant.model_fields_set:
        # A new email or phone is refused there without the current password (a stolen
        # token must not move a recovery factor); the same values as stored are no change.
        try:
            account = await parts.accounts.update_profile(caller.subject, body.applicant)
        except Problem as problem:  # name the fields as the submission did
            for error in problem.extensions.get("errors") or []:
                error["field"] = f"applicant.{error['field']}"
            raise
    return _answer(caller.subject, account, service)


class CounterApplicantRequest(PlainInput):
    model_config = ConfigDict(extra="forbid")

    nik: str = Field(pattern=r"^[0-9]{16}$", description="From the KTP in hand.")
    service: str = Field(max_length=100)
    region: str = Field(pattern=r"^[0-9]{4}$", description="Where the application is made.")
    applicant: ProfileUpdate | None = None


_NO_ACCOUNT = {
    "counter": (
        "Register the citizen first with POST /api/v1/accounts.",
        "no account",
    ),
    "mobile_unit": (
        "Belum ada akun yang terverifikasi dengan NIK ini; daftarkan warga dan verifikasi "
        "NIK-nya di loket / No account has proven this NIK: register the citizen and prove "
        "the NIK at a counter (POST /api/v1/accounts, then /api/v1/counter/nik-verifications).",
        "no proven account",
    ),
}


@applicants_router.post(
    "/counter/applicants",
    response_model=ApplicantAnswer,
    summary="The citizen of a KTP in hand and their declared fields (counters, mobile units)",
    responses={401: {}, 403: {}, 409: {}, 422: {}},
)
async def counter_applicant(
    caller: Caller,
    body: CounterApplicantRequest,
    accounts: AccountsDep,
    catalogue: CatalogueDep,
) -> ApplicantAnswer:
    """The NIK goes in the body, so it stays out of URLs and access logs."""
    role = caller.operator_role
    if role not in _NO_ACCOUNT:
        raise Problem(
            403,
            "Khusus petugas loket dan layanan keliling / Counters and mobile units only",
            "Only a counter operator's or a mobile unit's account serves a citizen by NIK.",
        )
    staff = await serving_staff(accounts.staff, caller)
    if body.region != staff["region"]:
        raise Problem(
            403,
            "Di luar wilayah MPP Anda / Outside your MPP's region",
            f"Akun ini melayani wilayah {staff['region']} / This account serves region "
            f"{staff['region']} only.",
            errors=[{"field": "region", "message": f"must be {staff['region']}"}],
        )
    service = _service(catalogue, body.service)
    found = await accounts.find_by_nik(body.nik)
    account = None if found is None else await accounts.profile(str(found["_id"]))
    if account is None:
        detail, message = _NO_ACCOUNT[role]
        raise Problem(
            422,
            "Warga belum punya akun / Citizen has no account",
            detail,
            errors=[{"field": "citizen_nik", "message": message}],
        )
    refuse_unproven(account, "counter")
    if body.applicant is not None and body.applicant.model_fields_set:
        operator = Actor(role, staff["_id"], staff["region"])  # type: ignore[arg-type]
        account = await fill_missing(accounts, account, body.applicant, operator)
    log.info("counter applicant", staff=staff["_id"], region=staff["region"])
    return _answer(str(account["_id"]), account, service)
