"""Notify's composition root: which handler takes which event, and what runs."""

import httpx
from fastapi import FastAPI

from services.notify.api import notify_router
from services.notify.api_handlers import PushConfig
from services.notify.channels import Outlets
from services.notify.channels.email import EmailSender
from services.notify.channels.messaging import MessagingSender
from services.notify.codes import CodeSender
from services.notify.contacts import ContactsStore
from services.notify.deliveries import Dispatcher
from services.notify.devices import DeviceStore
from services.notify.devices_api import devices_router
from services.notify.fcm import fcm_sender
from services.notify.handlers import handlers as notify_handlers
from services.notify.inbox import InboxStore
from services.notify.links import NoticeLinks
from services.notify.notices import Notices
from services.notify.push import DeviceSender, PushSender
from services.notify.retention import create_retention_indexes, retention_sweeps
from services.notify.surveys import SurveyStore
from services.notify.webpush import VapidKey, WebPushSender
from shared.auth import TokenVerifier
from shared.messagebus import HandlerTable
from shared.retention_sweep import RetentionSweeper, attach
from shared.runtime import Runtime, build_runtime, create_app, serve
from shared.settings import Settings, get_settings

__all__ = ["build", "main"]


def build(settings: Settings) -> FastAPI:
    runtime = build_runtime("notify", settings)
    topics = runtime.topics
    runtime.declare_publisher(
        [topics.notifications],
        "Delivery status of every notice, and citizens' SKM survey answers.",
    )
    runtime.outbox()  # the transactional outbox every unit of work stages its events in
    contacts = ContactsStore(runtime.db, runtime.personal)
    inbox = InboxStore(runtime.db)
    messaging = MessagingSender(settings)
    devices = DeviceStore(runtime.db, settings.push_devices_per_citizen, runtime.personal)
    vapid = VapidKey(settings)
    senders = _device_senders(settings, vapid)
    email = EmailSender(settings)
    outlets = Outlets(settings, email, messaging, push=PushSender(devices, senders))
    dispatcher = Dispatcher(
        units=runtime.units,
        db=runtime.db,
        topics=topics,
        settings=settings,
        contacts=contacts,
        outlets=outlets,
        outcomes=runtime.metrics.counter(
            "mpp_notifications_total",
            "Notices to citizens and supervisors by channel and send status (sending, "
            "delivered, temporary-failure, permanent-failure, technical-failure).",
            ["channel", "status"],
        ),
        devices=devices,
    )
    codes = CodeSender(
        db=runtime.db,
        settings=settings,
        email=email,
        messaging=messaging,
        personal=runtime.personal,
    )
    secret = settings.survey_token_secret
    surveys = SurveyStore(units=runtime.units, db=runtime.db, topics=topics, secret=secret)
    notices = Notices(
        db=runtime.db,
        topics=topics,
        contacts=contacts,
        surveys=surveys,
        wake_dispatcher=dispatcher.wake,
        devices=devices,
        links=NoticeLinks.from_settings(settings),
    )
    runtime.on_start += [inbox.create_indexes, dispatcher.create_indexes, surveys.create_indexes]
    runtime.on_start += [codes.create_indexes, devices.create_indexes]
    retention = _retention(runtime, surveys)
    runtime.on_stop.append(codes.stop)
    runtime.background.append(dispatcher.run)
    runtime.on_stop.append(dispatcher.stop)
    _consume(runtime, notify_handlers(notices, contacts, codes, devices))
    app = create_app(
        runtime,
        title="MPP Digital — Notify",
        description="Notices to citizens on every status change (inbox, email, SMS, WhatsApp, "
        "push); the SKM survey.",
        routers=[notify_router, devices_router],
    )
    app.state.tokens = TokenVerifier(settings)  # what the routes take (services/notify/deps.py)
    app.state.inbox = inbox
    app.state.surveys = surveys
    app.state.devices = devices
    app.state.push_config = PushConfig(
        vapid=vapid,
        fcm_enabled="fcm" in senders,
        allow_private_endpoints=settings.push_allow_private_endpoints,
    )
    from services.notify.web import mount_web  # the citizen's inbox, on the same app

    app.state.retention = retention
    mount_web(app, settings)
    return app


def _device_senders(settings: Settings, vapid: VapidKey) -> dict[str, DeviceSender]:
    """Web Push always; FCM when it is configured."""
    fcm_client = httpx.AsyncClient(timeout=settings.notify_send_timeout_seconds)
    senders: dict[str, DeviceSender] = {"webpush": WebPushSender(settings, vapid)}
    fcm = fcm_sender(settings, fcm_client)
    if fcm is not None:
        senders["fcm"] = fcm
    return senders


def _retention(runtime: Runtime, surveys: SurveyStore) -> RetentionSweeper:
    """Notify's retention sweeps and their indexes; old survey answers separated first."""

    async def create_indexes_for_retention() -> None:
        await create_retention_indexes(runtime.db)

    async def separate_old_survey_answers() -> None:
        await surveys.separate_old_answers()

    runtime.on_start += [create_indexes_for_retention, separate_old_survey_answers]
    return attach(runtime, retention_sweeps(runtime.db))


def _consume(runtime: Runtime, handlers: HandlerTable) -> None:
    # One subscriber (one group join) for the three streams notify reads: each extra
    # subscriber costs a rebalance at start-up. Contacts and status changes are on
    # different topics, so a notice may use the preferences known when it is made.
    topics = runtime.topics
    runtime.consume(
        [topics.status, topics.accounts, topics.escalations],
        group=runtime.groups.notify_status,
        handlers=handlers,
        description="Status changes (one notice per change and channel, a poll's run "
        "of them per transaction), citizens' contacts, and escalations for agencies' "
        "supervisors.",
    )


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.notify_port)
