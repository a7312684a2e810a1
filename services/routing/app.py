"""Routing's composition root."""

from fastapi import APIRouter, FastAPI

from services.routing.agency_api import agency_router
from services.routing.agency_applications import AgencyApplications
from services.routing.applications import ApplicationRepository
from services.routing.backfill import Backfill
from services.routing.contract import agency_contract
from services.routing.dashboard_counts import DashboardCounts
from services.routing.handlers import change_handlers, submission_handlers
from services.routing.keys import ApiKeys
from services.routing.parts import RoutingParts, RoutingUnits
from services.routing.results import ResultStore
from services.routing.retention import create_retention_indexes, retention_sweeps
from services.routing.seen import SeenEvents
from services.routing.sla import SlaClock
from services.routing.staff_access import AgencyStaff
from services.routing.verification import verification_router
from services.routing.webhooks import WebhookDeliveries
from shared.retention import check_dedupe_window
from shared.retention_sweep import RetentionSweeper, attach
from shared.runtime import Runtime, build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("routing", settings)
    topics, groups = runtime.topics, runtime.groups
    kafka_agencies = runtime.catalogue.kafka_agencies()
    _declare_publishers(runtime, kafka_agencies)
    # Routing's units of work, for the message bus and the routes alike.
    units = runtime.units = RoutingUnits(runtime.mongo)
    runtime.outbox()  # the units of work stage their events in it
    applications = ApplicationRepository(runtime.db)
    deliveries = WebhookDeliveries(
        settings=settings, catalogue=runtime.catalogue, units=units, db=runtime.db, topics=topics
    )
    results = ResultStore(runtime.db, settings.intake_document_limit_bytes, runtime.personal)
    seen = SeenEvents(runtime.db, settings.dedupe_retention_days)
    counts = DashboardCounts(runtime.db)
    units.parts = parts = RoutingParts(
        catalogue=runtime.catalogue,
        topics=topics,
        applications=applications,
        seen=seen,
        counts=counts,
        group_id=groups.routing_submissions,
        deliveries=deliveries,
        results=results,
    )
    clock = SlaClock(
        settings=settings,
        catalogue=runtime.catalogue,
        units=units,
        applications=applications,
        topics=topics,
        counts=counts,
        breaches=runtime.metrics.counter(
            "mpp_sla_breaches_total",
            "Applications escalated for passing their SLA due date, by agency.",
            ["agency"],
        ),
    )
    backfill = Backfill(units, runtime.db, seen, counts)
    for component in (applications, deliveries, clock, results, seen, counts):
        runtime.on_start.append(component.create_indexes)
    keys = ApiKeys(runtime.db)
    runtime.on_start.append(keys.create_indexes)
    retention = _retention(runtime, kafka_agencies)
    runtime.background += [deliveries.run, clock.run, backfill.run]
    runtime.on_stop += [deliveries.stop, clock.stop, backfill.stop]
    _consume(runtime, kafka_agencies)
    document = agency_contract(runtime.broker, runtime.catalogue, settings.namespace)
    app = create_app(
        runtime,
        title="MPP Digital — Routing",
        description="Dispatch to agencies, status workflow, SLA clock, and the agency API.",
        routers=[
            agency_router,
            verification_router,
            _contract_router(document),
        ],
    )
    app.state.deliveries = deliveries
    app.state.sla_clock = clock
    app.state.dashboard_counts = counts
    app.state.backfill = backfill
    app.state.parts = parts
    app.state.api_keys = keys  # the agency API's callers (services/routing/deps.py)
    app.state.agency_staff = AgencyStaff(settings, runtime.db)
    app.state.agency_applications = AgencyApplications(applications, runtime.db)
    app.state.applications = applications
    app.state.result_store = results
    app.state.agency_contract = document
    app.state.retention = retention
    from services.routing.web import mount_web  # the agency workbench, on the same app

    mount_web(app, settings)
    return app


def _retention(runtime: Runtime, kafka_agencies: list[str]) -> RetentionSweeper:
    """Routing's retention sweeps and their indexes, and a warning (in the background, not
    a condition to start) when the dedupe window is shorter than the topics' retention."""
    topics = runtime.topics
    consumed = [
        topics.submitted,
        topics.citizen_actions,
        *(topics.agency_updates(agency) for agency in kafka_agencies),
    ]

    async def create_indexes_for_retention() -> None:
        await create_retention_indexes(runtime.db)

    async def check_retention() -> None:
        await check_dedupe_window(runtime.settings, consumed)

    runtime.on_start.append(create_indexes_for_retention)
    retention = attach(runtime, retention_sweeps(runtime.db))
    runtime.background.append(check_retention)
    return retention


def _contract_router(document: dict) -> APIRouter:
    contract = APIRouter(tags=["contract"])

    @contract.get("/asyncapi.json")
    async def asyncapi() -> dict:
        """The Kafka contract with agencies (AsyncAPI 3.0)."""
        return document

    return contract


def _declare_publishers(runtime: Runtime, kafka_agencies: list[str]) -> None:
    """What routing writes (its AsyncAPI document, and the only topics its outbox takes)."""
    topics = runtime.topics
    runtime.declare_publisher([topics.status], "Every status change, keyed by application id.")
    runtime.declare_publisher(
        [topics.agency_inbox(agency) for agency in kafka_agencies],
        "Applications dispatched to the agency, then the citizen's answers and cancellation "
        "(application.dispatched, application.answer_forwarded, "
        "application.cancellation_forwarded).",
    )
    runtime.declare_publisher(
        [topics.documents], "Result documents issued and revoked (the public register)."
    )
    runtime.declare_publisher(
        [topics.operations],
        "Operators' re-routes and webhook redeliveries (staged by `mpp` in routing's outbox).",
    )
    runtime.declare_publisher([topics.access], "Reads of an application by agency officers.")
    runtime.declare_publisher(
        [topics.escalations], "SLA breaches and failed webhook deliveries, for supervisors."
    )


def _consume(runtime: Runtime, kafka_agencies: list[str]) -> None:
    """Routing's two subscriptions: submitted applications, and changes asked from outside
    (one subscriber for all of them: one consumer-group join)."""
    topics, groups = runtime.topics, runtime.groups
    runtime.consume(
        [topics.submitted],
        group=groups.routing_submissions,
        handlers=submission_handlers(),
        description="Routes each submitted application to its agency (a poll at a time).",
    )
    runtime.consume(
        [*(topics.agency_updates(agency) for agency in kafka_agencies), topics.citizen_actions],
        group=groups.routing_agency_updates,
        handlers=change_handlers(),
        description="Status reports from agency systems; citizens' cancellations and answers.",
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.routing_port)
