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

from services.routing.announcements import envelope
from services.routing.handler_kinds import AgencyBound, kind_of
from services.routing.parts import RoutingUnitOfWork
from services.routing.workflow import StatusChange, change_status
from shared.events import (
    AnswerForwarded,
    AnswerForwardedData,
    CancellationForwarded,
    CancellationForwardedData,
    CancellationRefused,
    CancellationRefusedData,
    CancellationRequested,
    InformationProvided,
)
from shared.unit_of_work import Transaction
from shared.workflow import IllegalTransition

__all__ = ["answer", "cancel"]

log = structlog.get_logger(__name__)


async def cancel(event: CancellationRequested, uow: RoutingUnitOfWork) -> None:
    """Cancel the citizen's application and tell its agency; a cancellation the workflow
    no longer allows is answered with ``CancellationRefused``."""

    async def tell_agency(application: dict, tx: Transaction) -> None:
        await uow.applications.record_cancellation(
            application["_id"], event.data.reason, event.time, tx.session
        )
        if application.get("agency") is None:  # never routed: no agency to tell
            return
        forwarded = CancellationForwarded(
            **envelope(application, event),
            data=CancellationForwardedData(
                application_id=application["_id"],
                tracking_number=application["tracking_number"],
                service=application["service"],
                agency=application["agency"] or "",
                reason=event.data.reason,
                cancelled_at=event.time,
            ),
        )
        await _to_agency(application, forwarded, tx, uow)

    change = StatusChange(
        application_id=event.data.application_id,
        to="cancelled",
        actor="citizen",
        cause=event,
        source=uow.source(event).topic,
        note=event.data.reason,
        citizen_id=event.data.citizen_id,
        within=tell_agency,
    )
    try:
        await change_status(uow, change)
    except IllegalTransition as exc:
        await _refuse(event, exc, uow)


async def _refuse(
    event: CancellationRequested, exc: IllegalTransition, uow: RoutingUnitOfWork
) -> None:
    """Answer a cancellation the workflow does not allow (once per request)."""

    async def write(tx: Transaction) -> None:
        if not await uow.seen.first_time(event, tx.session, uow.source(event).topic):
            return
        refused = CancellationRefused(
            **envelope({"_id": event.subject, "region": event.region}, event),
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
        tx.emit(uow.topics.status, refused)

    await uow.run(write)
    log.info("cancellation refused", application_id=event.data.application_id)


async def answer(event: InformationProvided, uow: RoutingUnitOfWork) -> None:
    """Merge the citizen's answer into the application (``resubmitted``) and pass it on
    to its agency."""

    async def merge_and_tell(application: dict, tx: Transaction) -> None:
        await uow.applications.record_answer(
            application["_id"], _merged(event, application), tx.session
        )
        forwarded = AnswerForwarded(
            **envelope(application, event),
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
        await _to_agency(application, forwarded, tx, uow)

    change = StatusChange(
        application_id=event.data.application_id,
        to="resubmitted",
        actor="citizen",
        cause=event,
        source=uow.source(event).topic,
        note=event.data.note,
        citizen_id=event.data.citizen_id,
        within=merge_and_tell,
    )
    await change_status(uow, change)
    log.info("citizen answered", application_id=event.data.application_id)


async def _to_agency(
    application: dict, event: AgencyBound, tx: Transaction, uow: RoutingUnitOfWork
) -> None:
    """Send ``event`` to the application's agency on its handler kind, in ``tx``."""
    kind = kind_of(application)
    if kind is not None:
        await kind.send(application, event, tx, uow)


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
