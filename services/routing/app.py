"""Routing's composition root: its parts (:mod:`services.routing.composition`), what runs
with the service, its three subscriptions, and its routes and pages."""

from fastapi import APIRouter, FastAPI

from services.routing.agency_api import agency_router
from services.routing.catalogue_api import catalogue_admin_router
from services.routing.complaints.api import agency_complaints_router, citizen_complaints_router
from services.routing.complaints.building_api import building_complaints_router
from services.routing.composition import RoutingParts, build_parts
from services.routing.contract import agency_contract
from services.routing.handlers import (
    change_handlers,
    complaint_handlers,
    staff_handlers,
    submission_handlers,
)
from services.routing.payments.api import payments_router
from services.routing.payments.findings_api import findings_router
from services.routing.payments.reconciliation import Reconciler
from services.routing.payments.reconciliation_api import reconciliation_router
from services.routing.payments.refunds import RefundStore
from services.routing.payments.refunds_api import refunds_router
from services.routing.payments.snap_api import snap_router
from services.routing.payments.totals import PaymentTotals
from services.routing.payments.va_api import va_router
from services.routing.queue_times import QueueTimes, queue_handlers
from services.routing.retention import create_retention_indexes
from services.routing.verification import verification_router
from shared.catalogue import Catalogue
from shared.retention import check_dedupe_window
from shared.runtime import Runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings, catalogue: Catalogue | None = None) -> FastAPI:
    parts = build_parts(settings, catalogue)
    runtime = parts.runtime
    _run_with_the_service(parts)
    _consume(runtime, runtime.catalogue.kafka_inboxes())
    document = agency_contract(runtime.broker, runtime.catalogue, settings.namespace)
    app = create_app(
        runtime,
        title="MPP Digital — Routing",
        description="Dispatch to agencies, status workflow, SLA clock, and the agency API.",
        routers=[
            agency_router,
            agency_complaints_router,
            citizen_complaints_router,
            building_complaints_router,
            verification_router,
            catalogue_admin_router,
            payments_router,
            reconciliation_router,
            findings_router,
            snap_router,
            va_router,
            refunds_router,
            _contract_router(document),
        ],
    )
    app.state.parts = parts  # what the routes take (services/routing/deps.py)
    app.state.agency_contract = document
    from services.routing.web import mount_web  # the agency workbench, on the same app

    mount_web(app, settings)
    return app


def _run_with_the_service(parts: RoutingParts) -> None:
    """What starts and stops with the service: each store's indexes, the webhook sender,
    the SLA clock and the back-fill loops, and a warning (in the background, not a
    condition to start) when the dedupe window is shorter than the topics' retention."""
    runtime = parts.runtime
    stores = (parts.applications, parts.deliveries, parts.clock, parts.results, parts.seen)
    stores += (parts.complaints,)
    indexed = (*stores, parts.counts, parts.keys, parts.catalogue_versions)
    runtime.on_start += [store.create_indexes for store in indexed]
    topics = runtime.topics
    consumed = [
        topics.submitted,
        topics.citizen_actions,
        *(topics.agency_updates(agency) for agency in runtime.catalogue.kafka_inboxes()),
    ]

    async def create_indexes_for_retention() -> None:
        await create_retention_indexes(runtime.db)

    async def check_retention() -> None:
        await check_dedupe_window(runtime.settings, consumed)

    runtime.on_start.append(create_indexes_for_retention)
    runtime.on_start.append(QueueTimes(runtime.db).create_indexes)
    loops: tuple = (
        parts.deliveries,
        parts.clock,
        parts.backfill,
        parts.complaint_clock,
        parts.lapor,
    )
    if parts.bills is not None and parts.bill_sweep is not None:
        runtime.on_start.append(parts.bills.create_indexes)
        runtime.on_start.append(Reconciler(runtime.db).create_indexes)
        runtime.on_start.append(RefundStore(runtime.db).create_indexes)
        runtime.on_start.append(PaymentTotals(runtime.db).create_indexes)
        if parts.snap_sessions is not None:
            runtime.on_start.append(parts.snap_sessions.create_indexes)
        loops += (parts.bill_sweep,)
    runtime.background += [*(loop.run for loop in loops), check_retention]
    runtime.on_stop += [loop.stop for loop in loops]


def _contract_router(document: dict) -> APIRouter:
    contract = APIRouter(tags=["contract"])

    @contract.get("/asyncapi.json")
    async def asyncapi() -> dict:
        """The Kafka contract with agencies (AsyncAPI 3.0)."""
        return document

    return contract


def _consume(runtime: Runtime, kafka_inboxes: list[str]) -> None:
    """Routing's four subscriptions: submitted applications, changes asked from outside
    (one subscriber for all of them: one consumer-group join), the MPP queue's steps,
    and staff revocations."""
    topics, groups = runtime.topics, runtime.groups
    runtime.consume(
        [topics.submitted],
        group=groups.routing_submissions,
        handlers=submission_handlers(),
        description="Routes each submitted application to its agency (a poll at a time).",
    )
    runtime.consume(
        [*(topics.agency_updates(agency) for agency in kafka_inboxes), topics.citizen_actions],
        group=groups.routing_agency_updates,
        handlers={**change_handlers(), **complaint_handlers()},
        description="Status reports from agency systems; citizens' cancellations, answers "
        "and complaints.",
    )
    runtime.consume(
        [topics.queue],
        group=groups.routing_queue,
        handlers=queue_handlers(runtime.db),
        description="The MPP queue's ticket steps: waiting and service times for the "
        "public dashboard.",
    )
    runtime.consume(
        [topics.staff],
        group=groups.routing_staff,
        handlers=staff_handlers(),
        description="Staff accounts identity disabled or gave a new password: their "
        "earlier tokens are refused from now on.",
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.routing_port)
