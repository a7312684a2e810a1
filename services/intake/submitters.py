"""Who an application submitted over HTTP is for, and with which applicant data.

A citizen submits for themselves; a counter operator for the citizen whose KTP is in
hand (by NIK); a kiosk for the citizen signed in at it (their token in
``X-Citizen-Token``) — always in the operator's own region
(:mod:`services.identity.counter_api`). A mobile unit sends batches instead
(:mod:`services.intake.batches`). :func:`submission_for` turns a request into the
:class:`~services.intake.submissions.Submit` command.
"""

from typing import Any

from fastapi import Request

from services.intake.deps import IntakeParts
from services.intake.idempotency import KeyRecord
from services.intake.operators import (
    CITIZEN_TOKEN_HEADER,
    client_ip,
    kiosk_citizen,
    serving_staff,
)
from services.intake.schemas import SubmitApplication
from services.intake.submissions import Submit, validate_request
from shared.auth import CitizenPrincipal
from shared.correlation import current_correlation_id
from shared.problems import Problem

__all__ = ["applicant_for", "citizen_for", "submission_for"]


async def submission_for(
    body: SubmitApplication,
    caller: CitizenPrincipal,
    request: Request,
    parts: IntakeParts,
    remember: KeyRecord,
) -> Submit:
    """The command a request makes: for whom, with the applicant's declared fields and
    the documents uploaded first; ``remember`` is stored with the application."""
    citizen_id, channel, applicant = await citizen_for(body, caller, request, parts)
    documents = await parts.documents.resolve(citizen_id, body.documents)
    return Submit(
        service=body.service,
        region=body.region,
        data=body.data,
        channel=channel,  # type: ignore[arg-type]
        citizen_id=citizen_id,
        correlation_id=current_correlation_id(),
        operator_id=caller.subject if caller.operator_role else None,
        documents=documents,
        applicant=applicant,
        remember=remember,
    )


async def citizen_for(
    body: SubmitApplication, caller: CitizenPrincipal, request: Request, parts: IntakeParts
) -> tuple[str, str, Any]:
    """(citizen id, channel, applicant): the caller, or the citizen a counter operator
    or a kiosk serves, in the operator's own region, and the declared fields."""
    role = caller.operator_role
    if role is None:
        citizen_id, channel = _citizen_self(body, caller)
        authorization = request.headers.get("authorization", "")
        applicant = await applicant_for(body, authorization, channel, request, parts)
        return citizen_id, channel, applicant
    if role == "mobile_unit":
        raise Problem(
            403,
            "Layanan keliling mengirim per batch / Mobile units send batches",
            "Petugas layanan keliling mengirim permohonan lewat POST /api/v1/batches "
            "(satu batch boleh berisi satu permohonan) / A mobile unit's operator sends "
            "applications through POST /api/v1/batches (a batch may hold one).",
        )
    staff = await serving_staff(parts.identity, request)
    if body.region != staff["region"]:
        raise Problem(
            403,
            "Di luar wilayah MPP Anda / Outside your MPP's region",
            f"Akun ini melayani wilayah {staff['region']} / This account serves region "
            f"{staff['region']} only.",
            errors=[{"field": "region", "message": f"must be {staff['region']}"}],
        )
    if role == "kiosk":
        citizen = await _kiosk_citizen(body, request, parts)
        token = f"Bearer {request.headers[CITIZEN_TOKEN_HEADER]}"
        return citizen, role, await applicant_for(body, token, role, request, parts)
    return await _counter_citizen(body, request, parts)


def _citizen_self(body: SubmitApplication, caller: CitizenPrincipal) -> tuple[str, str]:
    if not caller.is_citizen:
        raise Problem(
            403,
            "Khusus warga, loket dan kios / Citizens, counters and kiosks only",
            "Agency staff and administrators do not submit applications.",
        )
    if body.channel in ("counter", "kiosk") or body.citizen_nik is not None:
        raise Problem(
            403,
            "Khusus petugas loket dan kios / Counter and kiosk only",
            "The counter and kiosk channels and citizen_nik need an operator credential.",
        )
    return caller.subject, body.channel


async def _kiosk_citizen(body: SubmitApplication, request: Request, parts: IntakeParts) -> str:
    """The citizen signed in at the kiosk; never one named by NIK."""
    if body.citizen_nik is not None:
        raise Problem(
            422,
            "Kios tidak menerima NIK / Kiosks do not take a NIK",
            "NIK bukan bukti identitas; warga masuk di kios dengan akunnya sendiri / A "
            f"NIK proves nothing: the citizen signs in at the kiosk, and the kiosk "
            f"sends their token in {CITIZEN_TOKEN_HEADER}.",
            errors=[{"field": "citizen_nik", "message": "not for kiosks"}],
        )
    citizen = await kiosk_citizen(request, parts.principal)
    return citizen.subject


async def _counter_citizen(
    body: SubmitApplication, request: Request, parts: IntakeParts
) -> tuple[str, str, Any]:
    """The citizen whose KTP the operator holds, by NIK, and their declared fields after
    filling what the profile lacked in the operator's name (identity does both)."""
    if body.citizen_nik is None:
        raise Problem(
            422,
            "NIK warga wajib / Citizen's NIK required",
            "A counter operator submits for a citizen: send citizen_nik.",
            errors=[{"field": "citizen_nik", "message": "required for counter operators"}],
        )
    _validated(body, parts)  # a bad form saves nothing to the profile
    citizen_id, applicant = await parts.identity.counter_applicant(
        request.headers.get("authorization", ""),
        client_ip(request),
        nik=body.citizen_nik,
        service=body.service,
        region=body.region,
        applicant=body.applicant,
    )
    return citizen_id, "counter", applicant


def _validated(body: SubmitApplication, parts: IntakeParts) -> None:
    """422 for a form the service refuses, before anything is asked of identity."""
    checked = Submit(
        service=body.service,
        region=body.region,
        data=body.data,
        channel=body.channel,
        citizen_id="",
        correlation_id="",
    )
    validate_request(parts.runtime.catalogue, checked)


async def applicant_for(
    body: SubmitApplication,
    authorization: str,
    channel: str,
    request: Request,
    parts: IntakeParts,
) -> Any:
    """The declared fields from the citizen's profile, after saving what the form
    added; 403 while the account is not proven, 422 naming what is still missing.

    Identity answers, asked with the citizen's own token: an application never changes
    the email or the phone (the citizen changes those in their profile, where changing
    a recovery factor is guarded)."""
    _validated(body, parts)  # a bad form saves nothing
    return await parts.identity.my_applicant(
        authorization,
        client_ip(request),
        service=body.service,
        channel=channel,
        applicant=body.applicant,
    )
