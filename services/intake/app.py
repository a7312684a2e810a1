"""Intake's composition root: the one place that wires settings, stores, broker and HTTP."""

from datetime import timedelta

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, PyMongoError

from services.intake.accounts import AccountStore
from services.intake.accounts_api import accounts_router
from services.intake.api import applications_router
from services.intake.applications import ApplicationRepository
from services.intake.batches import MobileBatches
from services.intake.batches_api import batches_router
from services.intake.catalogue_api import catalogue_router
from services.intake.codes import CodeStore
from services.intake.counter_api import counter_router
from services.intake.data_rights import DataRights
from services.intake.data_rights_api import data_rights_router
from services.intake.deps import IntakeParts
from services.intake.document_access import DocumentAccess
from services.intake.documents import DocumentStore, document_links_router
from services.intake.drafts import DraftStore, drafts_router
from services.intake.dukcapil import DukcapilClient
from services.intake.group_commit import GroupCommit, TrackingCounters
from services.intake.handlers import handlers as intake_handlers
from services.intake.idempotency import IdempotencyStore
from services.intake.limits import BodyLimitMiddleware, RateLimiter, RateLimitMiddleware
from services.intake.nik_api import nik_router
from services.intake.nik_ownership import NikOwnership
from services.intake.passwords import Passwords
from services.intake.recovery_api import recovery_router
from services.intake.retention import create_retention_indexes, retention_sweeps
from services.intake.sealed_accounts import SealedAccounts
from services.intake.sessions import Sessions
from services.intake.throttle import SignInThrottle
from services.intake.tracking_api import tracking_router
from services.intake.uploads import UploadStore
from services.intake.uploads_api import uploads_router
from shared.auth import CitizenPrincipal, TokenVerifier
from shared.problems import Problem, language_of, problem_response
from shared.retention_sweep import attach
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]

log = structlog.get_logger(__name__)


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("intake", settings)
    topics = runtime.topics
    runtime.declare_publisher([topics.submitted], "Applications accepted by intake.")
    runtime.declare_publisher(
        [topics.citizen_actions],
        "Citizens' cancellation requests and answers to requests for information.",
    )
    runtime.declare_publisher(
        [topics.accounts],
        "Citizens' contacts and notification preferences, one-time codes to send, proven "
        "NIKs and frozen accounts (personal data).",
    )
    runtime.declare_publisher([topics.access], "Officers' openings of citizens' documents.")
    outbox = runtime.outbox()
    passwords = Passwords(settings.auth_hash_concurrency)
    sealed = SealedAccounts(runtime.personal, settings.blind_index_secret)
    accounts = AccountStore(
        sealed=sealed,
        mongo=runtime.mongo,
        db=runtime.db,
        outbox=outbox,
        topics=topics,
        catalogue=runtime.catalogue,
        passwords=passwords,
    )
    sessions = Sessions(mongo=runtime.mongo, db=runtime.db, settings=settings)
    codes = CodeStore(
        mongo=runtime.mongo,
        db=runtime.db,
        outbox=outbox,
        topics=topics,
        settings=settings,
        personal=runtime.personal,
    )
    dukcapil = DukcapilClient(settings)
    ownership = NikOwnership(
        mongo=runtime.mongo,
        db=runtime.db,
        outbox=outbox,
        topics=topics,
        sessions=sessions,
        dukcapil=dukcapil,
        settings=settings,
        sealed=sealed,
    )
    throttle = SignInThrottle(
        free=settings.auth_signin_free_failures,
        base=settings.auth_signin_backoff_seconds,
        cap=settings.auth_signin_backoff_max_seconds,
    )
    runtime.on_stop.append(passwords.close)
    idempotency = IdempotencyStore(runtime.db, settings.idempotency_ttl_hours)
    batch_keys = IdempotencyStore(
        runtime.db,
        settings.mobile_capture_window_hours + settings.idempotency_ttl_hours,
        collection="mobile_batch_keys",
    )
    documents = DocumentStore(runtime.db, settings.intake_document_limit_bytes, runtime.personal)
    drafts = DraftStore(runtime.db, runtime.personal)
    uploads = UploadStore(
        runtime.units, runtime.db, documents, timedelta(hours=settings.upload_expiry_hours)
    )

    applications = ApplicationRepository(runtime.db)

    async def create_indexes_for_retention() -> None:
        await create_retention_indexes(runtime.db)

    retention = attach(runtime, retention_sweeps(runtime.db))
    rights = DataRights(
        mongo=runtime.mongo,
        db=runtime.db,
        outbox=outbox,
        topics=topics,
        personal=runtime.personal,
        sessions=sessions,
        settings=settings,
    )
    runtime.on_start += [
        rights.create_indexes,
        applications.create_indexes,
        create_indexes_for_retention,
        accounts.create_indexes,
        idempotency.create_indexes,
        batch_keys.create_indexes,
        documents.create_indexes,
        sessions.create_indexes,
        codes.create_indexes,
        ownership.create_indexes,
        drafts.create_indexes,
        uploads.create_indexes,
    ]
    runtime.consume(
        [topics.status],
        group=runtime.groups.intake_status,
        handlers=intake_handlers(runtime.db),
        description="Builds the citizen's status timeline.",
    )
    verifier = TokenVerifier(settings)
    per_account = RateLimiter(settings.intake_rate_per_account)

    async def principal(request: Request) -> CitizenPrincipal:
        """The verified caller, within their account's rate limit, not signed out since."""
        verified = await verifier(request)
        await sessions.refuse_signed_out(verified)
        retry = per_account.check(verified.subject)
        if retry is not None:
            raise Problem(
                429,
                "Terlalu banyak permintaan / Too many requests",
                f"Too many requests from this account; retry after {int(retry) + 1} s.",
                headers={"Retry-After": str(int(retry) + 1)},
            )
        return verified

    commits = GroupCommit(
        runtime.units, TrackingCounters(runtime.db), applications, topics.submitted
    )
    runtime.background.append(commits.run)
    parts = IntakeParts(
        runtime=runtime,
        principal=principal,
        accounts=accounts,
        sessions=sessions,
        codes=codes,
        passwords=passwords,
        throttle=throttle,
        ownership=ownership,
        idempotency=idempotency,
        documents=documents,
        uploads=uploads,
        applications=applications,
        commits=commits,
    )
    batches = MobileBatches(
        accounts=accounts,
        keys=batch_keys,
        catalogue=runtime.catalogue,
        commits=commits,
        window=timedelta(hours=settings.mobile_capture_window_hours),
    )
    app = create_app(
        runtime,
        title="MPP Digital — Intake",
        description="Accounts, the service catalogue, submissions from web, mobile, counters, "
        "kiosks and mobile service units, documents, and tracking. Every error is "
        "application/problem+json.",
        routers=[
            catalogue_router(runtime.catalogue),
            accounts_router,
            recovery_router,
            applications_router,
            tracking_router(runtime.db["applications"]),
            drafts_router(drafts, runtime.catalogue, principal),
            nik_router(ownership, principal),
            data_rights_router(rights, accounts, passwords, throttle, principal),
            counter_router,
            batches_router(batches, principal, settings.mobile_batch_max_items),
            uploads_router,
            document_links_router(
                documents, runtime.db, settings, DocumentAccess(runtime.mongo, outbox, topics)
            ),
        ],
    )
    app.state.intake = parts  # what the routers' dependencies read (services/intake/deps.py)
    app.state.accounts = accounts
    app.state.ownership = ownership
    app.state.idempotency = idempotency
    app.state.retention = retention
    app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(settings.intake_rate_per_ip))
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.intake_body_limit_bytes,
        upload_limit=settings.intake_document_limit_bytes,
    )
    app.add_exception_handler(PyMongoError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
    from services.intake.web import mount_web  # the citizen portal, on the same app

    mount_web(app, settings)
    return app


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
