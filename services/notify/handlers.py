"""What notify does with each event it reads, and which handler takes which.

Notify reads four streams through one subscriber (:func:`handlers` is its table):

* status changes become notices (:class:`~services.notify.notices.Notices`). A poll's
  consecutive status changes are notified in one unit of work — the database's
  per-transaction cost, not the broker, bounds notify — and the message bus takes a run
  that fails again one change at a time, so one bad change gets its own retries and
  dead letter while the others are notified;
* citizens' contacts and data rights keep notify's projection of the contacts
  (:class:`~services.notify.contacts.ContactsStore`). A contacts change closes the run
  of status changes read before it, so a notice never uses contacts older than a change
  read before it;
* one-time codes and frozen accounts go straight to an address
  (:class:`~services.notify.codes.CodeSender`), and escalations to agencies'
  supervisors;
* the MPP's queue: bookings' reminders and the survey after a served ticket
  (:class:`~services.notify.queue_notices.QueueNotices`);
* complaints: whose each one is, from its filing, and a notice when it is answered,
  escalated or closed (:class:`~services.notify.complaint_notices.ComplaintNotices`).

Every handler takes ``(event, uow)`` and writes through the stores the unit of work
names (:class:`~services.notify.unit_of_work.NotifyUnitOfWork`: ``uow.notices``,
``uow.deliveries``, ``uow.contacts`` …); those that also send or render are methods of
:class:`NotifyHandlers`, made once with what they send with.

Every handler is idempotent: a redelivered event finds its notice, delivery or send
already stored and writes nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from pymongo.errors import DuplicateKeyError

from services.notify.codes import CodeSender
from services.notify.complaint_notices import ComplaintNotices
from services.notify.notices import Notices
from services.notify.queue_notices import QueueNotices
from services.notify.unit_of_work import NotifyUnitOfWork
from shared.events import (
    AccountCodeIssued,
    AccountContactReplaced,
    AccountContactsChanged,
    AccountFrozen,
    CancellationRefused,
    DataRightExercised,
    Event,
    NikVerified,
    SlaBreached,
    StatusChanged,
    WebhookDeliveryFailed,
)
from shared.messagebus import Batched, HandlerTable
from shared.unit_of_work import UnitOfWork

__all__ = [
    "NotifyHandlers",
    "handlers",
    "nothing_to_send",
    "on_contacts_changed",
    "on_data_right",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class NotifyHandlers:
    """The handlers that make notices or send codes: each takes ``(event, uow)``."""

    notices: Notices
    codes: CodeSender

    async def on_status_changes(
        self, events: Sequence[StatusChanged], uow: NotifyUnitOfWork
    ) -> None:
        """The notices of a run of status changes, in one unit of work."""
        try:
            await self.notices.notify(events, uow)
        except DuplicateKeyError:
            if len(events) > 1:
                raise  # the bus takes the run again one change at a time
            # Another process notified it between the look and the insert.
            log.info("status change already notified", application_id=events[0].subject)

    async def on_escalation(
        self, event: SlaBreached | WebhookDeliveryFailed, uow: NotifyUnitOfWork
    ) -> None:
        try:
            await self.notices.escalate(event, uow)
        except DuplicateKeyError:
            log.info("escalation already handled", escalation=event.id)

    async def on_code_issued(self, event: AccountCodeIssued, _uow: UnitOfWork) -> None:
        await self.codes.send_code(event)  # straight to the address, not the inbox

    async def on_account_frozen(self, event: AccountFrozen, _uow: UnitOfWork) -> None:
        await self.codes.send_frozen_notice(event)  # to both contacts, whatever the preferences

    async def on_contact_replaced(self, event: AccountContactReplaced, _uow: UnitOfWork) -> None:
        # To the old address, whatever the preferences.
        await self.codes.send_contact_replaced_notice(event)


async def on_contacts_changed(event: AccountContactsChanged, uow: NotifyUnitOfWork) -> None:
    await uow.contacts.apply(event.data)


async def on_data_right(event: DataRightExercised, uow: NotifyUnitOfWork) -> None:
    if event.data.right == "erasure":  # an erasure: the contacts and push devices go
        await uow.contacts.erase(event.data.citizen_id)
        if uow.devices is not None:
            await uow.devices.erase(event.data.citizen_id)


async def nothing_to_send(_event: Event, _uow: UnitOfWork) -> None:
    return None


def handlers(
    notices: Notices,
    codes: CodeSender,
    queue: QueueNotices | None = None,
    complaints: ComplaintNotices | None = None,
) -> HandlerTable:
    """Which handler takes which event notify reads (the queue's: ``queue``'s table;
    complaints': ``complaints``'s)."""
    handle = NotifyHandlers(notices, codes)
    table = (queue.handlers() if queue is not None else {}) | {
        StatusChanged: Batched(handle.on_status_changes),
        AccountContactsChanged: on_contacts_changed,
        DataRightExercised: on_data_right,
        AccountCodeIssued: handle.on_code_issued,
        AccountFrozen: handle.on_account_frozen,
        AccountContactReplaced: handle.on_contact_replaced,
        SlaBreached: handle.on_escalation,
        WebhookDeliveryFailed: handle.on_escalation,
        NikVerified: nothing_to_send,  # for the audit log; the citizen saw it happen
        # A refused cancellation is shown on the citizen's application (intake keeps the
        # reason); the status did not change, so there is no notice to send.
        CancellationRefused: nothing_to_send,
    }
    return table | (complaints.handlers(on_data_right) if complaints is not None else {})
