"""Notify's composition root."""

from fastapi import FastAPI

from services.notify.inbox import InApp
from shared.events import StatusChanged
from shared.runtime import build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("notify", settings)
    runtime.declare_publisher(
        [runtime.topics.notifications], "Delivery status of every notice to a citizen."
    )
    in_app = InApp(
        mongo=runtime.mongo, db=runtime.db, outbox=runtime.outbox(), topics=runtime.topics
    )
    runtime.on_start.append(in_app.create_indexes)
    runtime.consume_events(
        [runtime.topics.status],
        group_id=runtime.groups.notify_status,
        handle=in_app.notify,
        accepts=(StatusChanged,),
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
