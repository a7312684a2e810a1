"""Intake's composition root: the one place that wires settings, stores, broker and HTTP."""

from functools import partial

from fastapi import FastAPI

from services.intake.api import applications_router
from services.intake.tracking import apply_status_change
from shared.consuming import EventProcessor
from shared.events import StatusChanged
from shared.kafka import subscribe_batch
from shared.outbox import Outbox
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("intake", settings)
    outbox = Outbox(
        runtime.db,
        runtime.broker,
        poll_seconds=settings.outbox_poll_seconds,
        on_publish_failure=runtime.provision,
    )
    applications = runtime.db["applications"]

    async def create_indexes() -> None:
        await outbox.create_indexes()
        await applications.create_index("tracking_number", unique=True)

    runtime.on_start.append(create_indexes)
    runtime.background.append(outbox.run)
    runtime.on_stop.append(outbox.stop)

    subscribe_batch(
        runtime.broker,
        [runtime.topics.status],
        group_id=runtime.groups.intake_status,
        handler=EventProcessor(
            service="intake",
            broker=runtime.broker,
            settings=settings,
            group_id=runtime.groups.intake_status,
            handle=partial(apply_status_change, runtime.db),
            accepts=(StatusChanged,),
        ),
        title="intake.status",
        description="Builds the citizen's status timeline.",
    )
    return create_app(
        runtime,
        title="MPP Digital — Intake",
        description="Submissions from web and mobile; tracking.",
        routers=[applications_router(runtime, outbox)],
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.intake_port)
