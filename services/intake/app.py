"""Intake's composition root: the one place that wires settings, stores, broker and HTTP."""

from functools import partial

from fastapi import FastAPI

from services.intake.api import applications_router
from services.intake.tracking import apply_status_change
from shared.events import StatusChanged
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("intake", settings)
    runtime.declare_publisher([runtime.topics.submitted], "Applications accepted by intake.")
    outbox = runtime.outbox()

    async def create_indexes() -> None:
        await runtime.db["applications"].create_index("tracking_number", unique=True)

    runtime.on_start.append(create_indexes)
    runtime.consume_events(
        [runtime.topics.status],
        group_id=runtime.groups.intake_status,
        handle=partial(apply_status_change, runtime.db),
        accepts=(StatusChanged,),
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
