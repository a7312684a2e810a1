"""Who an application submitted over HTTP is for, and with which applicant data.

A citizen submits for themselves; a counter operator for the citizen whose KTP is in
hand (by NIK); a kiosk for the citizen signed in at it (their token in
``X-Citizen-Token``) — always in the operator's own region
(:mod:`services.intake.counter_api`). A mobile unit sends batches instead
(:mod:`services.intake.batches`). :func:`submission_for` turns a request into the
:class:`~services.intake.submissions.Submit` command.
"""

from typing import Any

from fastapi import Request

from services.intake.account_history import Actor
from services.intake.accounts import refuse_unproven
from services.intake.applicant import applicant_snapshot
from services.intake.counter_api import CITIZEN_TOKEN_HEADER, kiosk_citizen, serving_staff
from services.intake.counter_profile import fill_missing
from services.intake.deps import IntakeParts
from services.intake.idempotency import KeyRecord
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
    citizen_id, channel = await citizen_for(body, caller, request, parts)
    operator = Actor("counter", caller.subject, body.region) if channel == "counter" else None
    applicant = await applicant_for(body, citizen_id, channel, parts, operator)
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
) -> tuple[str, str]:
    """(citizen id, channel): the caller, or the citizen a counter operator or a kiosk
    serves, in the operator's own region."""
    role = caller.operator_role
    if role is None:
        return _citizen_self(body, caller)
    if role == "mobile_unit":
        raise Problem(
            403,
            "Layanan keliling mengirim per batch / Mobile units send batches",
            "Petugas layanan keliling mengirim permohonan lewat POST /api/v1/batches "
            "(satu batch boleh berisi satu permohonan) / A mobile unit's operator sends "
            "applications through POST /api/v1/batches (a batch may hold one).",
        )
    staff = await serving_staff(parts.accounts.staff, caller)
    if body.region != staff["region"]:
        raise Problem(
            403,
            "Di luar wilayah MPP Anda / Outside your MPP's region",
            f"Akun ini melayani wilayah {staff['region']} / This account serves region "
            f"{staff['region']} only.",
            errors=[{"field": "region", "message": f"must be {staff['region']}"}],
        )
    if role == "kiosk":
        return await _kiosk_citizen(body, request, parts), role
    return await _counter_citizen(body, parts), role


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


async def _counter_citizen(body: SubmitApplication, parts: IntakeParts) -> str:
    if body.citizen_nik is None:
        raise Problem(
            422,
            "NIK warga wajib / Citizen's NIK required",
            "A counter operator submits for a citizen: send citizen_nik.",
            errors=[{"field": "citizen_nik", "message": "required for counter operators"}],
        )
    account = await parts.accounts.find_by_nik(body.citizen_nik)
    if account is None:
        raise Problem(
            422,
            "Warga belum punya akun / Citizen has no account",
            "Register the citizen first with POST /api/v1/accounts.",
            errors=[{"field": "citizen_nik", "message": "no account"}],
        )
    return str(account["_id"])


async def applicant_for(
    body: SubmitApplication,
    citizen_id: str,
    channel: str,
    parts: IntakeParts,
    operator: Actor | None = None,
) -> Any:
    """The declared fields from the citizen's profile, after saving what the form
    added; 403 while the account is not proven, 422 naming what is still missing.

    An application never changes the email or the phone (the citizen changes those in
    their profile, where changing a recovery factor is guarded); a counter ``operator``
    only fills what the profile lacks, in its own name
    (:mod:`services.intake.counter_profile`)."""
    catalogue = parts.runtime.catalogue
    checked = Submit(
        service=body.service,
        region=body.region,
        data=body.data,
        channel=body.channel,
        citizen_id=citizen_id,
        correlation_id="",
    )
    validate_request(catalogue, checked)  # a bad form saves nothing
    service = catalogue.service(body.service)
    assert service is not None
    account = await parts.accounts.profile(citizen_id)
    if account is None:
        raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
    refuse_unproven(account, channel)
    if body.applicant is not None and body.applicant.model_fields_set:
        if operator is not None:
            account = await fill_missing(parts.accounts, account, body.applicant, operator)
            return applicant_snapshot(account, service)
        # A new email or phone is refused there without the current password (a stolen
        # token must not move a recovery factor); the same values as stored are no change.
        try:
            account = await parts.accounts.update_profile(citizen_id, body.applicant)
        except Problem as problem:  # name the fields as the request did
            for error in problem.extensions.get("errors") or []:
                error["field"] = f"applicant.{error['field']}"
            raise
    return applicant_snapshot(account, service)
