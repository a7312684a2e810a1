"""Accepting an application: validate, number, store with its event in one transaction
(shared with other submissions under load: :mod:`group_commit`).

The path of one submission, from any channel: a route or a batch item builds a
:class:`Submit` command; :func:`submit` checks it against the catalogue and makes the
:class:`~services.intake.applications.NewApplication`; the group commit numbers it and
stores it (:class:`~services.intake.applications.ApplicationRepository`) with its
idempotency record and its ``ApplicationSubmitted`` event in one unit of work.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from services.intake.applications import NewApplication
from services.intake.group_commit import GroupCommit
from services.intake.idempotency import Remember
from services.intake.refusals import InvalidForm, UnknownRegion, UnknownService
from shared.calendar import WIB
from shared.catalogue import Catalogue
from shared.events import Applicant, ApplicationChannel, DocumentRef, utcnow
from shared.ids import uuid7
from shared.privacy.personal import Personal

__all__ = [
    "Accepted",
    "Submit",
    "form_errors",
    "new_application",
    "submit",
    "validate_request",
]


@dataclass(frozen=True)
class Submit:
    """Submit an application: for the caller, or for the citizen a counter, a kiosk or a
    mobile unit serves."""

    service: str
    region: str
    data: dict[str, Any]
    channel: ApplicationChannel
    citizen_id: str | None
    correlation_id: str
    operator_id: str | None = None
    documents: list[DocumentRef] = field(default_factory=list)
    applicant: Applicant | None = None
    captured_at: datetime | None = None
    """When a mobile unit captured it offline: the SLA clock starts then, not now."""
    remember: Remember | None = None
    """What to remember under the request's Idempotency-Key, stored in the same commit as
    the application (a value: the store that keeps it is the group commit's)."""


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


def validate_request(catalogue: Catalogue, request: Submit) -> None:
    """Refuse a command the catalogue refuses: an unknown service or region, or a form
    its service's schema refuses (naming each field)."""
    service = catalogue.service(request.service)
    if service is None:
        raise UnknownService(request.service)
    if catalogue.region(request.region) is None:
        raise UnknownRegion(request.region)
    errors = form_errors(service.form, request.data)
    if errors:
        raise InvalidForm(errors)


def _sla(catalogue: Catalogue, command: Submit) -> int:
    """The SLA the region publishes for the service; the national maximum when the region
    does not offer it (routing then finds no office and says so)."""
    terms = catalogue.terms(command.service, command.region)
    if terms is not None:
        return terms.sla_working_days
    service = catalogue.service(command.service)
    assert service is not None  # validate_request refused an unknown service
    return service.sla_working_days


def _tracking_counter(region: str, now: datetime) -> str:
    """Tracking numbers count per region and day (in WIB): ``3576-261123``."""
    return f"{region}-{now.astimezone(WIB):%y%m%d}"


async def submit(
    command: Submit, *, catalogue: Catalogue, personal: Personal, commits: GroupCommit
) -> Accepted:
    """Validate, number and store with its event (and ``command.remember``, the
    idempotency record, in the same commit: a response is remembered exactly when it is
    true). The group commit is its unit of work, shared with concurrent submissions."""
    validate_request(catalogue, command)
    application = await new_application(command, catalogue, personal)
    tracking_number = await commits.submit(application)
    return Accepted(application.id, tracking_number, "submitted", application.sla_due_at)


async def new_application(
    command: Submit, catalogue: Catalogue, personal: Personal
) -> NewApplication:
    """The application a valid command makes, before its tracking number (region, date
    and the day's sequence: ``3576-261123-0042``). The SLA is counted in the region's
    calendar (its zone, its days off) from ``captured_at`` when a mobile unit captured the
    application offline, else from now."""
    catalogue = getattr(catalogue, "current", catalogue)  # one version throughout
    service = catalogue.service(command.service)
    assert service is not None
    office = catalogue.agency_for(service.code, command.region)
    applicant = (
        command.applicant.model_dump(mode="json", exclude_none=True) if command.applicant else None
    )
    # Sealed under the citizen's key: the stored copy and the event carry ciphertext only.
    sealed = (
        await personal.seal(command.citizen_id, applicant)
        if applicant and command.citizen_id
        else None
    )
    # The form's answers about a person (fields the catalogue marks personal) too.
    form = (
        await personal.seal_fields(command.citizen_id, command.data, service.personal_fields)
        if command.citizen_id
        else command.data
    )
    now = utcnow()
    return NewApplication(
        id=uuid7(),
        counter=_tracking_counter(command.region, now),
        service=service.code,
        form_version=service.form_version,
        region=command.region,
        channel=command.channel,
        citizen_id=command.citizen_id,
        form=form,
        correlation_id=command.correlation_id,
        submitted_at=now,
        sla_due_at=catalogue.calendar_for(command.region).add_working_days(
            command.captured_at or now, _sla(catalogue, command)
        ),
        documents=command.documents,
        applicant_sealed=sealed,
        applicant_fields=sorted(applicant or ()),
        operator_id=command.operator_id,
        captured_at=command.captured_at,
        catalogue_version=catalogue.version,
        office=office.code if office else None,
        remember=command.remember,
    )
