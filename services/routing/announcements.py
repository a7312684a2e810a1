"""The events routing announces about an application, built from the application itself.

Routing a submission, an agency's report, a citizen's action and an operator's re-route
all announce the same facts — a status change, an application dispatched to its agency,
a result document issued — so each is built in one place, from the stored application
and the event that caused it (its correlation id travels on; the cause's id is the new
event's causation id).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.catalogue import Catalogue
from shared.events import (
    ApplicationDispatched,
    CataloguePublished,
    CataloguePublishedData,
    DispatchedData,
    DocumentIssued,
    DocumentIssuedData,
    Event,
    ResultDocument,
    StatusChanged,
    StatusChangedData,
)
from shared.ids import uuid7
from shared.workflow import WORKFLOW_VERSION

__all__ = ["catalogue_published", "dispatched", "document_issued", "envelope", "status_changed"]


def envelope(application: Mapping[str, Any], cause: Event | str | None = None) -> dict[str, Any]:
    """What every event routing announces about one application carries, built here and
    nowhere else: the application as its subject (``_id``, and its region when known),
    the correlation id of the event that caused it (else the application's own), and that
    event's id as the causation id (``cause`` may also be the id of a cause that is not
    an event, such as a webhook delivery)."""
    application_id = application["_id"]
    if cause is None or isinstance(cause, str):
        correlation_id = application.get("correlation_id") or application_id
        causation_id = cause
    else:
        correlation_id, causation_id = cause.correlation_id, cause.id
    return {
        "source": "routing",
        "subject": application_id,
        "region": application.get("region"),
        "correlation_id": correlation_id,
        "causation_id": causation_id,
    }


def status_changed(
    application: Mapping[str, Any],
    around: dict[str, Any],
    *,
    from_status: str,
    to_status: str,
    sequence: int,
    actor: Any,
    note: str | None,
    requested_fields: list[str] | None = None,
    results: list[ResultDocument] | None = None,
) -> StatusChanged:
    """The application's move from ``from_status`` to ``to_status`` (``around``: its
    :func:`envelope`)."""
    return StatusChanged(
        **around,
        data=StatusChangedData(
            application_id=application["_id"],
            tracking_number=application["tracking_number"],
            service=application["service"],
            region=application["region"],
            agency=application.get("agency"),
            citizen_id=application.get("citizen_id"),
            from_status=from_status,
            to_status=to_status,
            sequence=sequence,
            actor=actor,
            note=note,
            requested_fields=requested_fields or [],
            results=results or [],
            sla_due_at=application.get("sla_due_at"),
        ),
    )


def dispatched(
    application: Mapping[str, Any],
    around: dict[str, Any],
    *,
    catalogue: Catalogue,
    sla_due_at: datetime | None,
) -> ApplicationDispatched:
    """The application as its agency receives it: the form, the documents, and the names
    of the applicant's fields (their values come through the agency API)."""
    return ApplicationDispatched(
        **around,
        data=DispatchedData(
            application_id=application["_id"],
            tracking_number=application["tracking_number"],
            service=application["service"],
            region=application["region"],
            agency=application["agency"],
            form=application.get("form") or {},
            documents=application.get("documents") or [],
            applicant_fields=application.get("applicant_fields") or [],
            sla_due_at=sla_due_at,
            rule_version=catalogue.version,
            workflow_version=WORKFLOW_VERSION,
        ),
    )


def document_issued(
    application: Mapping[str, Any], result: ResultDocument, around: dict[str, Any]
) -> DocumentIssued:
    return DocumentIssued(
        **around,
        data=DocumentIssuedData(
            code=result.code,
            sha256=result.sha256,
            application_id=application["_id"],
            agency=application["agency"],
            service=application["service"],
            region=application["region"],
            content_type=result.content_type,
            size=result.size,
            issued_at=result.issued_at,
        ),
    )


def catalogue_published(published: CataloguePublishedData) -> CataloguePublished:
    """A package published: its id is the subject (the key on the compacted topic)."""
    key = published.package_id
    package = {"_id": key, "region": None if key == "national" else key}
    return CataloguePublished(**envelope({**package, "correlation_id": uuid7()}), data=published)
