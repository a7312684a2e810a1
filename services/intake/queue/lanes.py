"""The rules of the queue inside the building, as plain functions: which letter a lane
has, when a booking may be checked in, which slot a walk-in belongs to, and when a
booking is released. No database here; the kiosk, the counter and the release sweep
ask these.

A lane is one sequence of ticket numbers per MPP region and day: each queued service
has its own letter (``A``, ``B``, … in the order the region's package lists its queued
services) and the priority lane — the elderly, people with disabilities, pregnant
women and parents with small children, whom public services must serve first — has
``P`` for every service.
"""

from datetime import date, datetime, time, timedelta

from shared.catalogue import Catalogue, QueueRules

__all__ = [
    "CHECK_IN_EARLY",
    "PRIORITY_LANE",
    "check_in_window",
    "current_slot",
    "lane_of",
    "local_day",
    "release_at",
    "ticket_number",
]

PRIORITY_LANE = "P"
_LETTERS = "ABCDEFGHJKLMNQRSTUVWXYZ"
"""No I or O (read as 1 and 0), and no P: it is the priority lane's."""
CHECK_IN_EARLY = timedelta(minutes=30)
"""How long before its slot a booking may be checked in: a citizen who comes early is
given a ticket, and waits for their slot's turn."""


def lane_of(catalogue: Catalogue, rules: QueueRules, priority: bool) -> str:
    """The lane's letter of a ticket for ``rules``' service, or ``P`` for priority."""
    if priority:
        return PRIORITY_LANE
    queued = [q.service for q in catalogue.queues if q.region == rules.region]
    return _LETTERS[queued.index(rules.service) % len(_LETTERS)]


def ticket_number(lane: str, sequence: int) -> str:
    """``A-017``: read out by the officer and shown on the hall's display."""
    return f"{lane}-{sequence:03d}"


def local_day(catalogue: Catalogue, region: str, now: datetime) -> date:
    """The region's day at ``now`` (an MPP's day is its own local day)."""
    return now.astimezone(catalogue.zone_of(region)).date()


def _slot_start(catalogue: Catalogue, rules: QueueRules, day: date, start: time) -> datetime:
    return datetime.combine(day, start, catalogue.zone_of(rules.region))


def check_in_window(
    catalogue: Catalogue, rules: QueueRules, day: date, start: time
) -> tuple[datetime, datetime]:
    """From a little before the slot's start until its grace period ends."""
    begins = _slot_start(catalogue, rules, day, start)
    return begins - CHECK_IN_EARLY, release_at(catalogue, rules, day, start)


def release_at(catalogue: Catalogue, rules: QueueRules, day: date, start: time) -> datetime:
    """When a booking not checked in is released: the slot's start plus the grace."""
    return _slot_start(catalogue, rules, day, start) + timedelta(minutes=rules.grace_minutes)


def current_slot(catalogue: Catalogue, rules: QueueRules, now: datetime) -> tuple[date, time]:
    """The slot under way at ``now`` (a walk-in takes from its share); ``ValueError``
    when the MPP is closed now (a day off, before opening, after closing)."""
    day = local_day(catalogue, rules.region, now)
    if not catalogue.calendar_for(rules.region).is_working_day(day):
        raise ValueError(day.isoformat())
    length = timedelta(minutes=rules.slot_minutes)
    for start in rules.slots_on(day):
        begins = _slot_start(catalogue, rules, day, start)
        if begins <= now < begins + length:
            return day, start
    raise ValueError(now.astimezone(catalogue.zone_of(rules.region)).strftime("%Y-%m-%d %H:%M"))
