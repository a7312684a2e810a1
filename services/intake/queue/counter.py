"""The counter officer's steps: call the next ticket ("Panggil berikutnya"), then mark
it served or a no-show, or transfer it to another service's lane at the same MPP.

An officer calls from one of the counters the region's package declares
(``catalogue.counters_of(region)``), and only tickets of that counter's services.

Calling takes the next waiting ticket of the counter's services in one conditional
update (:meth:`~services.intake.queue.tickets.TicketStore.call_next`), so two officers
calling at once, on any replicas, get two different tickets. Every step is written in
one transaction with its event on the queue topic, and moves a ticket only from the
state the step starts from (a ticket served twice is served once).
"""

from typing import Any

from services.intake.queue.booking import rules_for
from services.intake.queue.events import ticket_event
from services.intake.queue.hall import Hall
from services.intake.queue.lanes import local_day
from services.intake.refusals import (
    NotThisCountersService,
    TicketNotFound,
    TicketNotInStep,
    UnknownCounter,
)
from shared.auth import CitizenPrincipal
from shared.catalogue import Catalogue
from shared.unit_of_work import Transaction

__all__ = ["call_next", "counter_services", "finish", "transfer"]


def counter_services(
    catalogue: Catalogue, region: str, counter: str, services: list[str] | None
) -> list[str]:
    """The services ``counter`` calls now: those chosen, each one the counter's, or all of
    its own. A counter the region's package does not declare (another region's included)
    calls nothing."""
    declared = catalogue.queue_counter(region, counter)
    if declared is None:
        raise UnknownCounter(counter)
    for service in services or ():
        if service not in declared.services:
            raise NotThisCountersService(service)
    return list(services or declared.services)


async def call_next(
    hall: Hall, officer: CitizenPrincipal, counter: str, services: list[str] | None = None
) -> dict[str, Any] | None:
    """The ticket now called to ``counter``: the priority lane first, then the earliest
    slot, then the lowest number; None when nobody waits for these services today.
    ``services`` narrows the counter's own (all of them when None)."""
    region = officer.region or ""
    for service in services or ():
        rules_for(hall.catalogue, region, service)  # a service not queued here: 404
    services = counter_services(hall.catalogue, region, counter, services)
    now = hall.clock.now()
    day = local_day(hall.catalogue, region, now).isoformat()

    async def write(tx: Transaction) -> dict[str, Any] | None:
        where = (region, day, services)
        called = await hall.tickets.call_next(where, counter, officer.subject, now, tx.session)
        if called is not None:
            tx.emit(hall.topic, ticket_event("called", called, officer.subject))
        return called

    return await hall.units.run(write)


async def finish(hall: Hall, officer: CitizenPrincipal, ticket: str, step: str) -> dict[str, Any]:
    """Mark a called ticket ``served`` or ``no_show``."""
    change = {"$set": {"status": step, "finished_at": hall.clock.now()}}
    return await _step(hall, officer, ticket, (["called"], change), step)


async def transfer(
    hall: Hall, officer: CitizenPrincipal, ticket: str, service: str
) -> dict[str, Any]:
    """Move a waiting or called ticket to ``service``'s lane at the same MPP: it waits
    again with its number, slot and lane, so it keeps its place in the order."""
    region = officer.region or ""
    rules_for(hall.catalogue, region, service)
    current = await hall.tickets.find(region, ticket)
    if current is None:
        raise TicketNotFound(ticket)
    moved_by = {"from": current["service"], "to": service, "at": hall.clock.now()}
    change = {
        "$set": {"status": "waiting", "service": service},
        "$unset": {"counter": "", "officer": "", "called_at": ""},
        "$push": {"transfers": {**moved_by, "by": officer.subject}},
    }
    return await _step(
        hall, officer, ticket, (["waiting", "called"], change), "transferred", current["service"]
    )


async def _step(
    hall: Hall,
    officer: CitizenPrincipal,
    ticket: str,
    move: tuple[list[str], dict[str, Any]],
    step: str,
    from_service: str | None = None,
) -> dict[str, Any]:
    """Apply ``move`` (the states it starts from, the change) and announce ``step``."""
    region = officer.region or ""

    async def write(tx: Transaction) -> dict[str, Any] | None:
        moved = await hall.tickets.move((region, ticket), *move, tx.session)
        if moved is not None:
            tx.emit(hall.topic, ticket_event(step, moved, officer.subject, from_service))
        return moved

    moved = await hall.units.run(write)
    if moved is None:
        if await hall.tickets.find(region, ticket) is None:
            raise TicketNotFound(ticket)
        raise TicketNotInStep(ticket)
    return moved
