"""From events to notices: what notify does with each event it consumes.

A status change becomes, in one transaction: the in-app notice, a delivery on the
citizen's preferred outside channel (if they chose one), the survey invitation when the
application is completed, and the ``NotificationStatusChanged`` events that announce
them. The in-app notice's unique id makes the whole transaction happen once per status
change: a redelivered event finds its notice already stored and nothing else is written.
A poll's consecutive status changes are notified together, in one unit of work (the
``Batched`` handler in :mod:`services.notify.handlers`).

An escalation (SLA breach, failed webhook delivery) becomes one email delivery to each
supervisor address routing named (the catalogue's ``supervisor_email`` when none), keyed
by the escalation event's id, so a redelivered escalation is not sent twice.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog

from services.notify.contacts import Contacts
from services.notify.deliveries import next_channel, outcome_event
from services.notify.delivery_store import delivery_document
from services.notify.devices import with_push
from services.notify.inbox import in_app_document
from services.notify.links import NoticeLinks
from services.notify.templates import StatusNotice, render_escalation, render_status
from services.notify.unit_of_work import NotifyUnitOfWork
from shared.catalogue.live import served_catalogue
from shared.errors import Rejected
from shared.events import (
    NotificationData,
    NotificationStatusChanged,
    SlaBreached,
    StatusChanged,
    StatusChangedData,
    WebhookDeliveryFailed,
    utcnow,
)
from shared.mongo import insert_first
from shared.outbox import StagedEvent
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction

__all__ = ["Notices"]

log = structlog.get_logger(__name__)


@dataclass
class _Notice:
    change: StatusChangedData
    notice: dict[str, Any]
    delivery: dict[str, Any] | None
    staged: list[StagedEvent]
    completed: bool


@dataclass
class Notices:
    """Makes notices; what it reads and writes it reaches through the unit of work
    (its contacts, push devices, inbox, deliveries and surveys)."""

    topics: Topics
    wake_dispatcher: Callable[[], None]
    links: NoticeLinks = field(default_factory=lambda: NoticeLinks.from_settings(Settings()))
    """Where notices lead (absolute: the application page, the survey page)."""

    async def notify(self, events: Sequence[StatusChanged], uow: NotifyUnitOfWork) -> None:
        """Notices for many status changes (one poll's worth) in one transaction: the
        database's per-transaction cost, not the broker, bounds notify, so one
        transaction per run instead of per change is what keeps up. The citizens'
        contacts are read in one query. The notices are inserted without looking first:
        a change already notified (its in-app notice exists, a redelivery) aborts that
        transaction with a duplicate key, and the run is written again, skipping the
        notices found — a look-up each run only when something came twice."""
        changes = [event for event in events if event.data.citizen_id is not None]
        if not changes:
            return  # applied for at a counter without an account: nobody to tell
        known = await uow.contacts.get_many({e.data.citizen_id for e in changes})  # type: ignore[misc]
        if uow.devices is not None:  # push is skipped, like a channel without an address
            known = await with_push(uow.devices, known)
        plans = [self._plan(event, known[event.data.citizen_id]) for event in changes]  # type: ignore[index]
        notified = await insert_first(
            lambda look_first: uow.run(partial(_write, uow, plans, look_first=look_first))
        )
        if len(notified) < len(plans):
            log.info("status changes already notified", count=len(plans) - len(notified))
        if any(plan.delivery is not None for plan in notified):
            self.wake_dispatcher()

    def _plan(self, event: StatusChanged, contacts: Contacts) -> "_Notice":
        """What notifying one status change writes and announces (pure: no I/O)."""
        change = event.data
        completed = change.to_status == "completed"
        notice_of = StatusNotice(
            status=change.to_status,
            tracking_number=change.tracking_number,
            service=change.service,
            region=change.region,
            changed_at=event.time,
            note=change.note,
            requested_fields=tuple(change.requested_fields),
            sla_due_at=change.sla_due_at,
            application_url=self.links.application(change.application_id, contacts.language),
            survey_url=(
                self.links.survey(change.application_id, contacts.language) if completed else None
            ),
        )
        rendered = render_status(notice_of, contacts.language)
        notice = in_app_document(change, rendered, utcnow(), notice_of)
        in_app_event = NotificationStatusChanged(
            source="notify",
            subject=change.application_id,
            region=change.region,
            correlation_id=event.correlation_id,
            causation_id=event.id,
            data=NotificationData(
                notification_id=notice["_id"],
                application_id=change.application_id,
                citizen_id=change.citizen_id,  # type: ignore[arg-type]
                channel="in_app",
                status="delivered",
                status_sequence=change.sequence,
                template=rendered.template,
                template_version=rendered.version,
            ),
        )
        staged: list[StagedEvent] = [(self.topics.notifications, in_app_event)]
        channel = next_channel(contacts)
        delivery = None
        if channel is not None:
            delivery = delivery_document(
                delivery_id=f"{change.application_id}:{change.sequence}:{channel}",
                kind="citizen",
                channel=channel,
                application_id=change.application_id,
                region=change.region,
                correlation_id=event.correlation_id,
                causation_id=event.id,
                status_sequence=change.sequence,
                rendered=rendered,
                citizen_id=change.citizen_id,
            )
            staged.append((self.topics.notifications, outcome_event(delivery, "created")))
        return _Notice(change, notice, delivery, staged, completed)

    async def escalate(
        self, event: SlaBreached | WebhookDeliveryFailed, uow: NotifyUnitOfWork
    ) -> None:
        """One email delivery to each supervisor address (a redelivered escalation raises
        ``DuplicateKeyError``: its deliveries are stored already)."""
        deliveries = _escalation_deliveries(event)

        async def write(tx: Transaction) -> None:
            await uow.deliveries.add(deliveries, tx.session)
            for delivery in deliveries:
                tx.emit(self.topics.notifications, outcome_event(delivery, "created"))

        await uow.run(write)
        self.wake_dispatcher()


async def _write(
    uow: NotifyUnitOfWork, plans: list[_Notice], tx: Transaction, *, look_first: bool
) -> list[_Notice]:
    """Store the notices (with ``look_first``: those not stored yet), their deliveries
    and survey invitations, and raise their events; returns the notices written."""
    done: set[str] = set()
    if look_first:
        done = await uow.notices.stored([plan.notice["_id"] for plan in plans], tx.session)
    fresh: list[_Notice] = []
    for plan in plans:
        if plan.notice["_id"] in done:
            continue
        done.add(plan.notice["_id"])
        fresh.append(plan)
    if not fresh:
        return fresh
    await uow.notices.add([p.notice for p in fresh], tx.session)
    planned = [p.delivery for p in fresh if p.delivery is not None]
    if planned:
        await uow.deliveries.add(planned, tx.session)
    for plan in fresh:
        if plan.completed:
            await uow.surveys.invite(plan.change, tx.session)
        for topic, event in plan.staged:
            tx.emit(topic, event)
    return fresh


def _escalation_deliveries(event: SlaBreached | WebhookDeliveryFailed) -> list[dict[str, Any]]:
    """The supervisors' email deliveries for one escalation (pure: no I/O)."""
    data = event.data
    addresses = list(dict.fromkeys(data.escalate_to))
    if not addresses:
        agency = served_catalogue().agency(data.agency)
        addresses = [agency.supervisor_email] if agency else []
    if not addresses:
        raise Rejected(f"no supervisor address for agency {data.agency}")
    detail = None
    if isinstance(event, WebhookDeliveryFailed):
        detail = (
            f"Endpoint {event.data.endpoint_host}: {event.data.attempts} percobaan / "
            f"attempts; {event.data.last_error}"
        )
    rendered = render_escalation(
        kind="sla_breach" if isinstance(event, SlaBreached) else "webhook_failure",
        tracking_number=data.tracking_number,
        service=data.service,
        agency=data.agency,
        status=data.status,
        reason=data.reason,
        region=data.region,
        sla_due_at=data.sla_due_at,
        detail=detail,
    )
    return [
        delivery_document(
            delivery_id=f"{event.id}:{number}",
            kind="operator",
            channel="email",
            application_id=data.application_id,
            region=data.region,
            correlation_id=event.correlation_id,
            causation_id=event.id,
            status_sequence=0,
            rendered=rendered,
            address=address,
        )
        for number, address in enumerate(addresses, start=1)
    ]
