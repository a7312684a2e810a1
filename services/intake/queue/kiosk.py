"""The kiosk at the MPP's door: a booking checked in by its code (the QR code holds it),
and a walk-in given a ticket from the slot's walk-in share.

A check-in is idempotent: the booking remembers its ticket, so a kiosk that sends the
same code twice (a retry, a second scan) is answered the same ticket, never a second
one. A kiosk only checks in its own region's bookings; another region's code is unknown
here. Each ticket is stored in one transaction with its event on the queue topic.
"""

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.intake.idempotency import IdempotencyStore
from services.intake.queue.booking import rules_for
from services.intake.queue.events import ticket_event
from services.intake.queue.hall import Hall
from services.intake.queue.lanes import (
    PRIORITY_LANE,
    check_in_window,
    current_slot,
    lane_of,
    ticket_number,
)
from services.intake.queue.ledger import slot_id
from services.intake.queue.tickets import ticket_id
from services.intake.refusals import (
    BookingNoLongerValid,
    MppClosedNow,
    NotCheckInTime,
    UnknownBookingCode,
    WalkInsFull,
)
from shared.auth import CitizenPrincipal
from shared.catalogue import QueueRules
from shared.unit_of_work import Transaction
from shared.walk_in_survey import new_code, survey_digest

__all__ = ["Keep", "check_in", "walk_in"]

Keep = tuple[IdempotencyStore, Callable[[dict[str, Any]], dict[str, Any]]]
"""Where a walk-in's answer is kept, and the record of it for a stored ticket."""


async def _new_ticket(
    hall: Hall, rules: QueueRules, slot: tuple[date, time], priority: bool, now: datetime
) -> dict[str, Any]:
    """A waiting ticket of ``slot`` with a freshly drawn number of its lane."""
    day, start = slot[0].isoformat(), slot[1].strftime("%H:%M")
    lane = lane_of(hall.catalogue, rules, priority)
    number = ticket_number(lane, await hall.tickets.draw(rules.region, day, lane))
    return {
        "_id": ticket_id(rules.region, day, number),
        "number": number,
        "lane": lane,
        "seq": int(number.rsplit("-", 1)[1]),
        "rank": 0 if lane == PRIORITY_LANE else 1,
        "priority": priority,
        "region": rules.region,
        "day": day,
        "slot": start,
        "service": rules.service,
        "status": "waiting",
        "checked_in_at": now,
    }


async def check_in(
    hall: Hall, kiosk: CitizenPrincipal, code: str, priority: bool
) -> tuple[dict[str, Any], bool]:
    """The booking's ticket, and whether it is new: a new one on its first check-in, the
    same one after."""
    booking = await hall.bookings.by_code(code)
    if booking is None or booking["region"] != kiosk.region:
        raise UnknownBookingCode(code)
    if booking["status"] == "checked_in":
        return await _ticket_of(hall, booking), False
    if booking["status"] != "active":
        raise BookingNoLongerValid(code)
    rules = rules_for(hall.catalogue, booking["region"], booking["service"])
    slot = date.fromisoformat(booking["day"]), time.fromisoformat(booking["start"])
    now = hall.clock.now()
    opens, closes = check_in_window(hall.catalogue, rules, *slot)
    if not opens <= now < closes:
        raise NotCheckInTime(f"{booking['day']} {booking['start']}")
    ticket = await _new_ticket(hall, rules, slot, priority, now)
    ticket |= {"booking": code, "citizen_id": booking["citizen_id"], "kiosk": kiosk.subject}

    async def write(tx: Transaction) -> bool:
        if not await hall.bookings.check_in(code, ticket["_id"], now, tx.session):
            return False
        await hall.tickets.add(ticket, tx.session)
        tx.emit(hall.topic, ticket_event("checked_in", ticket, kiosk.subject))
        return True

    if await hall.units.run(write):
        return ticket, True
    # Another kiosk checked it in a moment ago (this number stays unused), or it was
    # cancelled or released meanwhile.
    again = await hall.bookings.by_code(code)
    if again is not None and again["status"] == "checked_in":
        return await _ticket_of(hall, again), False
    raise BookingNoLongerValid(code)


async def _ticket_of(hall: Hall, booking: dict[str, Any]) -> dict[str, Any]:
    found = await hall.tickets.find(booking["region"], booking["ticket"])
    if found is None:  # the booking and its ticket are written in one transaction
        raise RuntimeError(f"booking {booking['_id']} names a ticket that is not stored")
    return found


async def walk_in(
    hall: Hall, kiosk: CitizenPrincipal, service: str, priority: bool, keep: Keep | None = None
) -> dict[str, Any]:
    """A ticket for the slot under way, from its walk-in share; refused when the share
    is taken or the MPP is closed now. With ``keep`` the answer is stored under the
    kiosk's Idempotency-Key in the ticket's transaction; a key stored meanwhile fails it
    with ``DuplicateKeyError`` and the place goes back."""
    rules = rules_for(hall.catalogue, kiosk.region or "", service)
    now = hall.clock.now()
    try:
        slot = current_slot(hall.catalogue, rules, now)
    except ValueError as closed:
        raise MppClosedNow(str(closed)) from None
    if not await hall.ledger.take_walkin(rules, *slot):
        raise WalkInsFull(f"{slot[0].isoformat()} {slot[1].strftime('%H:%M')}")
    ticket = await _new_ticket(hall, rules, slot, priority, now)
    code = new_code()  # the ticket's survey code: shown on it, never stored
    ticket |= {"booking": None, "citizen_id": None, "kiosk": kiosk.subject}
    ticket["survey_digest"] = survey_digest(ticket["_id"], code)
    given = ticket | {"survey_code": code}

    async def write(tx: Transaction) -> None:
        await hall.tickets.add(ticket, tx.session)
        if keep is not None:
            await keep[0].add([keep[1](given)], tx.session)
        tx.emit(hall.topic, ticket_event("walked_in", ticket, kiosk.subject))

    try:
        await hall.units.run(write)
    except DuplicateKeyError:  # the same key's ticket was stored a moment ago
        await hall.ledger.give_back(slot_id(rules.region, rules.service, *slot), "walkin")
        raise
    return given
