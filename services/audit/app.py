"""Audit's composition root: its parts (:mod:`services.audit.parts`), what it reads and
writes, its routes, and what runs while it is up."""

import structlog
from fastapi import FastAPI

from services.audit.api import audit_router, citizen_router
from services.audit.handlers import handlers
from services.audit.parts import AuditParts, build_parts
from services.audit.refusals import install_refusals
from services.audit.signing import public_key_text
from shared.runtime import create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]

log = structlog.get_logger(__name__)


def build(settings: Settings) -> FastAPI:
    parts = build_parts(settings)
    log.info(
        "audit checkpoints signed with",
        public_key=public_key_text(parts.signer.public_key),
        key_id=parts.signer.key_id,
    )
    _lifespan(parts)
    _subscriptions(parts, settings)
    app = create_app(
        parts.runtime,
        title="MPP Digital — Audit",
        description="Tamper-evident event log, verification and replay.",
        routers=[audit_router, citizen_router],
    )
    install_refusals(app)
    app.state.audit = parts  # what the routes take (services/audit/deps.py)
    from services.audit.web import mount_web  # the auditor console, on the same app

    mount_web(app, settings)
    return app


def _lifespan(parts: AuditParts) -> None:
    runtime = parts.runtime
    runtime.on_start += [parts.log.create_indexes, parts.jobs.create_indexes]
    runtime.on_stop.append(parts.jobs.stop)


def _subscriptions(parts: AuditParts, settings: Settings) -> None:
    """What audit writes (reads by auditors, replayed events) and reads (everything)."""
    runtime = parts.runtime
    topics = runtime.topics
    runtime.declare_publisher([topics.access], "Reads of an application by auditors.")
    runtime.declare_publisher([topics.replay], "Replayed events (mpp audit republish).")
    runtime.consume(
        topics.all(runtime.catalogue.kafka_inboxes()),
        group=runtime.groups.audit_all,
        handlers=handlers(parts.log),
        description="Every event, hash-chained.",
        max_records=1000,
        linger_seconds=settings.audit_linger_ms / 1000,
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.audit_port)
