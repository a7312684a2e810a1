"""What notify does with each event it reads, and which handler takes which.

Notify reads three streams through one subscriber (:func:`handlers` is its table):

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
  supervisors.

Every handler is idempotent: a redelivered event finds its notice, delivery or send
already stored and writes nothing.
"""

from collections.abc import Sequence
from functools import partial

import structlog
from pymongo.errors import DuplicateKeyError

from services.notify.codes import CodeSender
from services.notify.contacts import ContactsStore
from services.notify.devices import DeviceStore
from services.notify.notices import Notices
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
    "handlers",
    "nothing_to_send",
    "on_account_frozen",
    "on_code_issued",
    "on_contact_replaced",
    "on_contacts_changed",
    "on_data_right",
    "on_escalation",
    "on_status_changes",
]

log = structlog.get_logger(__name__)


async def on_status_changes(
    notices: Notices, events: Sequence[StatusChanged], uow: UnitOfWork
) -> None:
    """The notices of a run of status changes, in one unit of work."""
    try:
        await notices.notify(events, uow)
    except DuplicateKeyError:
        if len(events) > 1:
            raise  # the bus takes the run again one change at a time
        # Another process notified it between the look and the insert.
        log.info("status change already notified", application_id=events[0].subject)


async def on_contacts_changed(
    contacts: ContactsStore, event: AccountContactsChanged, _uow: UnitOfWork
) -> None:
    await contacts.apply(event.data)


async def on_data_right(
    contacts: ContactsStore, devices: DeviceStore, event: DataRightExercised, _uow: UnitOfWork
) -> None:
    if event.data.right == "erasure":  # an erasure: the contacts and push devices go
        await contacts.erase(event.data.citizen_id)
        await devices.erase(event.data.citizen_id)


async def on_code_issued(codes: CodeSender, event: AccountCodeIssued, _uow: UnitOfWork) -> None:
    await codes.send_code(event)  # straight to the address, not the inbox


async def on_account_frozen(codes: CodeSender, event: AccountFrozen, _uow: UnitOfWork) -> None:
    await codes.send_frozen_notice(event)  # to both contacts, whatever the preferences


async def on_contact_replaced(
    codes: CodeSender, event: AccountContactReplaced, _uow: UnitOfWork
) -> None:
    await codes.send_contact_replaced_notice(event)  # to the old address, whatever the preferences


async def on_escalation(
    notices: Notices, event: SlaBreached | WebhookDeliveryFailed, uow: UnitOfWork
) -> None:
    try:
        await notices.escalate(event, uow)
    except DuplicateKeyError:
        log.info("escalation already handled", escalation=event.id)


async def nothing_to_send(_event: Event, _uow: UnitOfWork) -> None:
    return None


def handlers(
    notices: Notices, contacts: ContactsStore, codes: CodeSender, devices: DeviceStore
) -> HandlerTable:
    """Which handler takes which event notify reads."""
    return {
        StatusChanged: Batched(partial(on_status_changes, notices)),
        AccountContactsChanged: partial(on_contacts_changed, contacts),
        DataRightExercised: partial(on_data_right, contacts, devices),
        AccountCodeIssued: partial(on_code_issued, codes),
        AccountFrozen: partial(on_account_frozen, codes),
        AccountContactReplaced: partial(on_contact_replaced, codes),
        SlaBreached: partial(on_escalation, notices),
        WebhookDeliveryFailed: partial(on_escalation, notices),
        NikVerified: nothing_to_send,  # for the audit log; the citizen saw it happen
        # A refused cancellation is shown on the citizen's application (intake keeps the
        # reason); the status did not change, so there is no notice to send.
        CancellationRefused: nothing_to_send,
    }
