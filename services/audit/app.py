"""Audit's composition root."""

from fastapi import FastAPI

from services.audit.log import AuditLog
from shared.kafka import subscribe_batch
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("audit", settings)
    audit_log = AuditLog(runtime.db)
    runtime.on_start.append(audit_log.create_indexes)
    topics = runtime.topics.all(runtime.catalogue.kafka_agencies())
    subscribe_batch(
        runtime.broker,
        topics,
        group_id=runtime.groups.audit_all,
        handler=audit_log.append,
        max_records=1000,
        title="audit.all",
        description="Every event, hash-chained.",
    )
    return create_app(
        runtime,
        title="MPP Digital — Audit",
        description="Tamper-evident event log, verification and replay.",
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.audit_port)
