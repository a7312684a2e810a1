"""Intake's HTTP API for applications and documents: thin translators. Each route
parses, builds a command, calls its handler (:mod:`submissions` through
:mod:`submitters`, :mod:`citizen_actions`) or store and answers; what it needs comes from
:mod:`services.intake.deps`, and a refusal is answered from :mod:`services.intake.refusals`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from services.intake.applications import ApplicationRepository
from services.intake.callers import client_ip
from services.intake.citizen_actions import (
    ProvideInformation,
    RequestCancellation,
    provide_information,
    request_cancellation,
)
from services.intake.deps import (
    ApplicantsDep,
    ApplicationsDep,
    CommitsDep,
    DocumentsDep,
    IdempotentKey,
    PartsDep,
    Principal,
    RuntimeDep,
    Submitter,
)
from services.intake.refusals import CITIZEN_TOKEN_HEADER, NoSuchApplication
from services.intake.result_files import result_response
from services.intake.schemas import (
    AcceptedApplication,
    ActionAccepted,
    CancelRequest,
    InformationResponse,
    SubmitApplication,
)
from services.intake.submissions import submit
from services.intake.submitters import SubmitForm, submission_for
from services.intake.tracking import ApplicationView, view, with_applicant_opened
from shared.auth import CitizenPrincipal
from shared.correlation import current_correlation_id
from shared.events import DocumentRef, utcnow
from shared.files import read_upload
from shared.http_cache import PRIVATE, cached_json
from shared.idempotency import fingerprint
from shared.problems import Problem
from shared.web import service_url

__all__ = ["applications_router"]

applications_router = APIRouter(prefix="/api/v1", tags=["applications"])


async def _own(
    applications: ApplicationRepository, id: str, caller: CitizenPrincipal
) -> dict[str, Any]:
    """The caller's application; 404 — not 403 — for anyone else's, so ids leak nothing."""
    document = await applications.citizens(id, caller.subject)
    if document is None:
        raise NoSuchApplication(id)
    return document


@applications_router.post(
    "/applications",
    status_code=202,
    response_model=AcceptedApplication,
    summary="Submit an application",
    responses={400: {"description": "Idempotency-Key missing"}, 409: {}, 422: {}},
)
async def submit_application(
    body: SubmitApplication,
    request: Request,
    principal: Submitter,
    key: IdempotentKey,
    applicants: ApplicantsDep,
    runtime: RuntimeDep,
    commits: CommitsDep,
) -> Any:
    # Built directly: url_for would search every route of the app per request.
    applications_url = f"{str(request.base_url).rstrip('/')}/api/v1/applications/"
    print_ = fingerprint(body.model_dump(mode="json"), path="/api/v1/applications")
    command = SubmitForm(
        body=body,
        caller=principal,
        authorization=request.headers.get("authorization", ""),
        client=client_ip(request),
        citizen_token=request.headers.get(CITIZEN_TOKEN_HEADER),
        correlation_id=current_correlation_id(),
        remember=key.remember(print_, 202, applications_url),
    )
    submission = await submission_for(command, applicants)
    accepted = await submit(
        submission, catalogue=runtime.catalogue, personal=runtime.personal, commits=commits
    )
    return JSONResponse(
        AcceptedApplication(**accepted.__dict__).model_dump(mode="json"),
        status_code=202,
        headers={"Location": applications_url + accepted.id},
    )


@applications_router.get(
    "/applications",
    response_model=list[ApplicationView],
    summary="My applications, newest first",
    description="One page at a time: when more follow, the `Link` header holds the "
    'next page\'s address (`rel="next"`; `before` is the last id of this page). '
    "Send the last `ETag` in `If-None-Match`: an unchanged page answers 304.",
    responses={304: {"description": "Not modified since the ETag sent"}},
)
async def list_my_applications(
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    applications: ApplicationsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    page, more = await applications.page(principal.subject, limit, before)
    headers: dict[str, str] = {}
    if more:
        following = request.url.include_query_params(limit=limit, before=page[-1]["_id"])
        headers["Link"] = f'<{following}>; rel="next"'
    now, verify_base = utcnow(), service_url(runtime.settings, "routing")
    views = [
        view(await with_applicant_opened(document, runtime.personal), now, verify_base)
        for document in page
    ]
    return cached_json(
        request,
        [found.model_dump(mode="json") for found in views],
        cache_control=PRIVATE,
        headers=headers,
    )


@applications_router.get(
    "/applications/{id}",
    response_model=ApplicationView,
    summary="Status and timeline of one application",
    description="Send the last `ETag` in `If-None-Match`: unchanged, it answers 304.",
    responses={304: {"description": "Not modified since the ETag sent"}},
)
async def get_application(
    id: str,
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    applications: ApplicationsDep,
) -> Response:
    found = view(
        await with_applicant_opened(await _own(applications, id, principal), runtime.personal),
        utcnow(),
        service_url(runtime.settings, "routing"),
    )
    return cached_json(request, found.model_dump(mode="json"), cache_control=PRIVATE)


@applications_router.get(
    "/applications/{id}/results/{code}",
    summary="Download a result document the agency issued",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The file (attachment, never cached)"},
        404: {},
        410: {"description": "Revoked by the agency"},
        503: {},
    },
)
async def download_result(
    id: str,
    code: str,
    principal: Principal,
    runtime: RuntimeDep,
    applications: ApplicationsDep,
) -> StreamingResponse:
    """The file, kept by routing, fetched for the caller and streamed on: no signed
    link to it ever reaches the caller, so none sits in a browser's history."""
    application = await _own(applications, id, principal)
    return await result_response(application, code, runtime.settings)


@applications_router.post(
    "/applications/{id}/cancel",
    status_code=202,
    response_model=ActionAccepted,
    summary="Ask to cancel an application",
)
async def cancel_application(
    id: str,
    principal: Principal,
    parts: PartsDep,
    body: CancelRequest | None = None,
) -> ActionAccepted:
    command = RequestCancellation(
        application_id=id,
        citizen_id=principal.subject,
        reason=body.reason if body else None,
        correlation_id=current_correlation_id(),
    )
    status = await request_cancellation(command, parts.units())
    return ActionAccepted(
        id=id,
        status=status,
        detail="Permintaan pembatalan diteruskan ke instansi / Cancellation requested; "
        "the timeline shows 'cancelled' once it is applied.",
    )


@applications_router.post(
    "/applications/{id}/responses",
    status_code=202,
    response_model=ActionAccepted,
    summary="Answer a request for more information",
)
async def answer_information_request(
    id: str,
    body: InformationResponse,
    principal: Principal,
    parts: PartsDep,
) -> ActionAccepted:
    command = ProvideInformation(
        application_id=id,
        citizen_id=principal.subject,
        data=body.data,
        correlation_id=current_correlation_id(),
        documents=body.documents,
        note=body.note,
    )
    status = await provide_information(command, parts.units())
    return ActionAccepted(
        id=id,
        status=status,
        detail="Jawaban diteruskan ke instansi / Your answer was sent to the agency.",
    )


@applications_router.post(
    "/documents",
    status_code=201,
    response_model=DocumentRef,
    tags=["documents"],
    summary="Upload a document (PDF, JPEG or PNG, at most 10 MB)",
)
async def upload_document(
    file: Annotated[UploadFile, File()],
    principal: Principal,
    documents: DocumentsDep,
) -> DocumentRef:
    if not principal.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Citizens upload their documents.")
    content, kind = await read_upload(file, documents.limit)  # 413, 415
    return await documents.keep(principal.subject, file.filename, content, kind)
