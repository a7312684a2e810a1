"""Booking a slot from the phone, and cancelling: the rules, as plain functions.

Which slots exist comes from the region's queue rules and calendar (a working day, in
the region's local time, not already started); how many places are free comes from the
ledger. Booking takes a place in the ledger first and stores the booking after, so a
failure in between can leave a place counted that nobody holds — never a booking without
its place — and a refused store gives the place back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.intake.idempotency import IdempotencyStore, Remember
from services.intake.queue.bookings import BookingStore, booking_document, new_code
from services.intake.queue.ledger import QueueLedger, slot_id
from services.intake.refusals import (
    NoSuchSlot,
    NotAServiceDay,
    NotBookable,
    OneBookingPerDay,
    SlotFull,
    SlotInThePast,
)
from shared.catalogue import Catalogue, QueueRules

__all__ = ["BookSlot", "FreeSlot", "book", "cancel", "free_slots", "rules_for"]

_CODE_ATTEMPTS = 3

Answer = Callable[[dict[str, Any]], dict[str, Any]]
"""The body a stored booking is answered with (kept under the Idempotency-Key)."""


@dataclass(frozen=True)
class FreeSlot:
    start: datetime
    """Local time, with the region's offset."""
    end: datetime
    free: int


@dataclass(frozen=True)
class BookSlot:
    """A citizen's request for one slot (already checked for shape)."""

    citizen_id: str
    region: str
    service: str
    day: date
    start: time
    carries: tuple[str | None, bool]
    """(the citizen's application id, whether their draft comes along)."""
    remember: Remember


def rules_for(catalogue: Catalogue, region: str, service: str) -> QueueRules:
    rules = catalogue.queue_rules(region, service)
    if rules is None:
        raise NotBookable(f"{service} ({region})")
    return rules


def _starts(catalogue: Catalogue, rules: QueueRules, day: date) -> tuple[list[time], tzinfo]:
    """The slots of ``day`` and the region's zone; refused on a day the MPP is closed."""
    calendar = catalogue.calendar_for(rules.region)
    starts = rules.slots_on(day) if calendar.is_working_day(day) else []
    if not starts:
        raise NotAServiceDay(day.isoformat())
    return starts, calendar.zone


async def free_slots(
    catalogue: Catalogue, ledger: QueueLedger, rules: QueueRules, day: date, now: datetime
) -> tuple[list[FreeSlot], tzinfo]:
    """The slots of ``day`` not started yet, with their free online places (a full one
    shows 0), and the region's zone."""
    starts, zone = _starts(catalogue, rules, day)
    counted = await ledger.day(rules, day)
    slots = []
    for start in starts:
        begins = datetime.combine(day, start, zone)
        if begins <= now:
            continue
        count = counted.get(start.strftime("%H:%M"))
        free = rules.online_limit if count is None else count.online_free
        slots.append(FreeSlot(begins, begins + timedelta(minutes=rules.slot_minutes), free))
    return slots, zone


def _check_slot(
    catalogue: Catalogue, rules: QueueRules, day: date, start: time, now: datetime
) -> None:
    """The slot exists on a day the MPP is open, and has not started yet."""
    starts, zone = _starts(catalogue, rules, day)
    label = f"{day.isoformat()} {start.strftime('%H:%M')}"
    if start not in starts:
        raise NoSuchSlot(label)
    if datetime.combine(day, start, zone) <= now:
        raise SlotInThePast(label)


async def book(
    request: BookSlot,
    catalogue: Catalogue,
    *,
    ledger: QueueLedger,
    bookings: BookingStore,
    keys: IdempotencyStore,
    now: datetime,
    answer: Answer,
) -> dict[str, Any]:
    """Take a place and store the booking; ``answer(document)`` is the body the caller
    gets, kept under the Idempotency-Key with the booking. Refused when the slot's online
    places are taken or the citizen already holds a booking of the service that day."""
    rules = rules_for(catalogue, request.region, request.service)
    _check_slot(catalogue, rules, request.day, request.start, now)
    held = await bookings.held(request.citizen_id, request.service, request.day)
    if held is not None:
        raise OneBookingPerDay(held["_id"])
    slot = slot_id(rules.region, rules.service, request.day, request.start)
    if not await ledger.take_online(rules, request.day, request.start):
        raise SlotFull(f"{request.day.isoformat()} {request.start.strftime('%H:%M')}")
    try:
        return await _store(request, slot, bookings, keys, answer)
    except (DuplicateKeyError, OneBookingPerDay, RuntimeError):
        # Refused before anything was stored: the place goes back. Any other failure
        # (a commit whose answer was lost) keeps it taken: a place counted that nobody
        # holds is the safe side, a booking without its place is not.
        await ledger.give_back(slot, "online")
        raise


async def _store(
    request: BookSlot, slot: str, bookings: BookingStore, keys: IdempotencyStore, answer: Answer
) -> dict[str, Any]:
    """Store the booking under a fresh code; a held day or a stored key is refused (the
    caller replays the key's answer), a code drawn twice is drawn again."""
    when = (request.region, request.service, request.day, request.start)
    for _ in range(_CODE_ATTEMPTS):
        document = booking_document(new_code(), request.citizen_id, slot, when, request.carries)
        body = answer(document)
        record = {**request.remember.document({"id": document["_id"]}), "body": body}
        try:
            await bookings.add(document, record, keys)
            return document
        except DuplicateKeyError:
            held = await bookings.held(request.citizen_id, request.service, request.day)
            if held is not None:
                raise OneBookingPerDay(held["_id"]) from None
            if await keys.stored([request.remember.record_id]):
                raise  # the key's answer is replayed
    # Every code drawn was taken: practically never (32^8 codes).
    raise RuntimeError("no free booking code after several draws")


async def cancel(
    citizen_id: str, code: str, *, ledger: QueueLedger, bookings: BookingStore
) -> dict[str, Any] | None:
    """Cancel the citizen's active booking and give its place back; None when the
    citizen has no active booking with this code (another citizen's included)."""
    cancelled = await bookings.cancel(citizen_id, code)
    if cancelled is not None:
        await ledger.give_back(cancelled["slot"], "online")
    return cancelled


async def cancel_all(citizen_id: str, *, ledger: QueueLedger, bookings: BookingStore) -> int:
    """Cancel every active booking of a citizen whose account is being erased, each
    place given back and announced (``queue.cancelled``: notify stops its reminders);
    how many."""
    cancelled = 0
    for code in await bookings.active_codes(citizen_id):
        if await cancel(citizen_id, code, ledger=ledger, bookings=bookings) is not None:
            cancelled += 1
    return cancelled
