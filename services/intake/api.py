"""Intake's HTTP API for applications and documents: thin translators between HTTP and
:mod:`submissions`, :mod:`citizen_actions` and :mod:`documents`."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Header, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pymongo.errors import DuplicateKeyError

from services.intake.accounts import AccountStore, ProfileUpdate, refuse_unproven
from services.intake.applicant import applicant_snapshot
from services.intake.citizen_actions import provide_information, request_cancellation
from services.intake.counter_api import CITIZEN_TOKEN_HEADER, kiosk_citizen, serving_staff
from services.intake.documents import DocumentStore
from services.intake.group_commit import GroupCommit
from services.intake.idempotency import IdempotencyStore, Replay, fingerprint, parse_key
from services.intake.submissions import (
    Accepted,
    SubmissionRequest,
    accept_submission,
    validate_request,
)
from services.intake.tracking import ApplicationView, list_mine, view, with_applicant_opened
from shared.auth import CitizenPrincipal
from shared.correlation import current_correlation_id
from shared.document_links import link_query
from shared.events import DocumentRef, utcnow
from shared.http_cache import PRIVATE, cached_json
from shared.outbox import Outbox
from shared.problems import Problem
from shared.runtime import Runtime
from shared.web import service_url

__all__ = ["IntakeParts", "applications_router"]

Sha256 = Field(pattern=r"^[0-9a-f]{64}$")

MAX_FORM_DEPTH = 16
INT64 = range(-(2**63), 2**63)


def _storable(value: Any, depth: int = 0) -> Any:
    """Refuse what JSON allows but a stored document cannot hold: integers beyond 64 bits
    (BSON's widest) and nesting deeper than any form needs (canonical encoding stops at
    a few hundred levels). Checked before anything else, so the answer is a 422."""
    if depth > MAX_FORM_DEPTH:
        raise ValueError(
            f"isian bertingkat terlalu dalam / nested deeper than {MAX_FORM_DEPTH} levels"
        )
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value not in INT64:
        raise ValueError("angka terlalu besar / number too large (at most 64-bit integers)")
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            _storable(child, depth + 1)
    return value


FormData = Annotated[dict[str, Any], AfterValidator(_storable)]


class SubmitApplication(BaseModel):
    """What a client may send. Server-owned fields (status, ids, times) are refused."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=64, examples=["ktp-el"])
    region: str = Field(pattern=r"^[0-9]{4}$", examples=["3576"])
    data: FormData = Field(default_factory=dict, examples=[{"reason": "baru"}])
    channel: Literal["web", "mobile", "counter", "kiosk"] = "web"
    documents: list[str] = Field(
        default_factory=list, max_length=20, description="sha256 of documents uploaded first."
    )
    citizen_nik: str | None = Field(
        None,
        pattern=r"^[0-9]{16}$",
        description="Counter operators only: the NIK of the citizen served (kiosks send the "
        "signed-in citizen's token in X-Citizen-Token instead).",
    )
    applicant: ProfileUpdate | None = Field(
        None,
        description="Profile fields the service needs that the profile lacks: saved to the "
        "profile for next time, then shared with the agency like the rest (see "
        "applicant_fields in GET /api/v1/services/{code}).",
    )


class AcceptedApplication(BaseModel):
    id: str
    tracking_number: str
    status: str
    sla_due_at: datetime


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500)


class InformationResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: FormData = Field(default_factory=dict, description="Corrected or added fields.")
    documents: list[str] = Field(default_factory=list, max_length=20)
    note: str | None = Field(None, max_length=1000)


class ActionAccepted(BaseModel):
    id: str
    status: str
    detail: str


@dataclass(frozen=True)
class IntakeParts:
    runtime: Runtime
    outbox: Outbox
    accounts: AccountStore
    idempotency: IdempotencyStore
    documents: DocumentStore
    principal: Callable[..., Awaitable[CitizenPrincipal]]
    commits: GroupCommit


def _not_found(id: str) -> Problem:
    return Problem(
        404,
        "Tidak ditemukan / Not found",
        f"You have no application with id {id}; see GET /api/v1/applications.",
    )


def _replayed(replay: Replay) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"}
    if replay.location:
        headers["Location"] = replay.location
    return JSONResponse(replay.body, status_code=replay.status, headers=headers)


def applications_router(parts: IntakeParts) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["applications"])
    runtime = parts.runtime
    applications = runtime.db["applications"]
    Principal = Annotated[CitizenPrincipal, Depends(parts.principal)]
    routing_base = service_url(runtime.settings, "routing")
    verify_base = routing_base

    async def citizen_for(
        body: SubmitApplication, principal: CitizenPrincipal, request: Request
    ) -> tuple[str, str]:
        """(citizen id, channel): the caller, or the citizen a counter operator or a kiosk
        serves, in the operator's own region (:mod:`services.intake.counter_api`)."""
        role = principal.operator_role
        if role is None:
            if not principal.is_citizen:
                raise Problem(
                    403,
                    "Khusus warga, loket dan kios / Citizens, counters and kiosks only",
                    "Agency staff and administrators do not submit applications.",
                )
            if body.channel in ("counter", "kiosk") or body.citizen_nik is not None:
                raise Problem(
                    403,
                    "Khusus petugas loket dan kios / Counter and kiosk only",
                    "The counter and kiosk channels and citizen_nik need an operator credential.",
                )
            return principal.subject, body.channel
        if role == "mobile_unit":
            raise Problem(
                403,
                "Layanan keliling mengirim per batch / Mobile units send batches",
                "Petugas layanan keliling mengirim permohonan lewat POST /api/v1/batches "
                "(satu batch boleh berisi satu permohonan) / A mobile unit's operator sends "
                "applications through POST /api/v1/batches (a batch may hold one).",
            )
        staff = await serving_staff(parts.accounts.staff, principal)
        if body.region != staff["region"]:
            raise Problem(
                403,
                "Di luar wilayah MPP Anda / Outside your MPP's region",
                f"Akun ini melayani wilayah {staff['region']} / This account serves region "
                f"{staff['region']} only.",
                errors=[{"field": "region", "message": f"must be {staff['region']}"}],
            )
        if role == "kiosk":
            if body.citizen_nik is not None:
                raise Problem(
                    422,
                    "Kios tidak menerima NIK / Kiosks do not take a NIK",
                    "NIK bukan bukti identitas; warga masuk di kios dengan akunnya sendiri / A "
                    f"NIK proves nothing: the citizen signs in at the kiosk, and the kiosk "
                    f"sends their token in {CITIZEN_TOKEN_HEADER}.",
                    errors=[{"field": "citizen_nik", "message": "not for kiosks"}],
                )
            citizen = await kiosk_citizen(request, parts.principal)
            return citizen.subject, role
        if body.citizen_nik is None:
            raise Problem(
                422,
                "NIK warga wajib / Citizen's NIK required",
                "A counter operator submits for a citizen: send citizen_nik.",
                errors=[{"field": "citizen_nik", "message": "required for counter operators"}],
            )
        account = await parts.accounts.find_by_nik(body.citizen_nik)
        if account is None:
            raise Problem(
                422,
                "Warga belum punya akun / Citizen has no account",
                "Register the citizen first with POST /api/v1/accounts.",
                errors=[{"field": "citizen_nik", "message": "no account"}],
            )
        return account["_id"], role

    async def applicant_for(body: SubmitApplication, citizen_id: str, channel: str) -> Any:
        """The declared fields from the citizen's profile, after saving what the form
        added; 403 while the account is not proven, 422 naming what is still missing."""
        request = SubmissionRequest(
            service=body.service,
            region=body.region,
            data=body.data,
            channel=body.channel,
            citizen_id=citizen_id,
            correlation_id="",
        )
        validate_request(runtime.catalogue, request)  # a bad form saves nothing
        service = runtime.catalogue.service(body.service)
        assert service is not None
        account = await parts.accounts.profile(citizen_id)
        if account is None:
            raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
        refuse_unproven(account, channel)
        if body.applicant is not None and body.applicant.model_fields_set:
            try:
                account = await parts.accounts.update_profile(citizen_id, body.applicant)
            except Problem as problem:  # name the fields as the request did
                for error in problem.extensions.get("errors") or []:
                    error["field"] = f"applicant.{error['field']}"
                raise
            refuse_unproven(account, channel)  # a changed email or phone is unproven again
        return applicant_snapshot(account, service)

    @router.post(
        "/applications",
        status_code=202,
        response_model=AcceptedApplication,
        summary="Submit an application",
        responses={400: {"description": "Idempotency-Key missing"}, 409: {}, 422: {}},
    )
    async def submit_application(
        body: SubmitApplication,
        request: Request,
        principal: Principal,
        idempotency_key: str | None = Header(None, max_length=300),
    ) -> Any:
        key = parse_key(idempotency_key)

        def location_of(id: str) -> str:
            # Built directly: url_for would search every route of the app per request.
            return f"{str(request.base_url).rstrip('/')}/api/v1/applications/{id}"

        print_ = fingerprint("/api/v1/applications", body.model_dump(mode="json"))
        started = parts.idempotency.begin(principal.subject, key)
        try:
            citizen_id, channel = await citizen_for(body, principal, request)
            applicant = await applicant_for(body, citizen_id, channel)
            documents = await parts.documents.resolve(citizen_id, body.documents)

            def remember(accepted: Accepted) -> list[tuple[str, dict[str, Any]]]:
                answer = AcceptedApplication(**accepted.__dict__).model_dump(mode="json")
                record = parts.idempotency.record(
                    started, print_, 202, answer, location_of(accepted.id)
                )
                return [(parts.idempotency.keys.name, record)]

            try:
                accepted = await accept_submission(
                    personal=parts.runtime.personal,
                    request=SubmissionRequest(
                        service=body.service,
                        region=body.region,
                        data=body.data,
                        channel=channel,
                        citizen_id=citizen_id,
                        correlation_id=current_correlation_id(),
                        operator_id=principal.subject if principal.operator_role else None,
                        documents=documents,
                        applicant=applicant,
                    ),
                    catalogue=runtime.catalogue,
                    commits=parts.commits,
                    topics=runtime.topics,
                    also_store=remember,
                )
            except DuplicateKeyError:
                return _replayed(await parts.idempotency.after_conflict(started, print_))
        finally:
            parts.idempotency.end(started)
        return JSONResponse(
            AcceptedApplication(**accepted.__dict__).model_dump(mode="json"),
            status_code=202,
            headers={"Location": location_of(accepted.id)},
        )

    async def own(id: str, principal: CitizenPrincipal) -> dict[str, Any]:
        """The caller's application; 404 — not 403 — for anyone else's, so ids leak nothing."""
        document = await applications.find_one({"_id": id, "citizen_id": principal.subject})
        if document is None:
            raise _not_found(id)
        return document

    @router.get(
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
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        before: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        page, more = await list_mine(applications, principal.subject, limit, before)
        headers: dict[str, str] = {}
        if more:
            following = request.url.include_query_params(limit=limit, before=page[-1]["_id"])
            headers["Link"] = f'<{following}>; rel="next"'
        now = utcnow()
        views = [
            view(
                await with_applicant_opened(document, runtime.personal), now, verify_base
            ).model_dump(mode="json")
            for document in page
        ]
        return cached_json(request, views, cache_control=PRIVATE, headers=headers)

    @router.get(
        "/applications/{id}",
        response_model=ApplicationView,
        summary="Status and timeline of one application",
        description="Send the last `ETag` in `If-None-Match`: unchanged, it answers 304.",
        responses={304: {"description": "Not modified since the ETag sent"}},
    )
    async def get_application(id: str, request: Request, principal: Principal) -> Response:
        found = view(
            await with_applicant_opened(await own(id, principal), runtime.personal),
            utcnow(),
            verify_base,
        )
        return cached_json(request, found.model_dump(mode="json"), cache_control=PRIVATE)

    @router.get(
        "/applications/{id}/results/{code}",
        status_code=303,
        summary="Download a result document the agency issued",
        response_class=RedirectResponse,
        responses={303: {"description": "To a short-lived download link"}},
    )
    async def download_result(id: str, code: str, principal: Principal) -> RedirectResponse:
        """Redirects to the file, kept by routing, through a link valid for minutes."""
        application = await own(id, principal)
        result = next((r for r in application.get("results") or [] if r["code"] == code), None)
        if result is None:
            raise Problem(
                404,
                "Dokumen hasil tidak ditemukan / Result not found",
                f"Permohonan ini tidak punya dokumen hasil {code} / This application has no "
                f"result document {code}; see its results.",
            )
        query = link_query(
            runtime.settings.document_link_secret,
            id,
            result["sha256"],
            "citizen",
            runtime.settings.document_link_seconds,
            officer=application["citizen_id"],
        )
        query["citizen"] = query.pop("officer")
        del query["agency"]
        return RedirectResponse(
            f"{routing_base}/results/{code}?{urlencode(query)}", status_code=303
        )

    @router.post(
        "/applications/{id}/cancel",
        status_code=202,
        response_model=ActionAccepted,
        summary="Ask to cancel an application",
    )
    async def cancel_application(
        id: str,
        principal: Principal,
        body: CancelRequest | None = None,
    ) -> ActionAccepted:
        application = await own(id, principal)
        await request_cancellation(
            application=application,
            reason=body.reason if body else None,
            channel=application["channel"],
            correlation_id=current_correlation_id(),
            mongo=runtime.mongo,
            db=runtime.db,
            outbox=parts.outbox,
            topics=runtime.topics,
        )
        return ActionAccepted(
            id=id,
            status=application["status"],
            detail="Permintaan pembatalan diteruskan ke instansi / Cancellation requested; "
            "the timeline shows 'cancelled' once it is applied.",
        )

    @router.post(
        "/applications/{id}/responses",
        status_code=202,
        response_model=ActionAccepted,
        summary="Answer a request for more information",
    )
    async def answer_information_request(
        id: str,
        body: InformationResponse,
        principal: Principal,
    ) -> ActionAccepted:
        application = await own(id, principal)
        documents = await parts.documents.resolve(principal.subject, body.documents)
        await provide_information(
            application=application,
            data=body.data,
            documents=documents,
            note=body.note,
            channel=application["channel"],
            correlation_id=current_correlation_id(),
            catalogue=runtime.catalogue,
            mongo=runtime.mongo,
            db=runtime.db,
            outbox=parts.outbox,
            topics=runtime.topics,
        )
        return ActionAccepted(
            id=id,
            status=application["status"],
            detail="Jawaban diteruskan ke instansi / Your answer was sent to the agency.",
        )

    @router.post(
        "/documents",
        status_code=201,
        response_model=DocumentRef,
        tags=["documents"],
        summary="Upload a document (PDF, JPEG or PNG, at most 10 MB)",
    )
    async def upload_document(
        file: Annotated[UploadFile, File()],
        principal: Principal,
    ) -> DocumentRef:
        if not principal.is_citizen:
            raise Problem(403, "Khusus warga / Citizens only", "Citizens upload their documents.")
        return await parts.documents.upload(principal.subject, file)

    return router
