"""The queue's events, made from the stored booking or ticket they announce.

Each is staged in intake's outbox in the same transaction as the change it announces
(:class:`~shared.unit_of_work.UnitOfWork`), on the queue topic, keyed by its subject: the
booking code for a booking's own steps, the ticket id for a ticket's. They carry the
citizen's account id when there is one, and nothing else about the citizen.
"""

from typing import Any

from shared.correlation import current_correlation_id
from shared.events import (
    QueueBooked,
    QueueBookingCancelled,
    QueueCalled,
    QueueChanged,
    QueueCheckedIn,
    QueueData,
    QueueNoShow,
    QueueReleased,
    QueueServed,
    QueueTransferred,
    QueueWalkedIn,
)

__all__ = ["booking_event", "ticket_event"]

_BOOKING = {
    "booked": QueueBooked,
    "cancelled": QueueBookingCancelled,
    "released": QueueReleased,
}
_TICKET = {
    "checked_in": QueueCheckedIn,
    "walked_in": QueueWalkedIn,
    "called": QueueCalled,
    "served": QueueServed,
    "no_show": QueueNoShow,
    "transferred": QueueTransferred,
}


def booking_event(step: str, booking: dict[str, Any], actor: str | None = None) -> QueueChanged:
    """``booked``, ``cancelled`` or ``released``, about ``booking`` (a stored booking)."""
    data = QueueData(
        region=booking["region"],
        service=booking["service"],
        day=booking["day"],
        slot=booking["start"],
        booking=booking["_id"],
        actor=actor,
        citizen_id=booking.get("citizen_id"),
    )
    return _BOOKING[step](
        source="intake",
        subject=booking["_id"],
        region=booking["region"],
        correlation_id=current_correlation_id(),
        data=data,
    )


_MOMENTS = {
    "checked_in": "checked_in_at",
    "walked_in": "checked_in_at",
    "called": "called_at",
    "served": "finished_at",
    "no_show": "finished_at",
}


def _moment(step: str, ticket: dict[str, Any]) -> Any:
    """When the step happened, as the ticket records it (a transfer: its latest move)."""
    if step == "transferred":
        moves = ticket.get("transfers") or [{}]
        return moves[-1].get("at")
    return ticket.get(_MOMENTS[step])


def ticket_event(
    step: str, ticket: dict[str, Any], actor: str | None, from_service: str | None = None
) -> QueueChanged:
    """A ticket's step (``checked_in`` … ``transferred``), about ``ticket`` as it is
    after the step."""
    data = QueueData(
        region=ticket["region"],
        service=ticket["service"],
        day=ticket["day"],
        slot=ticket["slot"],
        booking=ticket.get("booking"),
        ticket=ticket["_id"],
        number=ticket["number"],
        lane=ticket["lane"],
        priority=ticket["priority"],
        counter=ticket.get("counter"),
        actor=actor,
        citizen_id=ticket.get("citizen_id"),
        survey_digest=ticket.get("survey_digest"),
        from_service=from_service,
        at=_moment(step, ticket),
    )
    return _TICKET[step](
        source="intake",
        subject=ticket["_id"],
        region=ticket["region"],
        correlation_id=current_correlation_id(),
        data=data,
    )
