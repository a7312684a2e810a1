"""The citizen files a question or a complaint about one of their applications, or about
a service of a region.

Intake only checks what it holds — the application is the caller's (or the service is
offered in the region), the attachments are the caller's own uploads — and publishes
``complaint.filed`` on the citizen-actions topic; routing stores the complaint, puts it
before the agency and runs its SP4N-LAPOR! timeline, and serves its thread (``GET
/api/v1/citizen/applications/{id}/complaints`` and ``GET /api/v1/citizen/complaints`` on
routing; docs/complaints.md). The
complaint's id is derived from the caller and the ``Idempotency-Key``, so a replayed
filing names the complaint already filed and routing stores it once.
"""

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from services.intake.citizen_actions import own_application
from services.intake.deps import PartsDep, Principal
from services.intake.idempotency import parse_key
from services.intake.parts import IntakeParts, IntakeUnitOfWork
from services.intake.refusals import InvalidForm
from shared.auth import CitizenPrincipal
from shared.correlation import current_correlation_id
from shared.events import BUILDING, ComplaintFiled, ComplaintFiledData, utcnow
from shared.privacy.plain_input import PlainInput
from shared.unit_of_work import Transaction

__all__ = ["FileComplaint", "complaints_router", "file_complaint"]

complaints_router = APIRouter(prefix="/api/v1", tags=["complaints"])

_IDS = uuid.UUID("6f1d3c1e-2b7a-4f43-9c55-6a1f0c2d8e10")
"""The namespace of complaint ids (a name-based UUID of caller and key)."""


@dataclass(frozen=True)
class FileComplaint:
    """A question or a complaint about ``application_id``, or (None) about ``service`` in
    ``region``."""

    application_id: str | None
    citizen_id: str
    idempotency_key: str
    kind: Literal["konsultasi", "pengaduan"]
    text: str
    confidential: bool
    correlation_id: str
    documents: list[str] = field(default_factory=list)
    service: str | None = None
    region: str | None = None


class ComplaintRequest(PlainInput):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["konsultasi", "pengaduan"] = "pengaduan"
    text: str = Field(min_length=1, max_length=4000)
    documents: list[str] = Field(default_factory=list, max_length=5, description="sha256s.")
    confidential: bool = Field(False, description="Keep your identity from the agency.")


class ServiceComplaintRequest(ComplaintRequest):
    service: str = Field(
        description="The service's code (GET /api/v1/services), or 'mpp' for the region's "
        "MPP building itself (facilities, staff conduct, the queue)."
    )
    region: str = Field(description="The region whose office of the service answers.")


class ComplaintAccepted(BaseModel):
    id: str
    application_id: str | None = None
    detail: str


async def _about(command: FileComplaint, uow: IntakeUnitOfWork) -> dict[str, Any]:
    """What the complaint is about: the caller's application, a service its region
    offers, or the region's MPP building (refused as the form's fields otherwise)."""
    if command.application_id is not None:
        application = await own_application(
            uow.applications, command.application_id, command.citizen_id
        )
        keys = ("service", "region", "tracking_number")
        return {"about": "application", "application_id": application["_id"]} | {
            k: application[k] for k in keys
        }
    if command.service == BUILDING:
        if uow.catalogue.region(command.region or "") is None:
            raise InvalidForm([{"field": "region", "message": "no MPP in this region"}])
        return {"about": "building", "service": BUILDING, "region": command.region}
    if uow.catalogue.agency_for(command.service or "", command.region or "") is None:
        message = "no office of this service in this region"
        raise InvalidForm([{"field": "service", "message": message}])
    return {"about": "service", "service": command.service, "region": command.region}


async def file_complaint(command: FileComplaint, uow: IntakeUnitOfWork) -> str:
    """Publish the filing; the complaint's id (the same for a replay of the same key)."""
    about = await _about(command, uow)
    refs = await uow.documents.resolve(command.citizen_id, command.documents)
    complaint_id = str(uuid.uuid5(_IDS, f"{command.citizen_id}\n{command.idempotency_key}"))
    event = ComplaintFiled(
        source="intake",
        subject=complaint_id,
        region=about["region"],
        correlation_id=command.correlation_id,
        data=ComplaintFiledData(
            complaint_id=complaint_id,
            kind=command.kind,
            **about,
            citizen_id=command.citizen_id,
            text=command.text,
            documents=refs,
            confidential=command.confidential,
            filed_at=utcnow(),
        ),
    )

    async def write(tx: Transaction) -> None:
        await uow.complaint_files.record(
            complaint_id, command.citizen_id, refs, event.data.filed_at, tx.session
        )
        tx.emit(uow.topics.citizen_actions, event)

    await uow.run(write)
    return complaint_id


@complaints_router.post(
    "/applications/{id}/complaints",
    status_code=202,
    response_model=ComplaintAccepted,
    summary="File a question or a complaint about an application",
    responses={400: {"description": "Idempotency-Key missing"}, 404: {}, 422: {}},
)
async def file_application_complaint(
    id: str,
    body: ComplaintRequest,
    principal: Principal,
    parts: PartsDep,
    idempotency_key: Annotated[str | None, Header(max_length=300)] = None,
) -> ComplaintAccepted:
    complaint_id = await _file(body, principal, parts, idempotency_key, application_id=id)
    return ComplaintAccepted(
        id=complaint_id,
        application_id=id,
        detail="Pengaduan diteruskan ke instansi; jawabannya tampil di halaman permohonan / "
        "Your complaint goes to the agency; its answer shows on the application's page.",
    )


@complaints_router.post(
    "/complaints",
    status_code=202,
    response_model=ComplaintAccepted,
    summary="File a question or a complaint about a service of a region",
    responses={400: {"description": "Idempotency-Key missing"}, 422: {}},
)
async def file_service_complaint(
    body: ServiceComplaintRequest,
    principal: Principal,
    parts: PartsDep,
    idempotency_key: Annotated[str | None, Header(max_length=300)] = None,
) -> ComplaintAccepted:
    complaint_id = await _file(
        body,
        principal,
        parts,
        idempotency_key,
        application_id=None,
        service=body.service,
        region=body.region,
    )
    return ComplaintAccepted(
        id=complaint_id,
        detail="Pengaduan diteruskan ke instansi layanan ini; jawabannya: GET "
        "/api/v1/citizen/complaints di routing / Your complaint goes to the service's "
        "office; its answer: GET /api/v1/citizen/complaints on routing.",
    )


async def _file(
    body: ComplaintRequest,
    principal: CitizenPrincipal,
    parts: IntakeParts,
    idempotency_key: str | None,
    **about: str | None,
) -> str:
    """File ``body`` as the signed-in citizen's complaint ``about`` an application or a
    service of a region; the complaint's id."""
    command = FileComplaint(
        citizen_id=principal.subject,
        idempotency_key=parse_key(idempotency_key),
        kind=body.kind,
        text=body.text,
        confidential=body.confidential,
        correlation_id=current_correlation_id(),
        documents=body.documents,
        **about,
    )
    return await file_complaint(command, parts.units())
