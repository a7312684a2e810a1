"""The queue over HTTP: free slots, and a citizen's bookings (docs/queue.md).

Thin translators around :mod:`services.intake.queue.booking`; what the routes need comes
from :mod:`services.intake.deps`. Listing slots is public, like the catalogue; booking
needs a proven citizen account and an Idempotency-Key.
"""

import io
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.callers import client_ip
from services.intake.deps import (
    ApplicationsDep,
    BookingsDep,
    CatalogueDep,
    DraftsDep,
    IdempotentKey,
    IdentityDep,
    LedgerDep,
    Principal,
    replayed,
)
from services.intake.queue.booking import BookSlot, book, cancel, free_slots, rules_for
from services.intake.refusals import (
    BookingForOwnApplication,
    BookingNeedsProvenAccount,
    BookingNotFound,
    NotACitizensToken,
)
from shared.catalogue import Catalogue
from shared.events import utcnow
from shared.idempotency import fingerprint

__all__ = ["queue_router"]

Region = Annotated[str, Query(pattern=r"^[0-9]{4}$", examples=["3576"])]
ServiceCode = Annotated[str, Query(min_length=1, max_length=64, examples=["ktp-el"])]
Code = Annotated[str, Field(pattern=r"^[2-9A-HJ-NP-Z]{8}$")]


class Slot(BaseModel):
    start: datetime = Field(description="Local time of the region, with its offset.")
    end: datetime
    free: int = Field(description="Online places still free (0: fully booked).")


class DaySlots(BaseModel):
    region: str
    service: str
    date: date
    zone: str = Field(description="The region's time zone (WIB, WITA, WIT).")
    slots: list[Slot]


class BookingRequest(BaseModel):
    region: str = Field(pattern=r"^[0-9]{4}$", examples=["3576"])
    service: str = Field(min_length=1, max_length=64, examples=["ktp-el"])
    date: date
    start: time = Field(description="The slot's start, local time (HH:MM).", examples=["08:30"])
    application_id: str | None = Field(
        default=None, max_length=64, description="Your application of this service, if any."
    )
    draft: bool = Field(
        default=False, description="Bring your draft of this service to the counter."
    )


class Booking(BaseModel):
    code: Code = Field(description="Shown at the door (also as a QR code).")
    region: str
    service: str
    start: datetime = Field(description="Local time of the region, with its offset.")
    end: datetime
    zone: str
    status: str = Field(description="active, cancelled, checked_in or released.")
    application_id: str | None = None
    draft: bool = False
    qr_svg: str = Field(description="Where the booking's QR code is, as SVG.")
    created_at: datetime


queue_router = APIRouter(prefix="/api/v1/queue", tags=["queue"])


def _view(document: dict[str, Any], catalogue: Catalogue) -> Booking:
    rules = catalogue.queue_rules(document["region"], document["service"])
    zone = catalogue.zone_of(document["region"])
    start = datetime.combine(
        date.fromisoformat(document["day"]), time.fromisoformat(document["start"]), zone
    )
    minutes = rules.slot_minutes if rules else 0
    return Booking(
        code=document["_id"],
        region=document["region"],
        service=document["service"],
        start=start,
        end=start + timedelta(minutes=minutes),
        zone=str(zone.tzname(None)),
        status=document["status"],
        application_id=document.get("application_id"),
        draft=document.get("draft", False),
        qr_svg=f"/api/v1/queue/bookings/{document['_id']}/qr.svg",
        created_at=document["created_at"],
    )


@queue_router.get("/slots", response_model=DaySlots, summary="Free slots of a day")
async def list_slots(
    region: Region,
    service: ServiceCode,
    catalogue: CatalogueDep,
    ledger: LedgerDep,
    day: Annotated[date, Query(alias="date")],
) -> DaySlots:
    """The slots of ``date`` not started yet, in the region's local time; 422 on a day
    the MPP is closed (weekend, holiday, no opening hours)."""
    rules = rules_for(catalogue, region, service)
    slots, zone = await free_slots(catalogue, ledger, rules, day, utcnow())
    return DaySlots(
        region=region,
        service=service,
        date=day,
        zone=str(zone.tzname(None)),
        slots=[Slot(start=s.start, end=s.end, free=s.free) for s in slots],
    )


async def _own_citizen(principal: Principal, request: Request, identity: IdentityDep) -> str:
    """The caller's account id, once identity says the account is proven."""
    if not principal.is_citizen:
        raise NotACitizensToken(principal.subject)
    authorization = request.headers.get("authorization", "")
    if not await identity.can_submit(authorization, client_ip(request)):
        raise BookingNeedsProvenAccount(principal.subject)
    return principal.subject


async def _carried(
    body: BookingRequest, citizen_id: str, applications: ApplicationsDep, drafts: DraftsDep
) -> None:
    """A booking carries only the citizen's own application or draft of its service."""
    if body.application_id is not None:
        found = await applications.citizens(body.application_id, citizen_id)
        if found is None or found.get("service") != body.service:
            raise BookingForOwnApplication(body.application_id)
    if body.draft and await drafts.find(citizen_id, body.service) is None:
        raise BookingForOwnApplication("draft")


@queue_router.post(
    "/bookings",
    status_code=201,
    response_model=Booking,
    summary="Book a slot",
    responses={400: {"description": "Idempotency-Key missing"}, 403: {}, 404: {}, 409: {}},
)
async def book_slot(
    body: BookingRequest,
    request: Request,
    principal: Principal,
    key: IdempotentKey,
    identity: IdentityDep,
    catalogue: CatalogueDep,
    ledger: LedgerDep,
    bookings: BookingsDep,
    applications: ApplicationsDep,
    drafts: DraftsDep,
) -> Any:
    """One place of the slot's online share; 409 when it is full or the citizen already
    holds a booking of this service that day. A retry with the same key answers the
    first answer again."""
    prefix = f"{str(request.base_url).rstrip('/')}/api/v1/queue/bookings/"
    print_ = fingerprint(body.model_dump(mode="json"), path="/api/v1/queue/bookings")
    remember = key.remember(print_, 201, prefix)
    stored = await key.keys.stored([remember.record_id])
    if stored:
        return replayed(key.keys.replay(stored[remember.record_id], print_))
    citizen_id = await _own_citizen(principal, request, identity)
    await _carried(body, citizen_id, applications, drafts)
    request_ = BookSlot(
        citizen_id,
        body.region,
        body.service,
        body.date,
        body.start,
        (body.application_id, body.draft),
        remember,
    )
    document = await book(
        request_,
        catalogue,
        ledger=ledger,
        bookings=bookings,
        keys=key.keys,
        now=utcnow(),
        answer=lambda found: _view(found, catalogue).model_dump(mode="json"),
    )
    view = _view(document, catalogue).model_dump(mode="json")
    return JSONResponse(view, status_code=201, headers={"Location": prefix + document["_id"]})


@queue_router.get("/bookings", response_model=list[Booking], summary="My bookings, newest first")
async def my_bookings(
    principal: Principal, bookings: BookingsDep, catalogue: CatalogueDep
) -> list[Booking]:
    return [_view(found, catalogue) for found in await bookings.mine(principal.subject)]


@queue_router.delete(
    "/bookings/{code}", status_code=204, summary="Cancel my booking (its place goes back)"
)
async def cancel_booking(
    code: str, principal: Principal, ledger: LedgerDep, bookings: BookingsDep
) -> Response:
    """Another citizen's booking, or one cancelled already, is not found (404)."""
    if await cancel(principal.subject, code, ledger=ledger, bookings=bookings) is None:
        raise BookingNotFound(code)
    return Response(status_code=204)


@queue_router.get(
    "/bookings/{code}/qr.svg",
    response_class=Response,
    summary="My booking's QR code (SVG), to show at the door",
    responses={200: {"description": "The QR code, as image/svg+xml"}, 404: {}},
)
async def booking_qr(code: str, principal: Principal, bookings: BookingsDep) -> Response:
    """The QR code holds the booking code, nothing personal. A standalone SVG document
    (with its namespace), so a phone shows it as an image as well as inline."""
    found = await bookings.find(principal.subject, code)
    if found is None:
        raise BookingNotFound(code)
    svg = io.BytesIO()
    segno.make(code, error="m").save(
        svg, kind="svg", scale=8, title=f"Antrean MPP {code}", xmldecl=False, nl=False
    )
    return Response(
        svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "private"}
    )
