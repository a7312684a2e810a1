"""What intake does with the events it reads: each citizen's status timeline.

Intake is the citizen's side. Routing owns the workflow; intake keeps a read model of
it, so the portal and the tracking API answer without asking routing. A change is
applied once (it carries its sequence number), so a redelivered one changes nothing.
"""

from functools import partial

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.applications import ApplicationRepository
from shared.events import CancellationRefused, StatusChanged
from shared.messagebus import HandlerTable
from shared.unit_of_work import UnitOfWork

__all__ = ["handlers", "on_cancellation_refused", "on_status_changed"]


async def on_status_changed(
    applications: ApplicationRepository, event: StatusChanged, _uow: UnitOfWork
) -> None:
    await applications.apply_status_change(event)


async def on_cancellation_refused(
    applications: ApplicationRepository, event: CancellationRefused, _uow: UnitOfWork
) -> None:
    await applications.note_refusal(event)


def handlers(db: AsyncDatabase) -> HandlerTable:
    """Which handler takes which event intake reads from the status topic."""
    applications = ApplicationRepository(db)
    return {
        StatusChanged: partial(on_status_changed, applications),
        CancellationRefused: partial(on_cancellation_refused, applications),
    }
