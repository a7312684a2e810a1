"""Audit's composition root."""

import structlog
from fastapi import FastAPI

from services.audit.api import audit_router, citizen_router
from services.audit.checkpoints import Checkpoints
from services.audit.citizens import CitizenOnly
from services.audit.handlers import handlers
from services.audit.jobs import VerificationJobs
from services.audit.log import AuditLog
from services.audit.signing import load_signer, public_key_text
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]

log = structlog.get_logger(__name__)


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("audit", settings)
    signer = load_signer(settings)
    log.info(
        "audit checkpoints signed with",
        public_key=public_key_text(signer.public_key),
        key_id=signer.key_id,
    )
    checkpoints = Checkpoints(runtime.db, signer, settings.audit_checkpoint_interval)
    audit_log = AuditLog(runtime.db, checkpoints, runtime.topics)
    jobs = VerificationJobs(runtime.db, signer)
    runtime.on_start += [audit_log.create_indexes, jobs.create_indexes]
    runtime.on_stop.append(jobs.stop)
    topics = runtime.topics
    runtime.declare_publisher([topics.access], "Reads of an application by auditors.")
    runtime.declare_publisher([topics.replay], "Replayed events (mpp audit republish).")
    runtime.consume(
        topics.all(runtime.catalogue.kafka_agencies()),
        group=runtime.groups.audit_all,
        handlers=handlers(audit_log),
        description="Every event, hash-chained.",
        max_records=1000,
        linger_seconds=settings.audit_linger_ms / 1000,
    )
    app = create_app(
        runtime,
        title="MPP Digital — Audit",
        description="Tamper-evident event log, verification and replay.",
        routers=[audit_router, citizen_router],
    )
    app.state.checkpoints = checkpoints  # what the routes take (services/audit/deps.py)
    app.state.verification_jobs = jobs
    app.state.citizen_only = CitizenOnly(settings)
    from services.audit.web import mount_web  # the auditor console, on the same app

    mount_web(app, settings)
    return app


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.audit_port)
