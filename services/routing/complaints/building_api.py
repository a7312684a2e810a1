"""Complaints about an MPP building (its facilities, its staff's conduct, its queue),
answered by the region's administrator.

No agency answers for a building, so a complaint about one is addressed to the region's
MPP (:func:`~services.routing.complaints.handling.building_office`, ``mpp-<region>``)
and its ``region_admin`` — the staff role bound to one region — reads and answers it
here, with their own access token. It follows the same flow as any complaint: the same
store, SP4N-LAPOR! forwarding, 3/5/10 working-day timers and thread. Another region's
administrator neither lists nor answers it (404, as for a complaint that does not exist).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from services.routing.complaints.api import AnswerBody, ComplaintView, Store, refused, view
from services.routing.complaints.handling import AnswerComplaint, answer, building_office
from services.routing.deps import Uow
from shared.auth import CitizenPrincipal
from shared.correlation import current_correlation_id
from shared.errors import Rejected
from shared.events import utcnow
from shared.problems import Problem

__all__ = ["building_complaints_router", "region_administrator"]

building_complaints_router = APIRouter(prefix="/api/v1/mpp", tags=["complaints"])


async def region_administrator(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> CitizenPrincipal:
    """A region administrator's verified token (bound to a region), not revoked since it
    was issued."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "Perlu masuk / Sign-in required",
            "Kirim token admin wilayah / send a region administrator's access token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await request.app.state.parts.staff.signed_in(token)
    if "region_admin" not in principal.roles or not principal.region:
        raise Problem(
            403,
            "Khusus admin wilayah / Region administrators only",
            "Pengaduan tentang gedung MPP dijawab oleh admin wilayahnya / complaints about "
            "an MPP building are answered by its region's administrator.",
        )
    return principal


Administrator = Annotated[CitizenPrincipal, Depends(region_administrator)]


@building_complaints_router.get("/complaints", response_model=list[ComplaintView])
async def list_building_complaints(who: Administrator, store: Store) -> list[ComplaintView]:
    """The complaints about the administrator's own region's MPP, the open ones first."""
    found = await store.of_agency(building_office(who.region or ""))
    return [view(c, for_agency=True) for c in found]


@building_complaints_router.post("/complaints/{complaint_id}/answers", response_model=ComplaintView)
async def answer_building_complaint(
    complaint_id: str, body: AnswerBody, who: Administrator, uow: Uow
) -> ComplaintView:
    """Answer a complaint about the administrator's MPP; another region's is not found."""
    command = AnswerComplaint(
        complaint_id=complaint_id,
        agency=building_office(who.region or ""),
        answered_by=who.subject,
        answer=body.answer,
        correlation_id=current_correlation_id(),
        at=utcnow(),
    )
    try:
        return view(await answer(command, uow), for_agency=True)
    except Rejected as exc:
        raise refused(exc) from None
