"""What citizens ask of an application in flight, applied to the workflow routing owns.

Intake checks a cancellation or an answer against its read model and publishes the fact on
``mpp.applications.citizen-actions``; routing makes the change — ``cancelled``, or
``resubmitted`` with the answered fields merged into the form the agency reads — and
publishes it as a status change like any other. A request the workflow no longer allows
(the agency decided in the meantime) is refused and dead-lettered with the reason.
"""

from typing import Any

import structlog
from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.dispatch import Router, UnknownApplication
from shared.events import (
    AgencyStatusReported,
    CancellationRequested,
    Event,
    InformationProvided,
)

__all__ = ["ChangeRequests"]

log = structlog.get_logger(__name__)


class ChangeRequests:
    """Status changes asked for from outside routing: agency systems and citizens."""

    def __init__(self, router: Router, db: AsyncDatabase) -> None:
        self._router = router
        self._applications = db["applications"]

    async def apply(self, event: Event, record: ConsumerRecord) -> None:
        if isinstance(event, AgencyStatusReported):
            await self._router.apply_agency_report(event, record)
        elif isinstance(event, CancellationRequested):
            await self._owned(event.data.application_id, event.data.citizen_id)
            await self._router.transition(
                event,
                application_id=event.data.application_id,
                to="cancelled",
                actor="citizen",
                agency=None,
                note=event.data.reason,
                requested_fields=[],
            )
        elif isinstance(event, InformationProvided):
            await self._owned(event.data.application_id, event.data.citizen_id)
            updated = await self._router.transition(
                event,
                application_id=event.data.application_id,
                to="resubmitted",
                actor="citizen",
                agency=None,
                note=event.data.note,
                requested_fields=[],
            )
            if updated["status"] == "resubmitted":
                await self._merge_answer(event)

    async def _owned(self, application_id: str, citizen_id: str) -> None:
        application = await self._applications.find_one({"_id": application_id}, {"citizen_id": 1})
        if application is None or application["citizen_id"] != citizen_id:
            raise UnknownApplication(
                f"application {application_id} is not the requesting citizen's"
            )

    async def _merge_answer(self, event: InformationProvided) -> None:
        """The answered fields over the old form, and the new documents beside the old:
        idempotent, so a redelivered answer converges to the same document."""
        update: dict[str, Any] = {
            "$set": {f"form.{field}": value for field, value in event.data.form.items()}
        }
        if event.data.documents:
            update["$addToSet"] = {
                "documents": {"$each": [d.model_dump(mode="json") for d in event.data.documents]}
            }
        if update["$set"] or event.data.documents:
            if not update["$set"]:
                del update["$set"]
            await self._applications.update_one({"_id": event.data.application_id}, update)
        log.info("citizen answered", application_id=event.data.application_id)
