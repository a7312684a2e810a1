"""What a citizen may do to an application after submitting it: cancel it, or answer a
"needs more information" request.

Routing owns the workflow, so intake does not change the status itself: it records the
request on its read model and publishes a fact — ``CancellationRequested`` or
``InformationProvided`` — on the citizen-actions topic, in one transaction. Routing
applies it and answers with a ``StatusChanged`` (``cancelled`` / ``resubmitted``), which
comes back to the timeline like every other change. Intake refuses early, with a clear
message, what the workflow would refuse anyway (its view of the status may lag routing
by a moment; routing has the last word).
"""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.submissions import form_errors
from shared.catalogue import Catalogue
from shared.events import (
    CancellationData,
    CancellationRequested,
    DocumentRef,
    InformationData,
    InformationProvided,
    utcnow,
)
from shared.mongo import in_transaction
from shared.outbox import Outbox
from shared.problems import Problem
from shared.topics import Topics
from shared.workflow import CANCELLABLE

__all__ = ["CANCELLABLE", "provide_information", "request_cancellation"]


def _conflict(status: str, action: str, allowed: str) -> Problem:
    return Problem(
        409,
        "Tidak dapat dilakukan pada status ini / Not possible in this status",
        f"The application is {status!r}; {action} is possible only when it is {allowed}.",
        current_status=status,
    )


async def request_cancellation(
    *,
    application: dict[str, Any],
    reason: str | None,
    channel: str,
    correlation_id: str,
    mongo: AsyncMongoClient,
    db: AsyncDatabase,
    outbox: Outbox,
    topics: Topics,
) -> bool:
    """Publish the request once; False when it had already been made (nothing new)."""
    if application["status"] not in CANCELLABLE:
        raise _conflict(application["status"], "cancelling", ", ".join(sorted(CANCELLABLE)))
    if application.get("cancellation_requested_at") is not None:
        return False
    event = CancellationRequested(
        source="intake",
        subject=application["_id"],
        region=application["region"],
        correlation_id=correlation_id,
        data=CancellationData(
            application_id=application["_id"],
            tracking_number=application["tracking_number"],
            citizen_id=application["citizen_id"],
            reason=reason,
            channel=channel,
        ),
    )

    async def store(session: AsyncClientSession) -> bool:
        result = await db["applications"].update_one(
            {"_id": application["_id"], "cancellation_requested_at": None},
            {"$set": {"cancellation_requested_at": utcnow(), "cancellation_reason": reason}},
            session=session,
        )
        if result.modified_count == 0:
            return False
        await outbox.stage([(topics.citizen_actions, event)], session)
        return True

    staged = await in_transaction(mongo, store)
    outbox.wake()
    return bool(staged)


async def provide_information(
    *,
    application: dict[str, Any],
    data: dict[str, Any],
    documents: list[DocumentRef],
    note: str | None,
    channel: str,
    correlation_id: str,
    catalogue: Catalogue,
    mongo: AsyncMongoClient,
    db: AsyncDatabase,
    outbox: Outbox,
    topics: Topics,
) -> int:
    """Merge the answer into the form, check it, publish it; returns the response number."""
    if application["status"] != "needs_info":
        raise _conflict(application["status"], "answering", "'needs_info'")
    if not data and not documents:
        raise Problem(
            422,
            "Jawaban kosong / Empty answer",
            "Send the corrected fields in data, or documents, or both.",
        )
    service = catalogue.service(application["service"])
    merged = {**application.get("form", {}), **data}
    if service is not None:
        errors = form_errors(service.form, merged)
        if errors:
            raise Problem(
                422,
                "Data formulir tidak valid / Invalid form data",
                "Periksa isian berikut / Check these fields: "
                + ", ".join(e["field"] for e in errors),
                errors=errors,
            )
    answered = len(application.get("responses", [])) + 1
    event = InformationProvided(
        source="intake",
        subject=application["_id"],
        region=application["region"],
        correlation_id=correlation_id,
        data=InformationData(
            application_id=application["_id"],
            tracking_number=application["tracking_number"],
            citizen_id=application["citizen_id"],
            form=data,
            documents=documents,
            note=note,
            channel=channel,
        ),
    )

    async def store(session: AsyncClientSession) -> None:
        result = await db["applications"].update_one(
            {
                "_id": application["_id"],
                "status": "needs_info",
                "responses": {"$size": answered - 1},
            },
            {
                "$set": {"form": merged},
                "$push": {
                    "responses": {
                        "at": utcnow(),
                        "fields": sorted(data),
                        "documents": [d.model_dump() for d in documents],
                        "note": note,
                    },
                    "documents": {"$each": [d.model_dump() for d in documents]},
                },
            },
            session=session,
        )
        if result.modified_count == 0:
            raise Problem(
                409,
                "Jawaban bersamaan / Concurrent answer",
                "Another answer to this request was just recorded; reload the application.",
            )
        await outbox.stage([(topics.citizen_actions, event)], session)

    await in_transaction(mongo, store)
    outbox.wake()
    return answered
