"""The complaints' routes: the agency's (list, answer) and the citizen's (read the
thread of an application's complaints, reply).

The agency's routes take the agency API's credential (an officer's token or the
agency's API key, :mod:`services.routing.agency_callers`): an agency sees only the
complaints addressed to it, without the citizen, and a confidential one without the
application. The citizen's routes take the citizen's own access token (the platform's
issuer), and answer only about the citizen's own applications and complaints; anyone
else's answers 404, like one that does not exist. Filing is intake's (``POST
/api/v1/applications/{id}/complaints``), where the application and its uploads are.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.routing.complaints.handling import (
    AnswerComplaint,
    ComplaintClosedAlready,
    ComplaintMoved,
    NoSuchComplaint,
    NothingToReply,
    ReplyToComplaint,
    agency_view,
    answer,
    reply,
)
from services.routing.complaints.store import ComplaintStore
from services.routing.deps import AuthenticatedCaller, Uow
from shared.auth import CitizenPrincipal
from shared.correlation import current_correlation_id
from shared.errors import Rejected
from shared.events import utcnow
from shared.privacy.plain_input import PlainInput
from shared.problems import Problem

__all__ = ["agency_complaints_router", "citizen_complaints_router", "refused"]

agency_complaints_router = APIRouter(prefix="/api/v1/agency", tags=["agency", "complaints"])
citizen_complaints_router = APIRouter(prefix="/api/v1/citizen", tags=["complaints"])


class Said(BaseModel):
    by: Literal["citizen", "agency"]
    text: str
    at: datetime


class ComplaintView(BaseModel):
    id: str
    kind: Literal["konsultasi", "pengaduan"]
    about: Literal["application", "service", "building"] = "application"
    state: Literal["filed", "forwarded", "answered", "closed"]
    agency: str
    service: str
    region: str
    application_id: str | None = Field(None, description="Absent for the agency when confidential.")
    tracking_number: str | None = None
    confidential: bool
    filed_at: datetime
    forward_due_at: datetime
    answer_due_at: datetime
    close_due_at: datetime | None = None
    escalated: list[str] = Field(default_factory=list)
    lapor_tracking_id: str | None = None
    lapor_status: str | None = None
    thread: list[Said]


class AnswerBody(PlainInput):
    answer: str = Field(min_length=1, max_length=4000)


class ReplyBody(PlainInput):
    text: str = Field(min_length=1, max_length=4000)


def view(complaint: dict[str, Any], *, for_agency: bool) -> ComplaintView:
    """The complaint as the caller may see it (the agency: :func:`agency_view`'s fields)."""
    hidden = for_agency and complaint["confidential"]
    shown = agency_view(complaint) if for_agency else None
    return ComplaintView(
        id=complaint["_id"],
        kind=complaint["kind"],
        about=complaint.get("about", "application"),
        state=complaint["state"],
        agency=complaint["agency"],
        service=complaint["service"],
        region=complaint["region"],
        application_id=shown.application_id if shown else complaint["application_id"],
        tracking_number=None if hidden else complaint["tracking_number"],
        confidential=complaint["confidential"],
        filed_at=complaint["filed_at"],
        forward_due_at=complaint["forward_due_at"],
        answer_due_at=complaint["answer_due_at"],
        close_due_at=complaint.get("close_due_at"),
        escalated=complaint.get("escalated") or [],
        lapor_tracking_id=complaint["lapor"].get("tracking_id"),
        lapor_status=complaint["lapor"].get("status"),
        thread=[Said(by=s["by"], text=s["text"], at=s["at"]) for s in complaint["thread"]],
    )


def refused(exc: Rejected) -> Problem:
    """The problem a complaint's refusal is answered with."""
    if isinstance(exc, NoSuchComplaint):
        return Problem(
            404,
            "Pengaduan tidak ditemukan / Complaint not found",
            "Periksa nomor pengaduan / Check the complaint's id.",
        )
    if isinstance(exc, ComplaintClosedAlready):
        return Problem(
            409,
            "Pengaduan sudah ditutup / The complaint is closed",
            "Ajukan pengaduan baru bila masih perlu / File a new complaint if still needed.",
        )
    if isinstance(exc, NothingToReply):
        return Problem(
            409,
            "Belum ada jawaban / No answer yet",
            "Balas setelah instansi menjawab / Reply once the agency has answered.",
        )
    if isinstance(exc, ComplaintMoved):
        return Problem(
            409,
            "Pengaduan baru saja berubah / The complaint just changed",
            "Muat ulang lalu coba lagi / Reload it and try again.",
        )
    raise exc


def _store(request: Request) -> ComplaintStore:
    return request.app.state.parts.complaints


async def _citizen(request: Request) -> CitizenPrincipal:
    """The citizen calling, by the platform's access token; staff tokens are refused."""
    principal = await request.app.state.parts.staff.tokens(request)
    if not principal.is_citizen:
        raise Problem(
            403,
            "Hanya untuk warga / Citizens only",
            "Masuk dengan akun warga / Sign in with a citizen's account.",
        )
    return principal


Store = Annotated[ComplaintStore, Depends(_store)]
Citizen = Annotated[CitizenPrincipal, Depends(_citizen)]


@agency_complaints_router.get("/complaints", response_model=list[ComplaintView])
async def list_agency_complaints(who: AuthenticatedCaller, store: Store) -> list[ComplaintView]:
    """The complaints addressed to the caller's agency, the open ones first."""
    return [view(c, for_agency=True) for c in await store.of_agency(who.agency)]


@agency_complaints_router.post("/complaints/{complaint_id}/answers", response_model=ComplaintView)
async def answer_complaint(
    complaint_id: str, body: AnswerBody, who: AuthenticatedCaller, uow: Uow
) -> ComplaintView:
    """Answer a complaint addressed to the caller's agency; another agency's is not found."""
    command = AnswerComplaint(
        complaint_id=complaint_id,
        agency=who.agency,
        answered_by=who.staff or f"key:{who.key_id}",
        answer=body.answer,
        correlation_id=current_correlation_id(),
        at=utcnow(),
    )
    try:
        return view(await answer(command, uow), for_agency=True)
    except Rejected as exc:
        raise refused(exc) from None


@citizen_complaints_router.get(
    "/applications/{application_id}/complaints", response_model=list[ComplaintView]
)
async def list_application_complaints(
    application_id: str, citizen: Citizen, store: Store, request: Request
) -> list[ComplaintView]:
    """The thread of every complaint the citizen filed about one of their applications;
    another citizen's application is not found."""
    application = await request.app.state.parts.applications.get(application_id)
    if application is None or application.get("citizen_id") != citizen.subject:
        raise Problem(
            404,
            "Permohonan tidak ditemukan / Application not found",
            "Periksa nomor permohonan / Check the application's id.",
        )
    found = await store.of_application(application_id)
    return [view(c, for_agency=False) for c in found if c["citizen_id"] == citizen.subject]


@citizen_complaints_router.get("/complaints", response_model=list[ComplaintView])
async def list_my_complaints(citizen: Citizen, store: Store) -> list[ComplaintView]:
    """Every complaint the citizen filed (about an application or a service), newest first."""
    return [view(c, for_agency=False) for c in await store.of_citizen(citizen.subject)]


@citizen_complaints_router.post("/complaints/{complaint_id}/replies", response_model=ComplaintView)
async def reply_to_complaint(
    complaint_id: str, body: ReplyBody, citizen: Citizen, uow: Uow
) -> ComplaintView:
    """Reply to the agency's answer: the agency owes another answer within 5 working days."""
    command = ReplyToComplaint(
        complaint_id=complaint_id,
        citizen_id=citizen.subject,
        text=body.text,
        correlation_id=current_correlation_id(),
        at=utcnow(),
    )
    try:
        return view(await reply(command, uow), for_agency=False)
    except Rejected as exc:
        raise refused(exc) from None
