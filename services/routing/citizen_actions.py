"""What citizens ask of an application in flight, applied to the workflow routing owns,
and passed on to the agency.

Intake checks a cancellation or an answer against its read model and publishes the fact on
``mpp.applications.citizen-actions``; routing makes the change — ``cancelled``, or
``resubmitted`` with the answered fields merged into the form the agency reads — and, in
the same transaction, tells the agency on its handler kind: ``AnswerForwarded`` or
``CancellationForwarded`` on its inbox topic or by signed webhook; a workbench agency
sees the answer on the application. The status change is published like any other.

A cancellation the workflow no longer allows (the agency decided in the meantime) is
answered with ``CancellationRefused`` on the status topic: intake clears the request and
shows the citizen why. Nothing is silently dropped.
"""

from typing import Any

import structlog
from aiokafka import ConsumerRecord
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.dispatch import Router, UnknownApplication
from shared.events import (
    AgencyStatusReported,
    AnswerForwarded,
    AnswerForwardedData,
    CancellationForwarded,
    CancellationForwardedData,
    CancellationRefused,
    CancellationRefusedData,
    CancellationRequested,
    Event,
    InformationProvided,
)
from shared.mongo import in_transaction
from shared.outbox import StagedEvent
from shared.workflow import IllegalTransition

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
            await self._cancel(event)
        elif isinstance(event, InformationProvided):
            await self._answer(event)

    async def _cancel(self, event: CancellationRequested) -> None:
        await self._owned(event.data.application_id, event.data.citizen_id)

        async def tell_agency(application: dict, session: AsyncClientSession) -> list:
            forwarded = CancellationForwarded(
                **_envelope(event, application),
                data=CancellationForwardedData(
                    application_id=application["_id"],
                    tracking_number=application["tracking_number"],
                    service=application["service"],
                    agency=application["agency"] or "",
                    reason=event.data.reason,
                    cancelled_at=event.time,
                ),
            )
            await self._applications.update_one(
                {"_id": application["_id"]},
                {"$set": {"cancellation": {"reason": event.data.reason, "at": event.time}}},
                session=session,
            )
            if application.get("agency") is None:  # never routed: no agency to tell
                return []
            return await self._router.to_agency(application, forwarded, session)

        try:
            await self._router.transition(
                event,
                application_id=event.data.application_id,
                to="cancelled",
                actor="citizen",
                agency=None,
                note=event.data.reason,
                requested_fields=[],
                within=tell_agency,
            )
        except IllegalTransition as exc:
            await self._refuse(event, exc)

    async def _refuse(self, event: CancellationRequested, exc: IllegalTransition) -> None:
        """Answer a cancellation the workflow does not allow (once per request)."""

        async def work(session: AsyncClientSession) -> None:
            if not await self._router.first_time(event, session):
                return
            refused = CancellationRefused(
                source="routing",
                subject=event.subject,
                region=event.region,
                correlation_id=event.correlation_id,
                causation_id=event.id,
                data=CancellationRefusedData(
                    application_id=event.data.application_id,
                    tracking_number=event.data.tracking_number,
                    citizen_id=event.data.citizen_id,
                    status=exc.current,
                    reason=(
                        f"Permohonan sudah berstatus {exc.current} dan tidak dapat dibatalkan "
                        f"lagi / The application is already {exc.current} and can no longer "
                        "be cancelled"
                    ),
                ),
            )
            await self._router.outbox.stage([(self._router.topics.status, refused)], session)

        await in_transaction(self._router.mongo, work)
        self._router.outbox.wake()
        log.info("cancellation refused", application_id=event.data.application_id)

    async def _answer(self, event: InformationProvided) -> None:
        await self._owned(event.data.application_id, event.data.citizen_id)

        async def merge_and_tell(application: dict, session: AsyncClientSession) -> list:
            await self._applications.update_one(
                {"_id": application["_id"]}, _merged(event, application), session=session
            )
            forwarded = AnswerForwarded(
                **_envelope(event, application),
                data=AnswerForwardedData(
                    application_id=application["_id"],
                    tracking_number=application["tracking_number"],
                    service=application["service"],
                    agency=application["agency"] or "",
                    requested_fields=application.get("requested_fields") or [],
                    form=event.data.form,
                    documents=event.data.documents,
                    note=event.data.note,
                    answered_at=event.time,
                ),
            )
            staged: list[StagedEvent] = await self._router.to_agency(
                application, forwarded, session
            )
            return staged

        await self._router.transition(
            event,
            application_id=event.data.application_id,
            to="resubmitted",
            actor="citizen",
            agency=None,
            note=event.data.note,
            requested_fields=[],
            within=merge_and_tell,
        )
        log.info("citizen answered", application_id=event.data.application_id)

    async def _owned(self, application_id: str, citizen_id: str) -> None:
        application = await self._applications.find_one({"_id": application_id}, {"citizen_id": 1})
        if application is None or application["citizen_id"] != citizen_id:
            raise UnknownApplication(
                f"application {application_id} is not the requesting citizen's"
            )


def _envelope(cause: Event, application: dict) -> dict[str, Any]:
    return {
        "source": "routing",
        "subject": application["_id"],
        "region": application["region"],
        "correlation_id": cause.correlation_id,
        "causation_id": cause.id,
    }


def _merged(event: InformationProvided, application: dict) -> dict[str, Any]:
    """The answered fields over the old form, the new documents beside the old, and the
    answer kept for the officers who asked."""
    documents = [d.model_dump(mode="json") for d in event.data.documents]
    update: dict[str, Any] = {
        "$push": {
            "responses": {
                "at": event.time,
                "requested_fields": application.get("requested_fields") or [],
                "form": event.data.form,
                "documents": documents,
                "note": event.data.note,
            }
        }
    }
    fields = {f"form.{field}": value for field, value in event.data.form.items()}
    if fields:
        update["$set"] = fields
    if documents:
        update["$addToSet"] = {"documents": {"$each": documents}}
    return update
