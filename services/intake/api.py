"""Intake's HTTP API for applications and documents: thin translators. Each route
parses, builds a command, calls its handler (:mod:`submissions` through
:mod:`submitters`, :mod:`citizen_actions`) or store and answers; what it needs comes from
:mod:`services.intake.deps`, and a refusal is answered from :mod:`services.intake.refusals`.

Public tracking by number is the JSON twin of the portal's ``/portal/track`` (nothing
personal); its strong ``ETag`` lets an app poll an unchanged status for a bodiless 304,
and the per-IP rate limit keeps anyone from sweeping tracking numbers quickly.

A result document is kept by routing: intake fetches it server to server, posting a
short-lived signature over the application, the file's hash and the citizen
(:mod:`shared.document_links`), and streams it on. The signature never reaches the
browser, so no URL in its history or a proxy's log opens the file.
"""

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from services.intake.callers import client_ip
from services.intake.citizen_actions import (
    ProvideInformation,
    RequestCancellation,
    own_application,
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
from services.intake.refusals import (
    CITIZEN_TOKEN_HEADER,
    NoSuchResult,
    ResultRevoked,
    ResultsUnavailable,
)
from services.intake.schemas import (
    AcceptedApplication,
    ActionAccepted,
    CancelRequest,
    InformationResponse,
    SubmitApplication,
)
from services.intake.submissions import submit
from services.intake.submitters import SubmitForm, submission_for
from services.intake.tracking import (
    ApplicationView,
    PublicStatus,
    public_status,
    view,
    with_applicant_opened,
)
from shared.correlation import current_correlation_id
from shared.document_links import link_query
from shared.events import DocumentRef, utcnow
from shared.files import read_upload
from shared.http_cache import PRIVATE, PUBLIC, cached_json
from shared.idempotency import fingerprint
from shared.problems import Problem
from shared.settings import Settings
from shared.web import internal_url, service_url

__all__ = ["CITIZEN_LINK_AGENCY", "applications_router", "routing_client", "tracking_router"]

CITIZEN_LINK_AGENCY = "citizen"
"""The ``agency`` a citizen's result signature names (routing checks the same)."""

applications_router = APIRouter(prefix="/api/v1", tags=["applications"])
tracking_router = APIRouter(prefix="/api/v1", tags=["tracking"])


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
        view(
            await with_applicant_opened(document, runtime.personal),
            now,
            verify_base,
            runtime.catalogue.calendar_for(document.get("region")),
        )
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
    own = await own_application(applications, id, principal.subject)
    found = view(
        await with_applicant_opened(own, runtime.personal),
        utcnow(),
        service_url(runtime.settings, "routing"),
        runtime.catalogue.calendar_for(own.get("region")),
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
    application = await own_application(applications, id, principal.subject)
    return await _result_response(application, code, runtime.settings)


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


@tracking_router.get(
    "/track/{tracking_number}",
    response_model=PublicStatus,
    summary="Track an application by its tracking number (public)",
    description="Status, service, region, due date and the times of each status; "
    "nothing personal. Send the last `ETag` in `If-None-Match`: an unchanged status "
    "answers 304 with no body.",
    responses={304: {"description": "Not modified since the ETag sent"}},
)
async def track_application(
    tracking_number: Annotated[str, Path(min_length=1, max_length=64)],
    request: Request,
    applications: ApplicationsDep,
) -> Response:
    found = await public_status(applications.collection, tracking_number)
    if found is None:
        raise Problem(
            404,
            "Nomor pelacakan tidak ditemukan / Tracking number not found",
            "Periksa kembali nomornya / Check the number and try again.",
        )
    return cached_json(request, found.model_dump(mode="json"), cache_control=PUBLIC)


def routing_client(settings: Settings) -> httpx.AsyncClient:
    """Routing's HTTP API, as intake reaches it (``MPP_INTERNAL_URLS``)."""
    return httpx.AsyncClient(base_url=internal_url(settings, "routing"), timeout=30)


def _signed_fields(application: dict[str, Any], code: str, settings: Settings) -> dict[str, str]:
    """The signed fields for the application's result ``code``; 404 when the agency
    issued no such document."""
    result = next((r for r in application.get("results") or [] if r["code"] == code), None)
    if result is None:
        raise NoSuchResult(code)
    fields = link_query(
        settings.document_link_secret,
        application["_id"],
        result["sha256"],
        CITIZEN_LINK_AGENCY,
        settings.document_link_seconds,
        officer=application["citizen_id"],
    )
    fields["citizen"] = fields.pop("officer")
    del fields["agency"]
    return fields


_PASSED_ON = ("content-type", "content-length", "content-disposition")


async def _result_response(
    application: dict[str, Any], code: str, settings: Settings
) -> StreamingResponse:
    """The file, streamed from routing; routing's refusal said again (410 revoked), or
    503 when routing cannot be reached."""
    fields = _signed_fields(application, code, settings)
    client = routing_client(settings)
    try:
        answer = await client.send(
            client.build_request("POST", f"/results/{code}", data=fields), stream=True
        )
    except httpx.HTTPError:
        await client.aclose()
        raise ResultsUnavailable(code) from None
    if answer.status_code != 200:
        await answer.aread()
        await answer.aclose()
        await client.aclose()
        if answer.status_code == 410:
            problem = answer.json()
            raise ResultRevoked(problem.get("title", ""), problem.get("detail", ""))
        raise ResultsUnavailable(code)

    async def close() -> None:
        await answer.aclose()
        await client.aclose()

    headers = {name: answer.headers[name] for name in _PASSED_ON if name in answer.headers}
    headers |= {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return StreamingResponse(answer.aiter_raw(), headers=headers, background=BackgroundTask(close))
