"""Routing's composition root."""

from fastapi import FastAPI

from services.routing.dispatch import Router
from shared.events import AgencyStatusReported, ApplicationSubmitted
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("routing", settings)
    topics, groups = runtime.topics, runtime.groups
    kafka_agencies = runtime.catalogue.kafka_agencies()
    runtime.declare_publisher([topics.status], "Every status change, keyed by application id.")
    runtime.declare_publisher(
        [topics.agency_inbox(agency) for agency in kafka_agencies],
        "Applications dispatched to the agency (contract: application.dispatched).",
    )
    router = Router(
        catalogue=runtime.catalogue,
        mongo=runtime.mongo,
        db=runtime.db,
        outbox=runtime.outbox(),
        topics=topics,
        group_id=groups.routing_submissions,
    )
    runtime.on_start.append(router.create_indexes)
    runtime.consume_events(
        [topics.submitted],
        group_id=groups.routing_submissions,
        handle=router.route,
        accepts=(ApplicationSubmitted,),
        description="Routes each submitted application to its agency.",
    )
    runtime.consume_events(
        [topics.agency_updates(agency) for agency in kafka_agencies],
        group_id=groups.routing_agency_updates,
        handle=router.apply_agency_report,
        accepts=(AgencyStatusReported,),
        description="Status reports from agency systems.",
    )
    return create_app(
        runtime,
        title="MPP Digital — Routing",
        description="Dispatch to agencies, status workflow, SLA clock.",
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.routing_port)
