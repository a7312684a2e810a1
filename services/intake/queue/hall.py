"""What the queue inside the building works with, made once by intake's composition
root (:mod:`services.intake.parts`): the catalogue's rules, the ledger, the bookings,
the tickets, the unit of work its changes and their events are written in, and the
queue's clock.

The clock is the queue's "now": the real time, unless a test moves it
(:attr:`QueueClock.moved_to`), so a check-in window, a walk-in's slot and the release
of a late booking are tested at any hour without sleeping.
"""

from dataclasses import dataclass, field
from datetime import datetime

from services.intake.queue.bookings import BookingStore
from services.intake.queue.ledger import QueueLedger
from services.intake.queue.tickets import TicketStore
from shared.catalogue import Catalogue
from shared.events import utcnow
from shared.unit_of_work import UnitsOfWork

__all__ = ["Hall", "QueueClock"]


class QueueClock:
    """The real time, or the moment a test moved it to."""

    def __init__(self) -> None:
        self.moved_to: datetime | None = None

    def now(self) -> datetime:
        return self.moved_to or utcnow()


@dataclass(frozen=True)
class Hall:
    """The MPP building's queue: every part its kiosk, counters and sweep use."""

    catalogue: Catalogue
    ledger: QueueLedger
    bookings: BookingStore
    tickets: TicketStore
    units: UnitsOfWork
    topic: str
    """The queue topic (``<namespace>.queue``) every change is announced on."""
    clock: QueueClock = field(default_factory=QueueClock)
