"""The agency API: officers and agency systems list, read and move their applications,
and hand back the result.

Every request carries a credential in ``Authorization: Bearer ...``: an agency API key
(``mppak_...``, for an agency's own systems, recorded as ``key:<key id>``) or an agency
officer's or supervisor's own access token (signed by identity, with an ``agency`` claim;
recorded as their username, :mod:`services.routing.staff_access`). The credential
decides the agency, and an agency sees only its own applications — another agency's
application answers 404, exactly like one that does not exist. Every read of one
application, and every transition, is recorded as a ``DataAccessed`` event naming
``<agency>/<username>`` or ``<agency>/key:<key id>`` (citizens see who read their data);
the status change itself stays the agency's (``actor: agency``). Nothing a caller types
names a person: an ``X-Officer-Id`` header is ignored.

An ``Idempotency-Key`` on a transition is bound to the agency, the application and the
request body: the same key again answers the same change; with another application or
another body it is refused (422), so a client's mistake never passes silently.

Each route builds a command and hands it to its handler in
:mod:`services.routing.agency_handlers`; what it needs comes from :mod:`services.routing.deps`.
"""

from typing import Annotated

from fastapi import APIRouter, File, Header, Query, UploadFile

from services.routing import agency_handlers as handle
from services.routing.agency_handlers import (
    ListApplications,
    MoveApplication,
    ReadApplication,
    RevokeResult,
    UploadResult,
)
from services.routing.agency_models import (
    ApplicationDetail,
    ApplicationPage,
    ApplicationView,
    RevokeRequest,
    Status,
    TransitionRequest,
    UploadedResult,
)
from services.routing.deps import (
    Applications,
    AuthenticatedCaller,
    Results,
    ServiceRuntime,
    Uow,
)

__all__ = ["agency_router"]

agency_router = APIRouter(prefix="/api/v1/agency", tags=["agency"])


@agency_router.get("/applications", response_model=ApplicationPage)
async def list_applications(
    who: AuthenticatedCaller,
    applications: Applications,
    runtime: ServiceRuntime,
    status: Annotated[Status | None, Query(description="Only this status.")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    """The agency's applications, earliest due date first: the overdue ones lead."""
    query = ListApplications(who, status, page, page_size)
    return await handle.list_applications(query, applications, catalogue=runtime.catalogue)


@agency_router.get("/applications/{application_id}", response_model=ApplicationDetail)
async def get_application(
    application_id: str,
    who: AuthenticatedCaller,
    applications: Applications,
    uow: Uow,
    runtime: ServiceRuntime,
) -> dict:
    """One application with its form and documents; the read is recorded."""
    return await handle.read_application(
        ReadApplication(who, application_id),
        uow,
        applications=applications,
        access_topic=runtime.topics.access,
        catalogue=runtime.catalogue,
        personal=runtime.personal,
    )


@agency_router.post("/applications/{application_id}/transitions", response_model=ApplicationView)
async def transition(
    application_id: str,
    body: TransitionRequest,
    who: AuthenticatedCaller,
    applications: Applications,
    results: Results,
    uow: Uow,
    runtime: ServiceRuntime,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> dict:
    """Move an application to its next status; the same Idempotency-Key twice is one
    change."""
    return await handle.move_application(
        MoveApplication(who, application_id, body, idempotency_key),
        uow,
        applications=applications,
        results=results,
        access_topic=runtime.topics.access,
    )


@agency_router.post(
    "/applications/{application_id}/results",
    status_code=201,
    response_model=UploadedResult,
    summary="Upload a result document (PDF, JPEG or PNG)",
)
async def upload_result(
    application_id: str,
    who: AuthenticatedCaller,
    file: Annotated[UploadFile, File()],
    applications: Applications,
    results: Results,
) -> dict:
    """A draft result for one of your applications; name its sha256 in ``results``
    when approving or completing (agency API or Kafka report) to issue it. The code
    is printed on the document and verifies once it is issued."""
    command = UploadResult(who, application_id, file)
    return await handle.upload_result(command, applications=applications, results=results)


@agency_router.post(
    "/results/{code}/revocation",
    response_model=UploadedResult,
    summary="Revoke an issued result document",
)
async def revoke_result(
    code: str,
    body: RevokeRequest,
    who: AuthenticatedCaller,
    applications: Applications,
    results: Results,
    uow: Uow,
    runtime: ServiceRuntime,
) -> dict:
    """Verification shows the document as revoked, with the reason, from now on."""
    return await handle.revoke_result(
        RevokeResult(who, code, body.reason),
        uow,
        applications=applications,
        results=results,
        documents_topic=runtime.topics.documents,
    )
