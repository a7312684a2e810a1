"""What intake does with the events it reads: each citizen's status timeline.

Intake is the citizen's side. Routing owns the workflow; intake keeps a read model of
it, so the portal and the tracking API answer without asking routing. A change is
applied once (it carries its sequence number), so a redelivered one changes nothing.
"""

from collections.abc import Sequence
from functools import partial

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.applications import ApplicationRepository
from shared.events import CancellationRefused, StatusChanged
from shared.messagebus import Batched, HandlerTable
from shared.unit_of_work import UnitOfWork

__all__ = ["handlers", "on_cancellation_refused", "on_status_changes"]


async def on_status_changes(
    applications: ApplicationRepository, events: Sequence[StatusChanged], _uow: UnitOfWork
) -> None:
    """A poll's consecutive status changes, in one bulk write."""
    await applications.apply_status_changes(events)


async def on_cancellation_refused(
    applications: ApplicationRepository, event: CancellationRefused, _uow: UnitOfWork
) -> None:
    await applications.note_refusal(event)


def handlers(db: AsyncDatabase) -> HandlerTable:
    """Which handler takes which event intake reads from the status topic."""
    applications = ApplicationRepository(db)
    return {
        StatusChanged: Batched(partial(on_status_changes, applications)),
        CancellationRefused: partial(on_cancellation_refused, applications),
    }
