"""What intake does with the events it reads: each citizen's status timeline.

Intake is the citizen's side. Routing owns the workflow; intake keeps a read model of
it, so the portal and the tracking API answer without asking routing. A change is
applied once (it carries its sequence number), so a redelivered one changes nothing.
"""

from functools import partial

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.tracking import record_refusal, record_status_change
from shared.events import CancellationRefused, StatusChanged
from shared.messagebus import HandlerTable
from shared.unit_of_work import UnitOfWork

__all__ = ["handlers", "on_cancellation_refused", "on_status_changed"]


async def on_status_changed(db: AsyncDatabase, event: StatusChanged, _uow: UnitOfWork) -> None:
    await record_status_change(db["applications"], event)


async def on_cancellation_refused(
    db: AsyncDatabase, event: CancellationRefused, _uow: UnitOfWork
) -> None:
    await record_refusal(db["applications"], event)


def handlers(db: AsyncDatabase) -> HandlerTable:
    """Which handler takes which event intake reads from the status topic."""
    return {
        StatusChanged: partial(on_status_changed, db),
        CancellationRefused: partial(on_cancellation_refused, db),
    }
