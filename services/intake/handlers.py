"""What intake does with the events it reads: each citizen's status timeline.

Routing owns the workflow; intake keeps a read model of it, so the portal and the
tracking API answer without asking routing. A change carries its sequence number, so a
redelivered one changes nothing.
"""

from collections.abc import Sequence

from services.intake.parts import IntakeUnitOfWork
from shared.events import CancellationRefused, StatusChanged
from shared.messagebus import Batched, HandlerTable

__all__ = ["handlers", "on_cancellation_refused", "on_status_changes"]


async def on_status_changes(events: Sequence[StatusChanged], uow: IntakeUnitOfWork) -> None:
    """A poll's consecutive status changes, in one bulk write."""
    await uow.applications.apply_status_changes(events)


async def on_cancellation_refused(event: CancellationRefused, uow: IntakeUnitOfWork) -> None:
    await uow.applications.note_refusal(event)


def handlers() -> HandlerTable:
    """Which handler takes which event intake reads from the status topic."""
    return {
        StatusChanged: Batched(on_status_changes),
        CancellationRefused: on_cancellation_refused,
    }
