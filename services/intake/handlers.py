"""What intake does with the events it reads: each citizen's status timeline, and the
closing of a complaint (its attachments' period starts).

Routing owns the workflow; intake keeps a read model of it, so the portal and the
tracking API answer without asking routing. A change carries its sequence number, so a
redelivered one changes nothing.
"""

from collections.abc import Sequence

from services.intake.bills import record_bill, record_refund
from services.intake.parts import IntakeUnitOfWork
from shared.events import (
    BillChanged,
    CancellationRefused,
    ComplaintAnswered,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintForwarded,
    ComplaintReplied,
    ComplaintTracked,
    Event,
    FindingHandled,
    PaymentRefused,
    RefundFailed,
    RefundSubmitted,
    RefundSucceeded,
    StatusChanged,
)
from shared.messagebus import Batched, HandlerTable

__all__ = [
    "handlers",
    "on_bill_changed",
    "on_cancellation_refused",
    "on_complaint_closed",
    "on_payment_refused",
    "on_refund",
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


async def on_refund(
    event: RefundSubmitted | RefundSucceeded | RefundFailed, uow: IntakeUnitOfWork
) -> None:
    """A refund of the application's paid bill, as the citizen reads it on their bill."""
    await record_refund(uow.applications.collection, event)


async def on_complaint_closed(event: ComplaintClosed, uow: IntakeUnitOfWork) -> None:
    """The complaint's attachments are kept for its period from now
    (:mod:`services.intake.complaint_files`)."""
    await uow.complaint_files.closed(event.data.complaint_id, event.data.closed_at)


async def _nothing(_event: Event, _uow: IntakeUnitOfWork) -> None:
    return None


def handlers() -> HandlerTable:
    """Which handler takes which event intake reads from the status and complaints
    topics (of a complaint's moves, only its closing matters to intake)."""
    table: HandlerTable = {
        StatusChanged: Batched(on_status_changes),
        CancellationRefused: on_cancellation_refused,
        ComplaintClosed: on_complaint_closed,
    }
    moves = (ComplaintForwarded, ComplaintTracked, ComplaintAnswered, ComplaintReplied)
    for quiet in (*moves, ComplaintEscalated):
        table[quiet] = _nothing
    return table


def payment_handlers() -> HandlerTable:
    """Which handler takes which event intake reads from the payments topic."""
    return {
        BillChanged: on_bill_changed,
        PaymentRefused: on_payment_refused,
        RefundSubmitted: on_refund,
        RefundSucceeded: on_refund,
        RefundFailed: on_refund,
        FindingHandled: _nothing,  # the finance officer's bookkeeping, no citizen's concern
    }
