"""The in-app channel: one notice per status change, stored with its outcome event.

The notice's id is ``<application>:<sequence>:in_app``: a redelivered status change hits
the unique ``_id`` and changes nothing, so each change produces exactly one notice even
across restarts.
"""

from dataclasses import dataclass

import structlog
from aiokafka import ConsumerRecord
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notify.messages import TEMPLATE_VERSION, message_for
from shared.events import (
    Event,
    NotificationData,
    NotificationStatusChanged,
    StatusChanged,
    utcnow,
)
from shared.mongo import in_transaction
from shared.outbox import Outbox
from shared.topics import Topics

__all__ = ["InApp"]

log = structlog.get_logger(__name__)


@dataclass
class InApp:
    mongo: AsyncMongoClient
    db: AsyncDatabase
    outbox: Outbox
    topics: Topics

    async def create_indexes(self) -> None:
        await self.db["notifications"].create_index([("citizen_id", 1), ("created_at", -1)])

    async def notify(self, event: Event, _record: ConsumerRecord) -> None:
        assert isinstance(event, StatusChanged)
        change = event.data
        if change.citizen_id is None:
            return
        notice_id = f"{change.application_id}:{change.sequence}:in_app"
        template = f"status.{change.to_status}"
        document = {
            "_id": notice_id,
            "citizen_id": change.citizen_id,
            "application_id": change.application_id,
            "tracking_number": change.tracking_number,
            "service": change.service,
            "status": change.to_status,
            "status_sequence": change.sequence,
            "template": template,
            "template_version": TEMPLATE_VERSION,
            "body": {
                "id": message_for(change.to_status, "id"),
                "en": message_for(change.to_status, "en"),
            },
            "note": change.note,
            "delivery_status": "delivered",
            "created_at": utcnow(),
            "read_at": None,
        }
        outcome = NotificationStatusChanged(
            source="notify",
            subject=change.application_id,
            region=change.region,
            correlation_id=event.correlation_id,
            causation_id=event.id,
            data=NotificationData(
                notification_id=notice_id,
                application_id=change.application_id,
                citizen_id=change.citizen_id,
                channel="in_app",
                status="delivered",
                status_sequence=change.sequence,
                template=template,
                template_version=TEMPLATE_VERSION,
            ),
        )

        async def work(session: AsyncClientSession) -> None:
            await self.db["notifications"].insert_one(document, session=session)
            await self.outbox.stage([(self.topics.notifications, outcome)], session)

        try:
            await in_transaction(self.mongo, work)
        except DuplicateKeyError:
            log.info("notice already stored", notice=notice_id)
            return
        self.outbox.wake()
