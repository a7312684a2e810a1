"""Notify's composition root: its parts (:mod:`services.notify.parts`), which handler
takes which event, its routes, and what runs while it is up."""

from fastapi import FastAPI

from services.notify.api import notify_router
from services.notify.devices_api import devices_router
from services.notify.handlers import handlers
from services.notify.parts import NotifyParts, build_parts
from services.notify.refusals import install_refusals
from services.notify.retention import create_retention_indexes, retention_sweeps
from shared.auth import TokenVerifier
from shared.retention_sweep import RetentionSweeper, attach
from shared.runtime import create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    parts = build_parts(settings)
    retention = _lifespan(parts)
    _consume(parts)
    app = create_app(
        parts.runtime,
        title="MPP Digital — Notify",
        description="Notices to citizens on every status change (inbox, email, SMS, WhatsApp, "
        "push); the SKM survey.",
        routers=[notify_router, devices_router],
    )
    install_refusals(app)
    app.state.tokens = TokenVerifier(settings)  # what the routes take (services/notify/deps.py)
    app.state.notify = parts
    app.state.retention = retention
    from services.notify.web import mount_web  # the citizen's inbox, on the same app

    mount_web(app, settings)
    return app


def _lifespan(parts: NotifyParts) -> RetentionSweeper:
    """What starts and stops with the service: indexes, the dispatcher, the code
    sender, and the retention sweeps (old survey answers separated first)."""
    runtime, stores = parts.runtime, parts.stores
    runtime.on_start += [stores.notices.create_indexes, parts.dispatcher.create_indexes]
    runtime.on_start += [stores.surveys.create_indexes, parts.codes.create_indexes]
    runtime.on_start += [parts.units.devices.create_indexes, parts.queue.reminders.create_indexes]
    runtime.on_start.append(parts.complaints.owners.create_indexes)

    async def create_indexes_for_retention() -> None:
        await create_retention_indexes(runtime.db)

    async def separate_old_survey_answers() -> None:
        await stores.surveys.separate_old_answers()

    runtime.on_start += [create_indexes_for_retention, separate_old_survey_answers]
    runtime.on_stop.append(parts.codes.stop)
    runtime.background += [parts.dispatcher.run, parts.queue.run]
    runtime.on_stop.append(parts.dispatcher.stop)
    return attach(runtime, retention_sweeps(runtime.db))


def _consume(parts: NotifyParts) -> None:
    # One subscriber (one group join) for the streams notify reads: each extra
    # subscriber costs a rebalance at start-up. Contacts and status changes are on
    # different topics, so a notice may use the preferences known when it is made.
    runtime = parts.runtime
    topics = runtime.topics
    runtime.consume(
        [
            topics.status,
            topics.accounts,
            topics.escalations,
            topics.queue,
            topics.citizen_actions,
            topics.complaints,
        ],
        group=runtime.groups.notify_status,
        handlers=handlers(parts.notices, parts.codes, parts.queue, parts.complaints),
        description="Status changes (one notice per change and channel, a poll's run "
        "of them per transaction), citizens' contacts, escalations for agencies' "
        "supervisors, the MPP's queue (bookings' reminders, the survey after service), and "
        "complaints (whose each is, from its filing; a notice when it is answered, "
        "escalated or closed).",
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.notify_port)
