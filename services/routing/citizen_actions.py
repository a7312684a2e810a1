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
from services.routing.dispatch import Router, UnknownApplication
from shared.events import (
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
from shared.unit_of_work import Transaction, UnitOfWork
from shared.workflow import IllegalTransition

__all__ = ["answer", "cancel"]

log = structlog.get_logger(__name__)


async def cancel(router: Router, event: CancellationRequested, uow: UnitOfWork) -> None:
    """Cancel the citizen's application and tell its agency; a cancellation the workflow
    no longer allows is answered with ``CancellationRefused``."""

    async def tell_agency(application: dict, tx: Transaction) -> None:
        await router.applications.record_cancellation(
            application["_id"], event.data.reason, event.time, tx.session
        )
        if application.get("agency") is None:  # never routed: no agency to tell
            return
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
        await router.to_agency(application, forwarded, tx)

    async def write(tx: Transaction) -> dict:
        await _owned(router, event.data.application_id, event.data.citizen_id, tx)
        return await router.change_status(
            tx,
            event,
            source=uow.source(event).topic,
            application_id=event.data.application_id,
            to="cancelled",
            actor="citizen",
            agency=None,
            note=event.data.reason,
            requested_fields=[],
            within=tell_agency,
        )

    try:
        await router.run_change(uow, write)
    except IllegalTransition as exc:
        await _refuse(router, event, exc, uow)


async def _refuse(
    router: Router, event: CancellationRequested, exc: IllegalTransition, uow: UnitOfWork
) -> None:
    """Answer a cancellation the workflow does not allow (once per request)."""

    async def write(tx: Transaction) -> None:
        if not await router.first_time(event, tx.session, uow.source(event).topic):
            return
        refused = CancellationRefused(
            **envelope(event.subject, event.region, event.correlation_id, event.id),
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
        tx.emit(router.topics.status, refused)

    await uow.run(write)
    log.info("cancellation refused", application_id=event.data.application_id)


async def answer(router: Router, event: InformationProvided, uow: UnitOfWork) -> None:
    """Merge the citizen's answer into the application (``resubmitted``) and pass it on
    to its agency."""

    async def merge_and_tell(application: dict, tx: Transaction) -> None:
        await router.applications.record_answer(
            application["_id"], _merged(event, application), tx.session
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
        await router.to_agency(application, forwarded, tx)

    async def write(tx: Transaction) -> dict:
        await _owned(router, event.data.application_id, event.data.citizen_id, tx)
        return await router.change_status(
            tx,
            event,
            source=uow.source(event).topic,
            application_id=event.data.application_id,
            to="resubmitted",
            actor="citizen",
            agency=None,
            note=event.data.note,
            requested_fields=[],
            within=merge_and_tell,
        )

    await router.run_change(uow, write)
    log.info("citizen answered", application_id=event.data.application_id)


async def _owned(router: Router, application_id: str, citizen_id: str, tx: Transaction) -> None:
    application = await router.applications.get(application_id, tx.session)
    if application is None or application["citizen_id"] != citizen_id:
        raise UnknownApplication(f"application {application_id} is not the requesting citizen's")


def _envelope(cause: Event, application: dict) -> dict[str, Any]:
    return envelope(application["_id"], application["region"], cause.correlation_id, cause.id)


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
