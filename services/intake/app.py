"""Intake's composition root: the one place that wires settings, stores, broker and HTTP.

:func:`build` reads as the order of assembly — the runtime and the topics intake
writes, the client of identity (which holds every account: intake asks it over HTTP with
the caller's own token), the application stores, their indexes, the status consumer, the
API's routers, the limits on every request, and the citizen portal on the same app.
Each part is made by a small function here; the stores it hands to the routers are the
ones the tests reach through ``app.state``.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

import httpx
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, PyMongoError

from services.intake.api import applications_router
from services.intake.applications import ApplicationRepository
from services.intake.batches import MobileBatches
from services.intake.batches_api import batches_router
from services.intake.catalogue_api import catalogue_router
from services.intake.deps import IntakeParts
from services.intake.document_access import DocumentAccess
from services.intake.documents import DocumentStore
from services.intake.documents_api import document_links_router
from services.intake.drafts import DraftStore
from services.intake.drafts_api import drafts_router
from services.intake.group_commit import GroupCommit, TrackingCounters
from services.intake.handlers import handlers as intake_handlers
from services.intake.idempotency import IdempotencyStore
from services.intake.identity_client import IdentityClient, SignOuts
from services.intake.my_data_api import my_data_router
from services.intake.retention import create_retention_indexes, retention_sweeps
from services.intake.tracking_api import tracking_router
from services.intake.uploads import UploadStore
from services.intake.uploads_api import uploads_router
from services.intake.web import mount_web
from shared.auth import CitizenPrincipal, TokenVerifier
from shared.limits import BodyLimitMiddleware, RateLimiter, RateLimitMiddleware
from shared.problems import Problem, language_of, problem_response
from shared.retention_sweep import RetentionSweeper, attach
from shared.runtime import Runtime, build_runtime, create_app, serve
from shared.settings import Settings, get_settings
from shared.signed_client import SignedClientMiddleware

__all__ = ["build", "main"]

log = structlog.get_logger(__name__)


def build(settings: Settings, identity: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Intake's app: its stores on one runtime, its API and the citizen portal;
    ``identity`` is how it reaches identity's API (a test passes an app in the same
    process), else ``MPP_INTERNAL_URLS`` or identity's local port."""
    runtime = build_runtime("intake", settings)
    _declare_publishers(runtime)
    runtime.outbox()  # the relay, before any store writes through the unit of work
    identity_client = IdentityClient(settings, identity)
    runtime.background.append(identity_client.held_open)
    applications = _application_stores(runtime, settings)
    runtime.on_start += _index_builders(runtime, applications)
    runtime.consume(
        [runtime.topics.status],
        group=runtime.groups.intake_status,
        handlers=intake_handlers(runtime.db),
        description="Builds the citizen's status timeline.",
        linger_seconds=settings.intake_timeline_linger_ms / 1000,
    )
    principal = _citizen(settings, SignOuts(identity_client, settings.auth_token_minutes))
    parts = _intake_parts(runtime, identity_client, applications, principal)
    # A submission asks identity for the applicant with the caller's token, and that
    # answer refuses a signed-out token: one question to identity instead of two.
    parts = replace(parts, submitter=_citizen(settings, None))
    app = create_app(
        runtime,
        title="MPP Digital — Intake",
        description="The service catalogue, submissions from web, mobile, counters, kiosks "
        "and mobile service units, documents, drafts and tracking. Every error is "
        "application/problem+json.",
        routers=_ROUTERS,
    )
    app.state.intake = parts  # what the routers' dependencies read (services/intake/deps.py)
    app.state.identity_client = identity_client
    app.state.idempotency = applications.idempotency
    app.state.retention = applications.retention
    _guard(app, settings, max(len(s.documents) for s in runtime.catalogue.services))
    mount_web(app, settings)  # the citizen portal, on the same app
    return app


def _declare_publishers(runtime: Runtime) -> None:
    topics = runtime.topics
    runtime.declare_publisher([topics.submitted], "Applications accepted by intake.")
    runtime.declare_publisher(
        [topics.citizen_actions],
        "Citizens' cancellation requests and answers to requests for information.",
    )
    runtime.declare_publisher([topics.access], "Officers' openings of citizens' documents.")


@dataclass(frozen=True)
class _ApplicationStores:
    """Applications, their documents, drafts and batches, and what keeps them once."""

    applications: ApplicationRepository
    idempotency: IdempotencyStore
    batch_keys: IdempotencyStore
    documents: DocumentStore
    drafts: DraftStore
    uploads: UploadStore
    commits: GroupCommit
    batches: MobileBatches
    retention: RetentionSweeper


def _application_stores(runtime: Runtime, settings: Settings) -> _ApplicationStores:
    db = runtime.db
    batch_keys = IdempotencyStore(
        db,
        settings.mobile_capture_window_hours + settings.idempotency_ttl_hours,
        collection="mobile_batch_keys",
    )
    documents = DocumentStore(db, settings.intake_document_limit_bytes, runtime.personal)
    retention = attach(runtime, retention_sweeps(db))
    applications = ApplicationRepository(db)
    commits = GroupCommit(
        runtime.units, TrackingCounters(db), applications, runtime.topics.submitted
    )
    runtime.background.append(commits.run)
    return _ApplicationStores(
        applications=applications,
        idempotency=IdempotencyStore(db, settings.idempotency_ttl_hours),
        batch_keys=batch_keys,
        documents=documents,
        drafts=DraftStore(db, runtime.personal),
        uploads=UploadStore(
            runtime.units, db, documents, timedelta(hours=settings.upload_expiry_hours)
        ),
        commits=commits,
        batches=MobileBatches(
            personal=runtime.personal,
            keys=batch_keys,
            catalogue=runtime.catalogue,
            commits=commits,
            window=timedelta(hours=settings.mobile_capture_window_hours),
        ),
        retention=retention,
    )


def _index_builders(
    runtime: Runtime, applications: _ApplicationStores
) -> list[Callable[[], Awaitable[None]]]:
    """What creates each collection's indexes when the service starts."""
    return [
        applications.applications.create_indexes,
        partial(create_retention_indexes, runtime.db),
        applications.idempotency.create_indexes,
        applications.batch_keys.create_indexes,
        applications.documents.create_indexes,
        applications.drafts.create_indexes,
        applications.uploads.create_indexes,
    ]


_Citizen = Callable[[Request], Awaitable[CitizenPrincipal]]


def _citizen(settings: Settings, sign_outs: SignOuts | None) -> _Citizen:
    """The dependency every citizen's route takes: the verified caller, within their
    account's rate limit, not signed out since (``sign_outs`` None: the route asks
    identity anyway, whose answer refuses a signed-out token itself)."""
    verifier = TokenVerifier(settings)
    per_account = RateLimiter(settings.intake_rate_per_account)

    async def principal(request: Request) -> CitizenPrincipal:
        """The verified caller, within their account's rate limit, not signed out since."""
        verified = await verifier(request)
        if sign_outs is not None:
            await sign_outs.refuse_signed_out(verified, request)
        retry = per_account.check(verified.subject)
        if retry is not None:
            raise Problem(
                429,
                "Terlalu banyak permintaan / Too many requests",
                f"Too many requests from this account; retry after {int(retry) + 1} s.",
                headers={"Retry-After": str(int(retry) + 1)},
            )
        return verified

    return principal


def _intake_parts(
    runtime: Runtime,
    identity: IdentityClient,
    applications: _ApplicationStores,
    principal: _Citizen,
) -> IntakeParts:
    """What the API's routes reach through their dependencies."""
    return IntakeParts(
        runtime=runtime,
        principal=principal,
        submitter=principal,
        identity=identity,
        idempotency=applications.idempotency,
        documents=applications.documents,
        uploads=applications.uploads,
        applications=applications.applications,
        commits=applications.commits,
        drafts=applications.drafts,
        batches=applications.batches,
        access=DocumentAccess(runtime.mongo, runtime.outbox(), runtime.topics),
    )


_ROUTERS: list[APIRouter] = [
    catalogue_router,
    applications_router,
    tracking_router,
    drafts_router,
    my_data_router,
    batches_router,
    uploads_router,
    document_links_router,
]
"""Intake's API, in the order its operations are listed; what each route needs comes
from ``app.state.intake`` (:func:`_intake_parts`)."""


def _guard(app: FastAPI, settings: Settings, documents_per_form: int) -> None:
    """Limits on every request (per IP, body size; a portal form may carry as many
    documents as a service asks for), and problems for what fails."""
    app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(settings.intake_rate_per_ip))
    # Outside the rate limit: the workbench's sign-ins count for the officer's browser,
    # which routing names in a signed header, not for routing (shared.signed_client).
    app.add_middleware(SignedClientMiddleware, secret=settings.document_link_secret)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.intake_body_limit_bytes,
        upload_limit=settings.intake_document_limit_bytes,
        documents_per_form=documents_per_form,
    )
    app.add_exception_handler(PyMongoError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database error", error=type(exc).__name__, path=request.url.path)
    if isinstance(exc, ConnectionFailure):
        return problem_response(
            503,
            "Layanan sementara tidak tersedia / Temporarily unavailable",
            "The database is not reachable; nothing was stored. Retry with the same "
            "Idempotency-Key.",
            instance=request.url.path,
            headers={"Retry-After": "5"},
            language=language_of(request),
        )
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", error=type(exc).__name__, path=request.url.path)
    return problem_response(
        500,
        "Kesalahan server / Server error",
        "Something went wrong on our side; nothing half-stored. Retry with the same "
        "Idempotency-Key.",
        instance=request.url.path,
        language=language_of(request),
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.intake_port)
