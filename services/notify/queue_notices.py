"""Notices of the MPP's queue (``<ns>.queue``, docs/queue.md): a booking's reminders and
the SKM survey offered after a served ticket.

* ``queue.booked`` stores the booking's two reminders
  (:class:`~services.notify.queue_reminders.ReminderStore`); ``queue.cancelled``,
  ``queue.released`` and ``queue.checked_in`` stop them. :meth:`QueueNotices.send_due`
  sends those whose time the queue's clock has passed — every process runs it each
  ``poll_seconds`` (``MPP_QUEUE_REMINDER_POLL_SECONDS``, 30 by default), and a test
  calls it with the moment it wants, or moves the clock.
* ``queue.served`` of a citizen with an account opens the survey under the ticket's id
  (the survey store and page take it like an application's id) and sends the link; of
  a walk-in, it opens the survey for the code printed on the ticket
  (:mod:`shared.walk_in_survey`), and tells nobody.

Each is an in-app notice and a delivery on the citizen's preferred outside channel,
written with their ``NotificationStatusChanged`` events in one transaction, like a status
notice; the dispatcher sends the delivery.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from pymongo.errors import PyMongoError

from services.notify.contacts import Contacts
from services.notify.deliveries import next_channel, outcome_event
from services.notify.delivery_store import delivery_document
from services.notify.devices import with_push
from services.notify.inbox import Subject, other_notice
from services.notify.links import NoticeLinks
from services.notify.queue_messages import render_reminder, render_served_survey
from services.notify.queue_reminders import ReminderStore, slot_start
from services.notify.templates import Rendered
from services.notify.unit_of_work import NotifyUnitOfWork, NotifyUnits
from shared.events import (
    Event,
    QueueBooked,
    QueueBookingCancelled,
    QueueCalled,
    QueueCheckedIn,
    QueueData,
    QueueNoShow,
    QueueReleased,
    QueueServed,
    QueueTransferred,
    QueueWalkedIn,
)
from shared.messagebus import HandlerTable
from shared.mongo import only_duplicate_keys
from shared.outbox import StagedEvent
from shared.queue_clock import QueueClock
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitOfWork

__all__ = ["REMINDER_POLL_SECONDS", "QueueNotices", "ReminderClock"]

log = structlog.get_logger(__name__)

REMINDER_POLL_SECONDS = 30.0


ReminderClock = QueueClock
"""The queue's clock, as notify reads it (:mod:`shared.queue_clock`)."""


@dataclass
class _Notice:
    notice: dict[str, Any]
    delivery: dict[str, Any] | None
    staged: list[StagedEvent]


@dataclass
class QueueNotices:
    units: NotifyUnits
    topics: Topics
    links: NoticeLinks
    wake_dispatcher: Callable[[], None]
    reminders: ReminderStore
    clock: QueueClock = field(default_factory=QueueClock)
    poll_seconds: float = REMINDER_POLL_SECONDS

    def handlers(self) -> HandlerTable:
        """Which queue event does what (the other steps of a ticket tell nobody)."""
        table: HandlerTable = {QueueBooked: self.on_booked, QueueServed: self.on_served}
        for ended in (QueueBookingCancelled, QueueReleased, QueueCheckedIn):
            table[ended] = self.on_booking_ended
        for quiet in (QueueWalkedIn, QueueCalled, QueueNoShow, QueueTransferred):
            table[quiet] = _nothing
        return table

    async def on_booked(self, event: QueueBooked, _uow: UnitOfWork) -> None:
        data = event.data
        if data.citizen_id is not None and data.booking and data.slot:
            await self.reminders.schedule(data, event.time)

    async def on_booking_ended(
        self, event: QueueBookingCancelled | QueueReleased | QueueCheckedIn, _uow: UnitOfWork
    ) -> None:
        booking = event.data.booking
        if booking:
            await self.reminders.stop(booking)

    async def on_served(self, event: QueueServed, uow: NotifyUnitOfWork) -> None:
        """Offer the survey of a served ticket (once, whatever the redeliveries)."""
        data = event.data
        if data.ticket is None:
            return
        if data.citizen_id is None:  # a walk-in: the code printed on the ticket opens it
            if data.survey_digest:
                await uow.surveys.invite_walk_in(data, event.time)
            return
        contacts = await self._contacts(data.citizen_id)
        survey = self.links.survey(data.ticket, contacts.language)
        rendered = render_served_survey(
            region=data.region, service=data.service, number=data.number or "", survey_url=survey
        )
        plan = self._plan(f"queue:{data.ticket}:served", data, data.ticket, rendered, contacts)
        plan.notice["survey"] = survey

        async def write(tx: Transaction) -> None:
            await uow.surveys.invite_ticket(data, tx.session)
            await _store(uow, tx, plan)

        try:
            await uow.run(write)
        except PyMongoError as error:
            if not only_duplicate_keys(error):
                raise
            log.info("survey already offered", ticket=data.ticket)
            return
        self._woken(plan)

    async def send_due(self, now: datetime | None = None) -> int:
        """Send every reminder due at ``now`` (the queue's clock by default) not sent
        yet; how many this process sent."""
        sent = 0
        for reminder in await self.reminders.due(now or self.clock.now()):
            sent += await self._send(reminder)
        return sent

    async def run(self) -> None:
        """Every process looks for due reminders; the claim makes one of them send."""
        while True:
            try:
                await self.send_due()
            except Exception:  # a failed pass is tried again at the next one
                log.exception("queue reminders pass failed")
            await asyncio.sleep(self.poll_seconds)

    async def _send(self, reminder: dict[str, Any]) -> int:
        data = QueueData(
            region=reminder["region"],
            service=reminder["service"],
            day=reminder["day"],
            slot=reminder["slot"],
            booking=reminder["booking"],
            citizen_id=reminder["citizen_id"],
        )
        rendered = render_reminder(
            reminder["kind"],
            start=slot_start(data),
            region=data.region,
            service=data.service,
            code=reminder["booking"],
        )
        contacts = await self._contacts(reminder["citizen_id"])
        plan = self._plan(f"queue:{reminder['_id']}", data, reminder["booking"], rendered, contacts)

        async def write(tx: Transaction) -> bool:
            if not await self.reminders.claim(reminder["_id"], tx.session):
                return False
            await _store(self.units.stores, tx, plan)
            return True

        try:
            sent = await self.units.run(write)
        except PyMongoError as error:
            if not only_duplicate_keys(error):
                raise
            sent = False
        if sent:
            self._woken(plan)
        return int(sent)

    async def _contacts(self, citizen_id: str) -> Contacts:
        known = {citizen_id: await self.units.stores.contacts.get(citizen_id)}
        if self.units.stores.devices is not None:
            known = await with_push(self.units.stores.devices, known)
        return known[citizen_id]

    def _plan(
        self, base: str, data: QueueData, reference: str, rendered: Rendered, contacts: Contacts
    ) -> _Notice:
        """The in-app notice ``<base>:in_app``, the delivery on the preferred outside
        channel ``<base>:<channel>``, and their events (pure: no I/O)."""
        notice = _in_app(f"{base}:in_app", data, reference, rendered, self.links.portal)
        causation = notice["_id"]
        channel = next_channel(contacts)
        staged: list[StagedEvent] = []
        delivery = None
        if channel is not None:
            delivery = delivery_document(
                delivery_id=f"{base}:{channel}",
                kind="citizen",
                channel=channel,
                application_id=reference,
                region=data.region,
                correlation_id=causation,
                causation_id=causation,
                status_sequence=0,
                rendered=rendered,
                citizen_id=data.citizen_id,
            )
            staged.append((self.topics.notifications, outcome_event(delivery, "created")))
        return _Notice(notice, delivery, staged)

    def _woken(self, plan: _Notice) -> None:
        if plan.delivery is not None:
            self.wake_dispatcher()


async def _nothing(_event: Event, _uow: UnitOfWork) -> None:
    return None


async def _store(stores: Any, tx: Transaction, plan: _Notice) -> None:
    await stores.notices.add([plan.notice], tx.session)  # a second one: duplicate key
    if plan.delivery is not None:
        await stores.deliveries.add([plan.delivery], tx.session)
    for topic, event in plan.staged:
        tx.emit(topic, event)


def _in_app(
    notice_id: str, data: QueueData, reference: str, rendered: Rendered, portal: str
) -> dict[str, Any]:
    """The inbox's copy: the booking code or ticket number stands where an application's
    tracking number does, and the notice leads to the portal."""
    label = data.number or data.booking or reference
    subject = Subject(data.citizen_id, reference, label, data.service, data.region)
    return other_notice(notice_id, subject, rendered, f"{portal}/portal/")
