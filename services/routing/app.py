"""Routing's composition root."""

from fastapi import FastAPI

from services.routing.dispatch import Router
from shared.consuming import EventProcessor
from shared.events import AgencyStatusReported, ApplicationSubmitted
from shared.kafka import subscribe_batch
from shared.outbox import Outbox
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("routing", settings)
    outbox = Outbox(
        runtime.db,
        runtime.broker,
        poll_seconds=settings.outbox_poll_seconds,
        on_publish_failure=runtime.provision,
    )
    groups, topics = runtime.groups, runtime.topics
    router = Router(
        catalogue=runtime.catalogue,
        mongo=runtime.mongo,
        db=runtime.db,
        outbox=outbox,
        topics=topics,
        group_id=groups.routing_submissions,
    )

    async def create_indexes() -> None:
        await outbox.create_indexes()
        await router.create_indexes()

    runtime.on_start.append(create_indexes)
    runtime.background.append(outbox.run)
    runtime.on_stop.append(outbox.stop)

    def processor(group_id: str, handle: object, accepts: tuple[type, ...]) -> EventProcessor:
        return EventProcessor(
            service="routing",
            broker=runtime.broker,
            settings=settings,
            group_id=group_id,
            handle=handle,  # type: ignore[arg-type]
            accepts=accepts,
        )

    subscribe_batch(
        runtime.broker,
        [topics.submitted],
        group_id=groups.routing_submissions,
        handler=processor(groups.routing_submissions, router.route, (ApplicationSubmitted,)),
        title="routing.submissions",
        description="Routes each submitted application.",
    )
    subscribe_batch(
        runtime.broker,
        [topics.agency_updates(agency) for agency in runtime.catalogue.kafka_agencies()],
        group_id=groups.routing_agency_updates,
        handler=processor(
            groups.routing_agency_updates, router.apply_agency_report, (AgencyStatusReported,)
        ),
        title="routing.agency-updates",
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
