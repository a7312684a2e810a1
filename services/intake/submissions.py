"""Accepting an application: validate, number, store with its event in one transaction
(shared with other submissions under load: :mod:`group_commit`)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from services.intake.group_commit import GroupCommit, Stored
from shared.calendar import WIB, add_working_days
from shared.catalogue import Catalogue
from shared.events import (
    Applicant,
    ApplicationChannel,
    ApplicationSubmitted,
    DocumentRef,
    SubmittedData,
    utcnow,
)
from shared.ids import uuid7
from shared.privacy.personal import Personal
from shared.problems import Problem
from shared.topics import Topics

__all__ = ["Accepted", "SubmissionRequest", "accept_submission", "form_errors", "validate_request"]

Channel = ApplicationChannel


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
    applicant: Applicant | None = None
    captured_at: datetime | None = None
    """When a mobile unit captured it offline: the SLA clock starts then, not now."""


@dataclass(frozen=True)
class Accepted:
    id: str
    tracking_number: str
    status: str
    sla_due_at: datetime


_validators: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """One validator per form schema: building one costs more than validating a form."""
    cached = _validators.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, Draft202012Validator(schema, format_checker=FormatChecker()))
        _validators[id(schema)] = cached
    return cached[1]


def form_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    validator = _validator(schema)
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


def _tracking_counter(region: str, now: datetime) -> str:
    """Tracking numbers count per region and day (in WIB): ``3576-261123``."""
    return f"{region}-{now.astimezone(WIB):%y%m%d}"


async def accept_submission(
    *,
    request: SubmissionRequest,
    catalogue: Catalogue,
    commits: GroupCommit,
    topics: Topics,
    personal: Personal,
    also_store: Callable[[Accepted], list[tuple[str, dict[str, Any]]]] | None = None,
) -> Accepted:
    """Validate, number and store with its event; ``also_store`` adds documents to the
    same commit (the idempotency record, so a response is remembered exactly when it is
    true). The tracking number is region, date and the day's sequence:
    ``3576-261123-0042``. The SLA is counted from ``captured_at`` when a mobile unit
    captured the application offline, else from now."""
    validate_request(catalogue, request)
    service = catalogue.service(request.service)
    assert service is not None
    applicant = (
        request.applicant.model_dump(mode="json", exclude_none=True) if request.applicant else None
    )
    # Sealed under the citizen's key: the stored copy and the event carry ciphertext only.
    sealed = (
        await personal.seal(request.citizen_id, applicant)
        if applicant and request.citizen_id
        else None
    )
    now = utcnow()
    application_id = uuid7()
    sla_due_at = add_working_days(request.captured_at or now, service.sla_working_days)
    counter = _tracking_counter(request.region, now)
    accepted: list[Accepted] = []

    def build(number: int) -> Stored:
        tracking_number = f"{counter}-{number:04d}"
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
                applicant_sealed=sealed,
                submitted_at=now,
                sla_due_at=sla_due_at,
                captured_at=request.captured_at,
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
            "applicant": sealed,
            "applicant_fields": sorted(applicant or ()),
            "operator_id": request.operator_id,
            "status": "submitted",
            "responses": [],
            "cancellation_requested_at": None,
            "last_sequence": 0,
            "timeline": [{"status": "submitted", "at": now, "note": None, "sequence": 0}],
            "submitted_at": now,
            "sla_due_at": sla_due_at,
        }
        if request.captured_at is not None:
            document["captured_at"] = request.captured_at
        accepted[:] = [Accepted(application_id, tracking_number, "submitted", sla_due_at)]
        documents = [("applications", document)]
        if also_store is not None:
            documents += also_store(accepted[0])
        return documents, [(topics.submitted, event)]

    await commits.store(counter, build)
    return accepted[0]
