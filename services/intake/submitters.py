"""Who an application submitted over HTTP is for, and with which applicant data.

A citizen submits for themselves; a counter operator for the citizen whose KTP is in
hand (by NIK); a kiosk for the citizen signed in at it (their token in
``X-Citizen-Token``) — always in the operator's own region, as identity's counter rules
say. A mobile unit sends batches instead (:mod:`services.intake.batches`). Each operator
acts under a staff account identity holds, asked with the operator's own token.

The route reads the request into a :class:`SubmitForm` command; :func:`submission_for`
turns it, with :class:`Applicants`, into the
:class:`~services.intake.submissions.Submit` command. Nothing here reads HTTP.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.intake.documents import DocumentStore
from services.intake.idempotency import Remember
from services.intake.identity_client import IdentityClient
from services.intake.refusals import (
    CITIZEN_TOKEN_HEADER,
    CitizenNikRequired,
    KioskCitizenMissing,
    KioskTakesNoNik,
    MobileUnitsSendBatches,
    NotACitizensToken,
    NotAnApplicant,
    OperatorChannelOnly,
    OutsideRegion,
    StaffAccountNotValid,
)
from services.intake.schemas import SubmitApplication
from services.intake.submissions import Submit, validate_request
from shared.auth import CitizenPrincipal
from shared.catalogue import Catalogue
from shared.events import Applicant

__all__ = [
    "CITIZEN_TOKEN_HEADER",
    "Applicants",
    "CitizenJudge",
    "SubmitForm",
    "serving_staff",
    "submission_for",
]

CitizenJudge = Callable[[str], Awaitable[CitizenPrincipal]]
"""Judges a citizen's access token exactly as if the citizen had called intake:
signature and expiry, not signed out everywhere since, within the account's rate limit."""


@dataclass(frozen=True)
class SubmitForm:
    """Submit the form a request carries: for the caller, or for the citizen a counter
    or a kiosk serves."""

    body: SubmitApplication
    caller: CitizenPrincipal
    authorization: str
    """The caller's own ``Authorization``: identity is asked with it."""
    client: str | None
    """The caller's address, which identity's per-IP limit counts."""
    citizen_token: str | None
    """A kiosk's signed-in citizen's access token (``X-Citizen-Token``)."""
    correlation_id: str
    remember: Remember
    """What to remember under the request's Idempotency-Key."""


@dataclass(frozen=True)
class Applicants:
    """What finding the applicant needs."""

    identity: IdentityClient
    catalogue: Catalogue
    documents: DocumentStore
    judge: CitizenJudge


async def serving_staff(
    identity: IdentityClient, authorization: str, client: str | None
) -> dict[str, Any]:
    """The operator's staff account while it may act, bound to a region; refused for a
    disabled account or a token older than the last password reset."""
    found = await identity.staff(authorization, client)
    if found.get("region") is None:
        raise StaffAccountNotValid(found.get("_id"))
    return found


async def submission_for(command: SubmitForm, parts: Applicants) -> Submit:
    """The submission a form makes: for whom, with the applicant's declared fields and
    the documents uploaded first."""
    body, caller = command.body, command.caller
    citizen_id, channel, applicant = await _citizen_for(command, parts)
    documents = await parts.documents.resolve(citizen_id, body.documents)
    return Submit(
        service=body.service,
        region=body.region,
        data=body.data,
        channel=channel,  # type: ignore[arg-type]
        citizen_id=citizen_id,
        correlation_id=command.correlation_id,
        operator_id=caller.subject if caller.operator_role else None,
        documents=documents,
        applicant=applicant,
        remember=command.remember,
    )


async def _citizen_for(command: SubmitForm, parts: Applicants) -> tuple[str, str, Any]:
    """(citizen id, channel, applicant): the caller, or the citizen a counter operator
    or a kiosk serves, in the operator's own region, and the declared fields."""
    body, caller = command.body, command.caller
    role = caller.operator_role
    if role is None:
        if not caller.is_citizen:
            raise NotAnApplicant(caller.subject)
        if body.channel in ("counter", "kiosk") or body.citizen_nik is not None:
            raise OperatorChannelOnly(caller.subject)
        applicant = await _applicant(command, command.authorization, body.channel, parts)
        return caller.subject, body.channel, applicant
    if role == "mobile_unit":
        raise MobileUnitsSendBatches(caller.subject)
    staff = await serving_staff(parts.identity, command.authorization, command.client)
    if body.region != staff["region"]:
        raise OutsideRegion(staff["region"])
    if role == "kiosk":
        if body.citizen_nik is not None:
            raise KioskTakesNoNik(caller.subject)
        if not command.citizen_token:
            raise KioskCitizenMissing()
        citizen = await parts.judge(command.citizen_token)
        if not citizen.is_citizen:
            raise NotACitizensToken()
        token = f"Bearer {command.citizen_token}"
        return citizen.subject, role, await _applicant(command, token, role, parts)
    if body.citizen_nik is None:
        raise CitizenNikRequired(caller.subject)
    # The citizen whose KTP the operator holds, by NIK, and their declared fields after
    # filling what the profile lacked in the operator's name (identity does both).
    _validated(body, parts.catalogue)  # a bad form saves nothing to the profile
    citizen_id, applicant = await parts.identity.counter_applicant(
        command.authorization,
        command.client,
        nik=body.citizen_nik,
        service=body.service,
        region=body.region,
        applicant=body.applicant,
    )
    return citizen_id, "counter", applicant


def _validated(body: SubmitApplication, catalogue: Catalogue) -> None:
    """Refuse a form the service refuses, before anything is asked of identity."""
    checked = Submit(body.service, body.region, body.data, body.channel, "", "")
    validate_request(catalogue, checked)


async def _applicant(
    command: SubmitForm, authorization: str, channel: str, parts: Applicants
) -> Applicant | None:
    """The declared fields from the citizen's profile, after saving what the form
    added; refused while the account is not proven. Identity answers, asked with the
    citizen's own token: an application never changes the email or the phone (the
    citizen changes those in their profile, where changing a recovery factor is
    guarded)."""
    body = command.body
    _validated(body, parts.catalogue)  # a bad form saves nothing
    return await parts.identity.my_applicant(
        authorization,
        command.client,
        service=body.service,
        channel=channel,
        applicant=body.applicant,
    )
