"""What must hold after a queue benchmark, read from the database: no slot holds more
than its places, the walk-in share is never booked online, no ticket is called twice,
and every ticket of the day ends served or a no-show.

:func:`day_facts` and :func:`slot_facts` read the intake database; :func:`check_day`
and :func:`check_slot` are plain functions over what was read, each returning the
broken rules in words (none: the figures may be published).
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["DayFacts", "SlotFacts", "check_day", "check_slot", "day_facts", "slot_facts"]

_HELD = ("active", "checked_in")
"""A booking in these states holds its online place."""


@dataclass
class DayFacts:
    """One region's day as stored, beside what the replay was answered."""

    quota: dict[str, int]
    """Places per slot of each service (online and walk-in together)."""
    slots: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    tickets: list[dict[str, Any]]
    calls: Counter = field(default_factory=Counter)
    """How many calls were answered with each ticket."""
    handed_out: set[str] = field(default_factory=set)
    """The tickets the kiosks were given (check-ins and walk-ins answered 201)."""


async def day_facts(db: AsyncDatabase, region: str, day: str, quota: dict[str, int]) -> DayFacts:
    where = {"region": region, "day": day}
    return DayFacts(
        quota=quota,
        slots=await db["queue_slots"].find(where).to_list(None),
        bookings=await db["queue_bookings"].find(where).to_list(None),
        tickets=await db["queue_tickets"].find(where).to_list(None),
    )


def _booked_service(ticket: dict[str, Any]) -> str:
    """The service whose ledger the ticket's place came from (before any transfer)."""
    transfers = ticket.get("transfers") or []
    return str(transfers[0]["from"]) if transfers else str(ticket["service"])


def _slot_problems(facts: DayFacts) -> list[str]:
    """Each slot within its places, and its counts those of the stored documents."""
    held = Counter(b["slot"] for b in facts.bookings if b["status"] in _HELD)
    walk_ins = Counter(
        f"{t['region']}:{_booked_service(t)}:{t['day']}:{t['slot']}"
        for t in facts.tickets
        if t.get("booking") is None
    )
    problems = []
    for slot in facts.slots:
        key, online, walkin = slot["_id"], slot["online_taken"], slot["walkin_taken"]
        if online > slot["online_limit"] or held[key] > slot["online_limit"]:
            problems.append(f"{key}: {online} online places taken of {slot['online_limit']}")
        if walkin > slot["walkin_limit"] or walk_ins[key] > slot["walkin_limit"]:
            problems.append(f"{key}: {walkin} walk-in places taken of {slot['walkin_limit']}")
        if slot["online_limit"] + slot["walkin_limit"] != facts.quota[slot["service"]]:
            problems.append(f"{key}: limits no longer add up to the slot's places")
        if online != held[key]:
            problems.append(f"{key}: the ledger counts {online} bookings, {held[key]} hold one")
        if walkin != walk_ins[key]:
            problems.append(f"{key}: the ledger counts {walkin} walk-ins, {walk_ins[key]} stored")
    return problems


def _ticket_problems(facts: DayFacts) -> list[str]:
    """Each ticket finished, called once per lane it waited in, handed out once."""
    problems = []
    stored = {t["_id"] for t in facts.tickets}
    for ticket in facts.tickets:
        name = ticket["_id"]
        if ticket["status"] not in ("served", "no_show"):
            problems.append(f"{name}: left {ticket['status']}")
        lanes = 1 + len(ticket.get("transfers") or [])
        if facts.calls[name] != lanes:
            problems.append(f"{name}: called {facts.calls[name]} times, waited in {lanes} lanes")
    if facts.handed_out != stored:
        problems.append(
            f"{len(facts.handed_out)} tickets handed out at the kiosks, {len(stored)} stored"
        )
    checked_in = [b for b in facts.bookings if b["status"] == "checked_in"]
    with_booking = Counter(t["booking"] for t in facts.tickets if t.get("booking"))
    if len(checked_in) != len(with_booking) or any(n != 1 for n in with_booking.values()):
        problems.append("a checked-in booking without exactly one ticket")
    if any(b["status"] == "active" for b in facts.bookings):
        problems.append("a booking still active after its grace period")
    return problems


def check_day(facts: DayFacts) -> list[str]:
    """Every rule the replayed day broke, in words (empty: none)."""
    return _slot_problems(facts) + _ticket_problems(facts)


@dataclass
class SlotFacts:
    """One contended slot as stored, beside the places the clients were given."""

    slot: dict[str, Any]
    held: int
    """Bookings of the slot holding a place."""
    walk_ins: int
    """Walk-in tickets of the slot."""
    booked: int
    walked_in: int
    """Bookings and walk-in tickets answered 201."""


async def slot_facts(db: AsyncDatabase, key: str, booked: int, walked_in: int) -> SlotFacts:
    region, service, day, start = key.split(":", 3)
    slot = await db["queue_slots"].find_one({"_id": key}) or {}
    held = await db["queue_bookings"].count_documents({"slot": key, "status": {"$in": _HELD}})
    walk_ins = await db["queue_tickets"].count_documents(
        {"region": region, "service": service, "day": day, "slot": start, "booking": None}
    )
    return SlotFacts(slot, held, walk_ins, booked, walked_in)


def check_slot(facts: SlotFacts, online_places: int, walkin_places: int) -> list[str]:
    """Exactly the slot's places taken, each answered to one client, none beyond."""
    slot, problems = facts.slot, []
    expected = {
        "online places taken": (slot.get("online_taken"), online_places),
        "bookings holding a place": (facts.held, online_places),
        "bookings answered 201": (facts.booked, online_places),
        "walk-in places taken": (slot.get("walkin_taken"), walkin_places),
        "walk-in tickets stored": (facts.walk_ins, walkin_places),
        "walk-in tickets answered 201": (facts.walked_in, walkin_places),
    }
    for what, (found, wanted) in expected.items():
        if found != wanted:
            problems.append(f"{slot.get('_id')}: {found} {what}, the slot has {wanted}")
    return problems
