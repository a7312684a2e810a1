"""What intake does with the events it reads: each citizen's status timeline.

Routing owns the workflow; intake keeps a read model of it, so the portal and the
tracking API answer without asking routing. A change carries its sequence number, so a
redelivered one changes nothing.
"""

from collections.abc import Sequence

from services.intake.bills import record_bill
from services.intake.parts import IntakeUnitOfWork
from shared.events import BillChanged, CancellationRefused, PaymentRefused, StatusChanged
from shared.messagebus import Batched, HandlerTable

__all__ = [
    "handlers",
    "on_bill_changed",
    "on_cancellation_refused",
    "on_payment_refused",
    "on_status_changes",
    "payment_handlers",
]


async def on_status_changes(events: Sequence[StatusChanged], uow: IntakeUnitOfWork) -> None:
    """A poll's consecutive status changes, in one bulk write."""
    await uow.applications.apply_status_changes(events)


async def on_cancellation_refused(event: CancellationRefused, uow: IntakeUnitOfWork) -> None:
    await uow.applications.note_refusal(event)


async def on_bill_changed(event: BillChanged, uow: IntakeUnitOfWork) -> None:
    """The application's bill as it is now, for the citizen's view and the counter."""
    await record_bill(uow.applications.collection, event)


async def on_payment_refused(event: PaymentRefused, uow: IntakeUnitOfWork) -> None:
    """A refused report changes no bill (the finance officer reads it in the audit log)."""


def handlers() -> HandlerTable:
    """Which handler takes which event intake reads from the status topic."""
    return {
        StatusChanged: Batched(on_status_changes),
        CancellationRefused: on_cancellation_refused,
    }


def payment_handlers() -> HandlerTable:
    """Which handler takes which event intake reads from the payments topic."""
    return {BillChanged: on_bill_changed, PaymentRefused: on_payment_refused}
