"""From events to notices: what notify does with each event it consumes.

A status change becomes, in one transaction: the in-app notice, a delivery on the
citizen's preferred outside channel (if they chose one), the survey invitation when the
application is completed, and the ``NotificationStatusChanged`` events that announce
them. The in-app notice's unique id makes the whole transaction happen once per status
change: a redelivered event collides on it and nothing else is written.

An escalation (SLA breach, failed webhook delivery) becomes one email delivery to each
supervisor address routing named (the catalogue's ``supervisor_email`` when none), keyed
by the escalation event's id, so a redelivered escalation is not sent twice.
"""

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from aiokafka import ConsumerRecord
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notify.contacts import ContactsStore
from services.notify.deliveries import delivery_document, next_channel, outcome_event
from services.notify.inbox import in_app_document
from services.notify.surveys import SurveyStore, survey_path
from services.notify.templates import render_escalation, render_status
from shared.catalogue import load_catalogue
from shared.events import (
    Event,
    NotificationData,
    NotificationStatusChanged,
    SlaBreached,
    StatusChanged,
    WebhookDeliveryFailed,
    utcnow,
)
from shared.mongo import in_transaction
from shared.outbox import Outbox
from shared.topics import Topics

__all__ = ["Notices"]

log = structlog.get_logger(__name__)


@dataclass
class Notices:
    mongo: AsyncMongoClient
    db: AsyncDatabase
    outbox: Outbox
    topics: Topics
    contacts: ContactsStore
    surveys: SurveyStore
    wake_dispatcher: Callable[[], None]

    async def on_status_changed(self, event: Event, _record: ConsumerRecord) -> None:
        assert isinstance(event, StatusChanged)
        change = event.data
        if change.citizen_id is None:
            return  # applied for at a counter without an account: nobody to tell
        contacts = await self.contacts.get(change.citizen_id)
        completed = change.to_status == "completed"
        path = survey_path(change.application_id) if completed else None
        rendered = render_status(
            status=change.to_status,
            language=contacts.language,
            tracking_number=change.tracking_number,
            service=change.service,
            note=change.note,
            requested_fields=change.requested_fields,
            sla_due_at=change.sla_due_at,
            survey_path=path,
        )
        notice = in_app_document(change, rendered, utcnow(), path)
        in_app_event = NotificationStatusChanged(
            source="notify",
            subject=change.application_id,
            region=change.region,
            correlation_id=event.correlation_id,
            causation_id=event.id,
            data=NotificationData(
                notification_id=notice["_id"],
                application_id=change.application_id,
                citizen_id=change.citizen_id,
                channel="in_app",
                status="delivered",
                status_sequence=change.sequence,
                template=rendered.template,
                template_version=rendered.version,
            ),
        )
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

        async def work(session: AsyncClientSession) -> None:
            await self.db["notifications"].insert_one(notice, session=session)
            staged = [(self.topics.notifications, in_app_event)]
            if delivery is not None:
                await self.db["deliveries"].insert_one(delivery, session=session)
                staged.append((self.topics.notifications, outcome_event(delivery, "created")))
            if completed:
                await self.surveys.invite(change, session)
            await self.outbox.stage(staged, session)

        try:
            await in_transaction(self.mongo, work)
        except DuplicateKeyError:
            log.info("status change already notified", notice=notice["_id"])
            return
        self.outbox.wake()
        if delivery is not None:
            self.wake_dispatcher()

    async def on_escalation(self, event: Event, _record: ConsumerRecord) -> None:
        assert isinstance(event, SlaBreached | WebhookDeliveryFailed)
        data = event.data
        addresses = list(dict.fromkeys(data.escalate_to))
        if not addresses:
            agency = load_catalogue().agency(data.agency)
            addresses = [agency.supervisor_email] if agency else []
        if not addresses:
            raise LookupError(f"no supervisor address for agency {data.agency}")
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
            sla_due_at=data.sla_due_at,
            detail=detail,
        )
        deliveries = [
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

        async def work(session: AsyncClientSession) -> None:
            await self.db["deliveries"].insert_many(deliveries, session=session)
            await self.outbox.stage(
                [(self.topics.notifications, outcome_event(d, "created")) for d in deliveries],
                session,
            )

        try:
            await in_transaction(self.mongo, work)
        except DuplicateKeyError:
            log.info("escalation already handled", escalation=event.id)
            return
        self.outbox.wake()
        self.wake_dispatcher()
