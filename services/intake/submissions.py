"""Accepting an application: validate, number, store with its event in one transaction."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from jsonschema import Draft202012Validator, FormatChecker
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.calendar import WIB, add_working_days
from shared.catalogue import Catalogue
from shared.events import ApplicationSubmitted, DocumentRef, SubmittedData, utcnow
from shared.ids import uuid7
from shared.mongo import in_transaction
from shared.outbox import Outbox
from shared.problems import Problem
from shared.topics import Topics

__all__ = ["Accepted", "SubmissionRequest", "accept_submission", "form_errors", "validate_request"]

Channel = Literal["web", "mobile", "counter", "kiosk"]


@dataclass(frozen=True)
class SubmissionRequest:
    service: str
    region: str
    data: dict[str, Any]
    channel: Channel
    citizen_id: str | None
    correlation_id: str
    operator_id: str | None = None
    documents: list[DocumentRef] = field(default_factory=list)


@dataclass(frozen=True)
class Accepted:
    id: str
    tracking_number: str
    status: str
    sla_due_at: datetime


def form_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        field = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            field = ".".join(filter(None, [field, missing]))
            message = "wajib diisi / required"
        elif error.validator == "additionalProperties":
            message = "isian tidak dikenal / unknown field: " + error.message.split("(")[-1]
        else:
            message = error.message
        errors.append({"field": f"data.{field}" if field else "data", "message": message})
    return errors


def validate_request(catalogue: Catalogue, request: SubmissionRequest) -> None:
    service = catalogue.service(request.service)
    if service is None:
        raise Problem(
            422,
            "Layanan tidak dikenal / Unknown service",
            f"There is no service with code {request.service!r}; see GET /api/v1/services.",
            errors=[{"field": "service", "message": "unknown service"}],
        )
    if catalogue.region(request.region) is None:
        raise Problem(
            422,
            "Wilayah tidak dikenal / Unknown region",
            f"There is no region with code {request.region!r}; see GET /api/v1/regions.",
            errors=[{"field": "region", "message": "unknown region"}],
        )
    errors = form_errors(service.form, request.data)
    if errors:
        raise Problem(
            422,
            "Data formulir tidak valid / Invalid form data",
            "Periksa isian berikut / Check these fields: " + ", ".join(e["field"] for e in errors),
            errors=errors,
        )


async def _next_tracking_number(db: AsyncDatabase, region: str, now: datetime) -> str:
    """Region code, date in WIB, and a per-region daily sequence: ``3576-261123-0042``."""
    day = now.astimezone(WIB).strftime("%y%m%d")
    counter = await db["tracking_counters"].find_one_and_update(
        {"_id": f"{region}-{day}"},
        {"$inc": {"n": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return f"{region}-{day}-{counter['n']:04d}"


async def accept_submission(
    *,
    request: SubmissionRequest,
    catalogue: Catalogue,
    mongo: AsyncMongoClient,
    db: AsyncDatabase,
    outbox: Outbox,
    topics: Topics,
    in_same_transaction: Callable[[AsyncClientSession, "Accepted"], Awaitable[None]] | None = None,
) -> Accepted:
    """Validate, number and store; ``in_same_transaction`` writes more in the same commit
    (the idempotency record, so a response is remembered exactly when it is true)."""
    validate_request(catalogue, request)
    service = catalogue.service(request.service)
    assert service is not None
    now = utcnow()
    application_id = uuid7()
    tracking_number = await _next_tracking_number(db, request.region, now)
    sla_due_at = add_working_days(now, service.sla_working_days)
    event = ApplicationSubmitted(
        source="intake",
        subject=application_id,
        region=request.region,
        correlation_id=request.correlation_id,
        data=SubmittedData(
            application_id=application_id,
            tracking_number=tracking_number,
            service=service.code,
            region=request.region,
            channel=request.channel,
            citizen_id=request.citizen_id,
            form=request.data,
            form_version=service.form_version,
            documents=request.documents,
            submitted_at=now,
            sla_due_at=sla_due_at,
        ),
    )
    document = {
        "_id": application_id,
        "tracking_number": tracking_number,
        "service": service.code,
        "region": request.region,
        "channel": request.channel,
        "citizen_id": request.citizen_id,
        "form": request.data,
        "form_version": service.form_version,
        "documents": [document.model_dump() for document in request.documents],
        "operator_id": request.operator_id,
        "status": "submitted",
        "responses": [],
        "cancellation_requested_at": None,
        "last_sequence": 0,
        "timeline": [{"status": "submitted", "at": now, "note": None, "sequence": 0}],
        "submitted_at": now,
        "sla_due_at": sla_due_at,
    }

    accepted = Accepted(application_id, tracking_number, "submitted", sla_due_at)

    async def store(session: AsyncClientSession) -> None:
        await db["applications"].insert_one(document, session=session)
        await outbox.stage([(topics.submitted, event)], session)
        if in_same_transaction is not None:
            await in_same_transaction(session, accepted)

    await in_transaction(mongo, store)
    outbox.wake()
    return accepted
