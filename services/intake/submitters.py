"""Who an application submitted over HTTP is for, and with which applicant data.

A citizen submits for themselves; a counter operator for the citizen whose KTP is in
hand (by NIK); a kiosk for the citizen signed in at it (their token in
``X-Citizen-Token``) — always in the operator's own region, as identity's counter rules
say. A mobile unit sends batches instead (:mod:`services.intake.batches`).

The route reads the request into a :class:`SubmitForm` command; :func:`submission_for`
turns it, with what it needs (:class:`Applicants`: identity, the catalogue, the
caller's uploads, a judge of a kiosk's citizen), into the
:class:`~services.intake.submissions.Submit` command. Nothing here reads HTTP.
"""

from dataclasses import dataclass
from typing import Any

from services.intake.documents import DocumentStore
from services.intake.idempotency import Remember
from services.intake.identity_client import IdentityClient
from services.intake.operators import CitizenJudge, kiosk_citizen, serving_staff
from services.intake.refusals import (
    CitizenNikRequired,
    KioskTakesNoNik,
    MobileUnitsSendBatches,
    NotAnApplicant,
    OperatorChannelOnly,
    OutsideRegion,
)
from services.intake.schemas import SubmitApplication
from services.intake.submissions import Submit, validate_request
from shared.auth import CitizenPrincipal
from shared.catalogue import Catalogue
from shared.events import Applicant

__all__ = ["Applicants", "SubmitForm", "submission_for"]


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
    """Judges a kiosk's citizen's token as if the citizen had called."""


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
        citizen_id, channel = _citizen_self(body, caller)
        applicant = await _applicant(command, command.authorization, channel, parts)
        return citizen_id, channel, applicant
    if role == "mobile_unit":
        raise MobileUnitsSendBatches(caller.subject)
    staff = await serving_staff(parts.identity, command.authorization, command.client)
    if body.region != staff["region"]:
        raise OutsideRegion(staff["region"])
    if role == "kiosk":
        if body.citizen_nik is not None:
            raise KioskTakesNoNik(caller.subject)
        citizen = await kiosk_citizen(command.citizen_token, parts.judge)
        token = f"Bearer {command.citizen_token}"
        return citizen.subject, role, await _applicant(command, token, role, parts)
    return await _counter_citizen(command, parts)


def _citizen_self(body: SubmitApplication, caller: CitizenPrincipal) -> tuple[str, str]:
    if not caller.is_citizen:
        raise NotAnApplicant(caller.subject)
    if body.channel in ("counter", "kiosk") or body.citizen_nik is not None:
        raise OperatorChannelOnly(caller.subject)
    return caller.subject, body.channel


async def _counter_citizen(command: SubmitForm, parts: Applicants) -> tuple[str, str, Any]:
    """The citizen whose KTP the operator holds, by NIK, and their declared fields after
    filling what the profile lacked in the operator's name (identity does both)."""
    body = command.body
    if body.citizen_nik is None:
        raise CitizenNikRequired(command.caller.subject)
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
    checked = Submit(
        service=body.service,
        region=body.region,
        data=body.data,
        channel=body.channel,
        citizen_id="",
        correlation_id="",
    )
    validate_request(catalogue, checked)


async def _applicant(
    command: SubmitForm, authorization: str, channel: str, parts: Applicants
) -> Applicant | None:
    """The declared fields from the citizen's profile, after saving what the form
    added; refused while the account is not proven, naming what is still missing.

    Identity answers, asked with the citizen's own token: an application never changes
    the email or the phone (the citizen changes those in their profile, where changing
    a recovery factor is guarded)."""
    body = command.body
    _validated(body, parts.catalogue)  # a bad form saves nothing
    return await parts.identity.my_applicant(
        authorization,
        command.client,
        service=body.service,
        channel=channel,
        applicant=body.applicant,
    )
