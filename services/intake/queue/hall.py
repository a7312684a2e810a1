"""What the queue inside the building works with, made once by intake's composition
root (:mod:`services.intake.parts`): the catalogue's rules, the ledger, the bookings,
the tickets, the unit of work its changes and their events are written in, and the
queue's clock.

The clock is the queue's "now" (:class:`shared.queue_clock.QueueClock`): the real time,
unless a test moves it (``moved_to``) or a rehearsal names a file holding the moment,
so a check-in window, a walk-in's slot and the release of a late booking are tested at
any hour without sleeping.
"""

from dataclasses import dataclass, field

from services.intake.queue.bookings import BookingStore
from services.intake.queue.ledger import QueueLedger
from services.intake.queue.tickets import TicketStore
from shared.catalogue import Catalogue
from shared.queue_clock import QueueClock
from shared.unit_of_work import UnitsOfWork

__all__ = ["Hall", "QueueClock"]


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
    survey_pages: str = ""
    """Where notify's survey pages are: a walk-in's ticket links there."""
