"""Notify's composition root."""

from fastapi import FastAPI

from services.notify.inbox import InApp
from shared.consuming import EventProcessor
from shared.events import StatusChanged
from shared.kafka import subscribe_batch
from shared.outbox import Outbox
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("notify", settings)
    outbox = Outbox(
        runtime.db,
        runtime.broker,
        poll_seconds=settings.outbox_poll_seconds,
        on_publish_failure=runtime.provision,
    )
    in_app = InApp(mongo=runtime.mongo, db=runtime.db, outbox=outbox, topics=runtime.topics)

    async def create_indexes() -> None:
        await outbox.create_indexes()
        await in_app.create_indexes()

    runtime.on_start.append(create_indexes)
    runtime.background.append(outbox.run)
    runtime.on_stop.append(outbox.stop)
    group = runtime.groups.notify_status
    subscribe_batch(
        runtime.broker,
        [runtime.topics.status],
        group_id=group,
        handler=EventProcessor(
            service="notify",
            broker=runtime.broker,
            settings=settings,
            group_id=group,
            handle=in_app.notify,
            accepts=(StatusChanged,),
        ),
        title="notify.status",
        description="One notice per status change and channel.",
    )
    return create_app(
        runtime,
        title="MPP Digital — Notify",
        description="Notices to citizens on every status change.",
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.notify_port)
