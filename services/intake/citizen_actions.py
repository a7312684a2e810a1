"""What a citizen may do to an application after submitting it: cancel it, or answer a
"needs more information" request.

Routing owns the workflow, so intake does not change the status: it records the request
on its read model and publishes a fact (``CancellationRequested``,
``InformationProvided``) in one transaction; routing answers with a ``StatusChanged``.
Intake refuses early what the workflow would refuse anyway (its view may lag routing by
a moment; routing has the last word).
"""

from dataclasses import dataclass, field
from typing import Any

from services.intake.applications import ApplicationRepository
from services.intake.parts import IntakeUnitOfWork
from services.intake.refusals import (
    ConcurrentAnswer,
    EmptyAnswer,
    InvalidForm,
    NoSuchApplication,
    NotInThisStatus,
)
from services.intake.submissions import form_errors
from shared.catalogue import Catalogue
from shared.events import (
    CancellationData,
    CancellationRequested,
    DocumentRef,
    InformationData,
    InformationProvided,
)
from shared.unit_of_work import Transaction
from shared.workflow import CANCELLABLE

__all__ = [
    "CANCELLABLE",
    "ProvideInformation",
    "RequestCancellation",
    "own_application",
    "provide_information",
    "request_cancellation",
]


@dataclass(frozen=True)
class RequestCancellation:
    """Ask routing to cancel one of the citizen's applications."""

    application_id: str
    citizen_id: str
    reason: str | None
    correlation_id: str


@dataclass(frozen=True)
class ProvideInformation:
    """Answer a request for more information: corrected or added fields, documents, a
    note."""

    application_id: str
    citizen_id: str
    data: dict[str, Any]
    correlation_id: str
    documents: list[str] = field(default_factory=list)
    """The sha256 of documents the citizen uploaded first."""
    note: str | None = None


async def own_application(
    applications: ApplicationRepository, application_id: str, citizen_id: str
) -> dict[str, Any]:
    """The citizen's application; refused as not found — not forbidden — when it is
    someone else's, so an id tells a stranger nothing."""
    application = await applications.citizens(application_id, citizen_id)
    if application is None:
        raise NoSuchApplication(application_id)
    return application


async def request_cancellation(command: RequestCancellation, uow: IntakeUnitOfWork) -> str:
    """Publish the request once (a repeated one changes nothing); the application's
    status as the citizen sees it."""
    applications, topics = uow.applications, uow.topics
    application = await own_application(applications, command.application_id, command.citizen_id)
    if application["status"] not in CANCELLABLE:
        raise NotInThisStatus(application["status"], "cancelling", ", ".join(sorted(CANCELLABLE)))
    if application.get("cancellation_requested_at") is not None:
        return str(application["status"])
    event = CancellationRequested(
        source="intake",
        subject=application["_id"],
        region=application["region"],
        correlation_id=command.correlation_id,
        data=CancellationData(
            application_id=application["_id"],
            tracking_number=application["tracking_number"],
            citizen_id=application["citizen_id"],
            reason=command.reason,
            channel=application["channel"],
        ),
    )

    async def write(tx: Transaction) -> None:
        noted = await applications.note_cancellation_request(
            application["_id"], command.reason, tx.session
        )
        if noted:
            tx.emit(topics.citizen_actions, event)

    await uow.run(write)
    return str(application["status"])


async def provide_information(command: ProvideInformation, uow: IntakeUnitOfWork) -> str:
    """Merge the answer into the form, check it, publish it; the application's status as
    the citizen sees it. The form's personal answers are checked in plaintext and stored
    and published sealed under the citizen's key, as at submission."""
    applications, catalogue, personal = uow.applications, uow.catalogue, uow.personal
    application = await own_application(applications, command.application_id, command.citizen_id)
    refs = await uow.documents.resolve(command.citizen_id, command.documents)
    stored_form = await personal.open_all(application.get("form", {}), command.citizen_id)
    merged = _checked_answer({**application, "form": stored_form}, command.data, refs, catalogue)
    service = catalogue.service(application["service"])
    personal_fields = service.personal_fields if service is not None else ()
    merged = await personal.seal_fields(command.citizen_id, merged, personal_fields)
    answer = await personal.seal_fields(command.citizen_id, command.data, personal_fields)
    answered_before = len(application.get("responses", []))
    event = InformationProvided(
        source="intake",
        subject=application["_id"],
        region=application["region"],
        correlation_id=command.correlation_id,
        data=InformationData(
            application_id=application["_id"],
            tracking_number=application["tracking_number"],
            citizen_id=application["citizen_id"],
            form=answer,
            documents=refs,
            note=command.note,
            channel=application["channel"],
        ),
    )

    async def write(tx: Transaction) -> None:
        recorded = await applications.add_response(
            application["_id"],
            answered_before=answered_before,
            form=merged,
            fields=sorted(command.data),
            documents=refs,
            note=command.note,
            session=tx.session,
        )
        if not recorded:
            raise ConcurrentAnswer(application["_id"])
        tx.emit(uow.topics.citizen_actions, event)

    await uow.run(write)
    return str(application["status"])


def _checked_answer(
    application: dict[str, Any],
    data: dict[str, Any],
    documents: list[DocumentRef],
    catalogue: Catalogue,
) -> dict[str, Any]:
    """The form with the answer merged in; 409 unless information was asked for, 422 for
    an empty answer or a form the service refuses."""
    if application["status"] != "needs_info":
        raise NotInThisStatus(application["status"], "answering", "'needs_info'")
    if not data and not documents:
        raise EmptyAnswer(application["_id"])
    merged = {**application.get("form", {}), **data}
    service = catalogue.service(application["service"])
    errors = form_errors(service.form, merged) if service is not None else []
    if errors:
        raise InvalidForm(errors)
    return merged
