"""Sends on the outside channels (email, SMS, WhatsApp, push): durable, bounded, exactly
one per change and channel.

A delivery is a document in ``deliveries`` whose ``_id`` is the unique key
``<application>:<status sequence>:<channel>`` (operators' emails: ``<event id>:<n>``), so
a redelivered status change can never create a second one. Its life follows GOV.UK
Notify::

    created ──► sending ──► delivered
                  │  ├────► temporary-failure ──(backoff)──► sending …
                  │  │                       └─(budget spent)──► technical-failure
                  │  └────► permanent-failure ──► a new delivery on the next channel
                  └─(process died)──► sent again once its lease expires

Every status change is written together with its ``NotificationStatusChanged`` event in
one transaction (the outbox), so audit sees exactly what happened.

Scheduling is durable: a delivery waiting to be sent has a ``due_at``; the
:class:`Dispatcher` polls the ``due_at`` index (and is woken when a delivery is created),
claims a due delivery by pushing its ``due_at`` one lease ahead, and sends. Retries and
sends held back by the rate limit are only a later ``due_at``, so they survive restarts.
A delivery that is finished has no ``due_at`` and is never looked at again.
"""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from prometheus_client import Counter
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.channels import CHANNELS, Channels, Outcome, Outlets
from services.notify.contacts import Contacts, ContactsStore
from services.notify.delivery_store import DeliveryStore, delivery_document
from services.notify.devices import DeviceStore, with_push
from services.notify.ratelimit import RecipientLimiter
from services.notify.templates import Rendered
from shared.events import NotificationData, NotificationStatusChanged, utcnow
from shared.polling import PollingLoop
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["Dispatcher", "next_channel", "outcome_event", "retry_delay"]

log = structlog.get_logger(__name__)


def next_channel(contacts: Contacts, after: str | None = None) -> str | None:
    """The citizen's preferred outside channel, or the next one after ``after`` (the
    fallback when a channel fails for good), by the table of channel plug-ins."""
    return CHANNELS.next(contacts, after)


def retry_delay(attempts: int, settings: Settings) -> float:
    """Backoff after the ``attempts``-th failed attempt: doubling, capped."""
    delay = settings.notify_retry_backoff_seconds * 2 ** max(attempts - 1, 0)
    return min(delay, settings.notify_retry_max_delay_seconds)


def outcome_event(delivery: dict[str, Any], status: str) -> NotificationStatusChanged:
    rendered = delivery["rendered"]
    return NotificationStatusChanged(
        source="notify",
        subject=delivery["application_id"],
        region=delivery.get("region"),
        correlation_id=delivery["correlation_id"],
        causation_id=delivery["causation_id"],
        data=NotificationData(
            notification_id=delivery["_id"],
            application_id=delivery["application_id"],
            citizen_id=delivery.get("citizen_id"),
            channel=delivery["channel"],
            status=status,  # type: ignore[arg-type]
            status_sequence=delivery["status_sequence"],
            template=rendered["template"],
            template_version=rendered["version"],
        ),
    )


def _rendered(delivery: dict[str, Any]) -> Rendered:
    r = delivery["rendered"]
    parts = (r["template"], r["version"], r["language"], r["subject"], r["text"], r["html"])
    return Rendered(*parts, r.get("link"))


@dataclass
class Dispatcher:
    units: UnitsOfWork
    db: AsyncDatabase
    topics: Topics
    settings: Settings
    contacts: ContactsStore
    outlets: Outlets
    """The adapters each channel's sender is made from (SMTP, the messaging provider,
    push)."""
    outcomes: Counter | None = None
    """Counts each send's status by channel (``mpp_notifications_total``)."""
    devices: DeviceStore | None = None
    """Who has a push device; None: push is never chosen."""
    channels: Channels = CHANNELS
    """The channel plug-ins: where each reaches a citizen, and its sender."""
    deliveries: DeliveryStore | None = None
    """The one writer of ``deliveries`` (None: one over ``db``)."""

    def __post_init__(self) -> None:
        self._deliveries = self.deliveries or DeliveryStore(self.db)
        self._limiter = RecipientLimiter(
            self.db,
            self.settings.notify_rate_per_recipient,
            self.settings.notify_rate_window_seconds,
        )
        self._loop = PollingLoop("dispatcher", self.settings.notify_poll_seconds)
        self._senders = self.channels.senders(self.outlets)

    async def create_indexes(self) -> None:
        await self._deliveries.create_indexes()
        await self._limiter.create_indexes()

    def wake(self) -> None:
        self._loop.wake()

    def stop(self) -> None:
        self._loop.stop()

    async def run(self) -> None:
        """Send due deliveries until stopped; keeps going through outages."""
        await self._loop.run(self.dispatch_once)

    async def dispatch_once(self) -> int:
        """One pass over the deliveries due now; returns how many were looked at.

        One recipient's deliveries are handled one after another, oldest first, so
        notices keep their order; different recipients are sent to concurrently.
        """
        now = utcnow()
        due = await self._deliveries.due(now, self.settings.notify_concurrency * 10)
        if not due:
            return 0
        queues: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for delivery in due:
            queues[delivery["recipient"]].append(delivery)
        gate = asyncio.Semaphore(self.settings.notify_concurrency)

        async def drain(queue: list[dict[str, Any]]) -> None:
            async with gate:
                for delivery in queue:
                    await self._process(delivery)

        await asyncio.gather(*(drain(queue) for queue in queues.values()))
        return len(due)

    async def _process(self, delivery: dict[str, Any]) -> None:
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.notify_lease_seconds)
        if not await self._deliveries.claim(delivery, lease):
            return  # another process took it, or it changed since it was read
        held_until = await self._limiter.take(delivery["recipient"], now)
        if held_until is not None:
            await self._deliveries.hold(delivery["_id"], held_until, now)
            log.info("send held back by the rate limit", delivery=delivery["_id"])
            return
        contacts = await self._contacts(delivery.get("citizen_id"))
        address = self._address(delivery, contacts)
        if address is None:
            await self._finish(delivery, Outcome("permanent-failure", "no address"), contacts)
            return
        await self._transition(delivery, {"status": "sending"}, "sending", inc_attempts=True)
        outcome = await self._send(delivery, address)
        delivery["attempts"] = delivery.get("attempts", 0) + 1
        await self._finish(delivery, outcome, contacts)

    async def _contacts(self, citizen_id: str | None) -> Contacts | None:
        """The citizen's contacts at send time, and whether they have a push device."""
        if citizen_id is None:
            return None
        contacts = await self.contacts.get(citizen_id)
        if self.devices is None:
            return contacts
        return (await with_push(self.devices, {citizen_id: contacts}))[citizen_id]

    def _address(self, delivery: dict[str, Any], contacts: Contacts | None) -> str | None:
        """The operator's address the delivery names, else where its channel reaches the
        citizen now."""
        if delivery.get("address"):
            return str(delivery["address"])
        if contacts is None:
            return None
        return self.channels.address(delivery["channel"], contacts)

    async def _send(self, delivery: dict[str, Any], address: str) -> Outcome:
        sender = self._senders.get(delivery["channel"])
        if sender is None:
            return Outcome("permanent-failure", f"{delivery['channel']} is not configured")
        return await sender.send(address, _rendered(delivery), delivery["_id"])

    async def _finish(
        self, delivery: dict[str, Any], outcome: Outcome, contacts: Contacts | None
    ) -> None:
        now = utcnow()
        status = outcome.status
        fields: dict[str, Any] = {"status": status, "last_error": outcome.reason}
        if status == "temporary-failure":
            attempts = delivery.get("attempts", 0)
            if attempts >= self.settings.notify_retry_attempts:
                status = "technical-failure"
                fields["status"] = status
            else:
                delay = retry_delay(attempts, self.settings)
                fields["due_at"] = now + timedelta(seconds=delay)
        fallback = None
        if status == "permanent-failure" and contacts is not None:
            channel = self.channels.next(contacts, after=delivery["channel"])
            if channel is not None:
                fallback = delivery_document(
                    delivery_id=(
                        f"{delivery['application_id']}:{delivery['status_sequence']}:{channel}"
                    ),
                    kind=delivery["kind"],
                    channel=channel,
                    application_id=delivery["application_id"],
                    region=delivery.get("region"),
                    correlation_id=delivery["correlation_id"],
                    causation_id=delivery["causation_id"],
                    status_sequence=delivery["status_sequence"],
                    rendered=_rendered(delivery),
                    citizen_id=delivery.get("citizen_id"),
                    fallback_from=delivery["channel"],
                )
        await self._transition(delivery, fields, status, fallback=fallback)
        log.info(
            "notice send finished",
            delivery=delivery["_id"],
            status=status,
            reason=outcome.reason,
            fallback=fallback["channel"] if fallback else None,
        )
        if fallback is not None:
            self.wake()

    async def _transition(
        self,
        delivery: dict[str, Any],
        fields: dict[str, Any],
        status: str,
        *,
        inc_attempts: bool = False,
        fallback: dict[str, Any] | None = None,
    ) -> None:
        """Write the new status and its event in one transaction (plus the fallback
        delivery and its ``created`` event, when there is one)."""
        update: dict[str, Any] = {"$set": {**fields, "updated_at": utcnow()}}
        if "due_at" not in fields and status != "sending":
            update["$unset"] = {"due_at": ""}
        if inc_attempts:
            update["$inc"] = {"attempts": 1}
        event = outcome_event(delivery, status)

        async def write(tx: Transaction) -> None:
            await self._deliveries.change(delivery["_id"], update, tx.session)
            tx.emit(self.topics.notifications, event)
            if fallback is not None and await self._deliveries.add_if_new(fallback, tx.session):
                tx.emit(self.topics.notifications, outcome_event(fallback, "created"))

        await self.units.run(write)
        if self.outcomes is not None:
            self.outcomes.labels(channel=delivery["channel"], status=status).inc()
