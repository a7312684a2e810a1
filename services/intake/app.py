"""Intake's composition root: the one place that wires its parts, broker and HTTP.

:func:`build` reads as the order of assembly: the parts (:func:`build_parts`), their
indexes, the status consumer, the routers, the refusals' problems and the replays of
Idempotency-Keys, the limits on every request, and the citizen portal on the same app.
"""

import httpx
import structlog
from fastapi import APIRouter, FastAPI

from services.intake.api import applications_router, tracking_router
from services.intake.batches_api import batches_router
from services.intake.bills_api import bills_router
from services.intake.catalogue_api import catalogue_router
from services.intake.complaints_api import complaints_router
from services.intake.deps import install_replays
from services.intake.documents_api import document_links_router
from services.intake.drafts_api import drafts_router
from services.intake.handlers import handlers as intake_handlers
from services.intake.handlers import payment_handlers
from services.intake.my_data_api import my_data_router
from services.intake.parts import build_parts
from services.intake.queue.api import queue_router
from services.intake.queue.building_api import building_router
from services.intake.queue.staff_revoked import staff_handlers
from services.intake.refusals import install_refusals
from services.intake.uploads_api import uploads_router
from services.intake.web import mount_web
from shared.fault_answers import answer_faults
from shared.limits import BodyLimitMiddleware, RateLimiter, RateLimitMiddleware
from shared.runtime import create_app, serve
from shared.settings import Settings, get_settings
from shared.signed_client import SignedClientMiddleware

__all__ = ["build", "main"]

log = structlog.get_logger(__name__)


def build(settings: Settings, identity: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Intake's app: its parts (:func:`build_parts`), the status consumer, its API and
    the citizen portal; ``identity`` is how it reaches identity's API (a test passes an
    app in the same process), else ``MPP_INTERNAL_URLS`` or identity's local port."""
    parts = build_parts(settings, identity)
    runtime = parts.runtime
    runtime.on_start += parts.index_builders()
    runtime.consume(
        [runtime.topics.status, runtime.topics.complaints],
        group=runtime.groups.intake_status,
        handlers=intake_handlers(),
        description="Builds the citizen's status timeline; a complaint's closing starts "
        "its attachments' retention.",
        linger_seconds=settings.intake_timeline_linger_ms / 1000,
    )
    runtime.consume(
        [runtime.topics.staff],
        group=runtime.groups.intake_staff,
        handlers=staff_handlers(runtime.db, runtime.topics.staff),
        description="Staff revocations: a disabled queue kiosk or counter officer is refused.",
    )
    runtime.consume(
        [runtime.topics.payments],
        group=runtime.groups.intake_payments,
        handlers=payment_handlers(),
        description="Each application's bill, for the citizen's view and the counter.",
    )
    app = create_app(
        runtime,
        title="MPP Digital — Intake",
        description="The service catalogue, submissions from web, mobile, counters, kiosks "
        "and mobile service units, documents, drafts and tracking. Every error is "
        "application/problem+json.",
        routers=_ROUTERS,
    )
    app.state.intake = parts  # what the routers' dependencies read (services/intake/deps.py)
    app.state.identity_client = parts.identity
    app.state.idempotency = parts.idempotency
    app.state.retention = parts.retention
    install_refusals(app)
    install_replays(app)
    _guard(app, settings, max(len(s.documents) for s in runtime.catalogue.services))
    mount_web(app, settings)  # the citizen portal, on the same app
    return app


_ROUTERS: list[APIRouter] = [
    catalogue_router,
    applications_router,
    bills_router,
    complaints_router,
    tracking_router,
    drafts_router,
    my_data_router,
    batches_router,
    uploads_router,
    document_links_router,
    queue_router,
    building_router,
]
"""Intake's API, in the order its operations are listed; what each route needs comes
from ``app.state.intake`` (:class:`~services.intake.parts.IntakeParts`)."""


def _guard(app: FastAPI, settings: Settings, documents_per_form: int) -> None:
    """Limits on every request (per IP, body size; a portal form may carry as many
    documents as a service asks for), and problems for what fails."""
    app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(settings.intake_rate_per_ip))
    # Outside the rate limit: a request another service makes for a browser counts for
    # the browser it names in a signed header, not for that service (shared.signed_client).
    app.add_middleware(SignedClientMiddleware, secret=settings.document_link_secret)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.intake_body_limit_bytes,
        upload_limit=settings.intake_document_limit_bytes,
        documents_per_form=documents_per_form,
    )
    answer_faults(app, "Retry with the same Idempotency-Key.")


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.intake_port)
