"""The queue inside the building over HTTP (docs/queue.md, "At the building"): the
kiosk's check-in and walk-in tickets, the counter officer's calls and steps, the hall's
board, and the day's figures for staff.

Thin translators around :mod:`~services.intake.queue.kiosk`,
:mod:`~services.intake.queue.counter` and :mod:`~services.intake.queue.figures`. The
kiosk and the officer act only in the region their token is bound to: the region is the
token's, never the request's.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from services.intake.deps import Principal, parts
from services.intake.queue.counter import call_next, finish, transfer
from services.intake.queue.figures import figures
from services.intake.queue.hall import Hall
from services.intake.queue.kiosk import check_in
from services.intake.queue.lanes import local_day
from services.intake.queue.walk_in_keys import walk_in_answer
from services.intake.refusals import NotQueueStaff, StaffAccessEnded
from shared.auth import CitizenPrincipal
from shared.catalogue.queue_rules import COUNTER_ID
from shared.staff_revocations import StaffRevocations
from shared.walk_in_survey import survey_link

__all__ = ["building_router"]

_SERVICE = Field(min_length=1, max_length=64, examples=["ktp-el"])
_REGION = Query(pattern=r"^[0-9]{4}$", examples=["3576"])


def _hall(request: Request) -> Hall:
    return parts(request).hall


HallDep = Annotated[Hall, Depends(_hall)]


def _staff(role: str) -> Any:
    """The caller, when their token is ``role``'s and bound to a region."""

    async def staff(principal: Principal, request: Request) -> CitizenPrincipal:
        if role not in principal.roles or not principal.region:
            raise NotQueueStaff(role)
        if not await StaffRevocations(parts(request).runtime.db).allows(principal):
            raise StaffAccessEnded(principal.subject)
        return principal

    return Depends(staff)


Kiosk = Annotated[CitizenPrincipal, _staff("queue_kiosk")]
Officer = Annotated[CitizenPrincipal, _staff("counter_officer")]


class Ticket(BaseModel):
    id: str = Field(description="The ticket's id: <region>-<date>-<number>.")
    number: str = Field(
        description="Called out and shown on the hall's display.", examples=["A-017"]
    )
    lane: str = Field(description="The lane's letter; P is the priority lane.")
    priority: bool
    region: str
    service: str
    date: date
    slot: str = Field(description="The slot's start, local time (HH:MM).")
    status: Literal["waiting", "called", "served", "no_show"]
    booking: str | None = Field(None, description="The booking code; none for a walk-in.")
    counter: str | None = None
    checked_in_at: datetime
    called_at: datetime | None = None
    finished_at: datetime | None = None
    survey_code: str | None = Field(
        None,
        description="A walk-in's new ticket only: the code of its SKM survey, to print on it "
        "(one answer, within 7 days of being served). Not stored: asked again, only a "
        "retry with the same Idempotency-Key answers it.",
    )
    survey_url: str | None = Field(
        None, description="A walk-in's new ticket only: its survey page, with the code."
    )


def _view(ticket: dict[str, Any], hall: Hall) -> dict[str, Any]:
    """The ticket as answered: its times in the region's local time, with the offset."""
    zone = hall.catalogue.zone_of(ticket["region"])
    code = ticket.get("survey_code")

    def local(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(zone)

    return Ticket(
        id=ticket["_id"],
        number=ticket["number"],
        lane=ticket["lane"],
        priority=ticket["priority"],
        region=ticket["region"],
        service=ticket["service"],
        date=date.fromisoformat(ticket["day"]),
        slot=ticket["slot"],
        status=ticket["status"],
        booking=ticket.get("booking"),
        counter=ticket.get("counter"),
        checked_in_at=ticket["checked_in_at"].astimezone(zone),
        called_at=local(ticket.get("called_at")),
        finished_at=local(ticket.get("finished_at")),
        survey_code=code,
        survey_url=survey_link(hall.survey_pages, ticket["_id"], code) if code else None,
    ).model_dump(mode="json")


class CheckIn(BaseModel):
    code: str = Field(pattern=r"^[2-9A-HJ-NP-Z]{8}$", description="The booking code (the QR's).")
    priority: bool = Field(False, description="Seat the citizen in the priority lane.")


class WalkIn(BaseModel):
    service: str = _SERVICE
    priority: bool = Field(False, description="The priority lane.")


class Call(BaseModel):
    counter: str = Field(
        pattern=COUNTER_ID, examples=["loket-3"], description="A counter the package declares."
    )
    services: list[str] | None = Field(
        None,
        min_length=1,
        max_length=20,
        description="Some of the counter's services, to call only those; absent: all of them.",
    )


class DeclaredCounter(BaseModel):
    id: str = Field(examples=["loket-3"])
    label: str = Field(examples=["Loket 3"], description="What the hall's display shows.")
    services: list[str] = Field(description="The queued services this counter calls.")


class Transfer(BaseModel):
    service: str = _SERVICE


building_router = APIRouter(prefix="/api/v1/queue", tags=["queue"])
_PROBLEMS: dict[int | str, dict[str, Any]] = {403: {}, 404: {}, 409: {}, 422: {}}


@building_router.post(
    "/check-ins",
    status_code=201,
    response_model=Ticket,
    responses=_PROBLEMS,
    summary="Check a booking in at the kiosk",
)
async def check_in_booking(body: CheckIn, kiosk: Kiosk, hall: HallDep) -> Any:
    """A ticket for the booking (201); the same code again answers the same ticket
    (200). From 30 minutes before the slot until its grace period ends."""
    ticket, new = await check_in(hall, kiosk, body.code, body.priority)
    return JSONResponse(_view(ticket, hall), status_code=201 if new else 200)


@building_router.post(
    "/walk-ins",
    status_code=201,
    response_model=Ticket,
    responses=_PROBLEMS,
    summary="Give a walk-in a ticket",
)
async def walk_in_ticket(
    body: WalkIn,
    request: Request,
    kiosk: Kiosk,
    hall: HallDep,
    idempotency_key: Annotated[str | None, Header(max_length=300)] = None,
) -> Any:
    """A ticket of the slot under way, from its walk-in share; 409 when it is taken. A
    retry with the same Idempotency-Key answers the same ticket again."""
    keys = parts(request).idempotency
    answer = body.model_dump(mode="json")
    return await walk_in_answer(
        hall, kiosk, answer, keys, idempotency_key, lambda ticket: _view(ticket, hall)
    )


@building_router.post(
    "/calls",
    response_model=Ticket,
    summary="Call the next ticket (Panggil berikutnya)",
    responses={204: {"description": "Nobody waits for these services"}, **_PROBLEMS},
)
async def call(body: Call, officer: Officer, hall: HallDep) -> Any:
    """The priority lane first, then the earliest slot, then the lowest number."""
    called = await call_next(hall, officer, body.counter, body.services)
    return Response(status_code=204) if called is None else _view(called, hall)


@building_router.get(
    "/counters",
    response_model=list[DeclaredCounter],
    responses=_PROBLEMS,
    summary="The counters of the officer's MPP, and the services each calls",
)
async def counters(officer: Officer, hall: HallDep) -> Any:
    """As the region's package declares them; an officer calls only from one of these."""
    declared = hall.catalogue.counters_of(officer.region or "")
    return [{"id": c.id, "label": c.label, "services": list(c.services)} for c in declared]


@building_router.post(
    "/tickets/{ticket}/served",
    response_model=Ticket,
    responses=_PROBLEMS,
    summary="Mark a called ticket served",
)
async def served(ticket: str, officer: Officer, hall: HallDep) -> Any:
    return _view(await finish(hall, officer, ticket, "served"), hall)


@building_router.post(
    "/tickets/{ticket}/no-show",
    response_model=Ticket,
    responses=_PROBLEMS,
    summary="Mark a called ticket a no-show",
)
async def no_show(ticket: str, officer: Officer, hall: HallDep) -> Any:
    return _view(await finish(hall, officer, ticket, "no_show"), hall)


@building_router.post(
    "/tickets/{ticket}/transfer",
    response_model=Ticket,
    responses=_PROBLEMS,
    summary="Move a ticket to another service's lane, keeping its place",
)
async def transfer_ticket(ticket: str, body: Transfer, officer: Officer, hall: HallDep) -> Any:
    return _view(await transfer(hall, officer, ticket, body.service), hall)


class Called(BaseModel):
    number: str = Field(examples=["A-017"])
    service: str
    counter: str
    called_at: datetime = Field(description="Local time of the region, with its offset.")


class Board(BaseModel):
    region: str
    date: date
    called: list[Called] = Field(description="The last ten numbers called, newest first.")
    waiting: dict[str, int] = Field(description="Tickets waiting, per service.")


@building_router.get("/board", response_model=Board, summary="The hall's board: numbers called")
async def board(region: Annotated[str, _REGION], hall: HallDep) -> Board:
    """Public, like the display in the hall: ticket numbers, counters and services, and
    nothing about anyone."""
    zone = hall.catalogue.zone_of(region)
    day = local_day(hall.catalogue, region, hall.clock.now())
    called = await hall.tickets.last_called(region, day.isoformat())
    return Board(
        region=region,
        date=day,
        called=[
            Called(
                number=t["number"],
                service=t["service"],
                counter=t.get("counter") or "",
                called_at=t["called_at"].astimezone(zone),
            )
            for t in called
        ],
        waiting=await hall.tickets.waiting(region, day.isoformat()),
    )


_FIGURES_ROLES = {"queue_kiosk", "counter_officer", "region_admin"}
_NATIONWIDE = {"national_admin", "admin"}


@building_router.get("/figures", summary="Waiting and service times of an MPP's day")
async def day_figures(
    principal: Principal,
    hall: HallDep,
    region: Annotated[str, _REGION],
    day: Annotated[date | None, Query(alias="date")] = None,
) -> dict[str, Any]:
    """For the region's queue staff and administrator, and national administrators:
    minutes waited (ticket → call) and served (call → served), per counter and service
    and per service (mean, median, 90th percentile)."""
    regional = bool(_FIGURES_ROLES & set(principal.roles)) and principal.region == region
    if not (regional or _NATIONWIDE & set(principal.roles)):
        raise NotQueueStaff("queue_kiosk, counter_officer, region_admin")
    day = day or local_day(hall.catalogue, region, hall.clock.now())
    tickets = await hall.tickets.day(region, day.isoformat())
    return {"region": region, "date": day.isoformat(), **figures(tickets)}
