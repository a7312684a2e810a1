"""What notify is made of, made once: :func:`build_parts`.

The app (:func:`services.notify.app.build`) and any ``mpp`` command about notify build
the same :class:`NotifyParts` from settings, so a store or sender is configured in one
place. Making the parts opens no connection: the database and broker clients connect
on first use, and the app's lifespan starts what runs in the background.
"""

from dataclasses import dataclass

import httpx

from services.notify.api_handlers import PushConfig
from services.notify.channels import Outlets
from services.notify.channels.email import EmailSender
from services.notify.channels.messaging import MessagingSender
from services.notify.codes import CodeSender
from services.notify.complaint_notices import ComplaintNotices
from services.notify.complaint_owners import ComplaintOwnerStore
from services.notify.deliveries import Dispatcher
from services.notify.fcm import fcm_sender
from services.notify.links import NoticeLinks
from services.notify.notices import Notices
from services.notify.push import DeviceSender, PushSender
from services.notify.queue_notices import QueueNotices
from services.notify.queue_reminders import ReminderStore
from services.notify.unit_of_work import NotifyStores, NotifyUnits
from services.notify.webpush import VapidKey, WebPushSender
from shared.queue_clock import QueueClock
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings

__all__ = ["NotifyParts", "build_parts"]


@dataclass(frozen=True)
class NotifyParts:
    """Every part notify is made of."""

    runtime: Runtime
    """Broker, database, topics, metrics, the outbox and its units of work."""
    units: NotifyUnits
    """Units of work naming notify's stores (``uow.notices`` …)."""
    stores: NotifyStores
    """The one writer of each collection."""
    notices: Notices
    """Makes the notices of status changes and escalations."""
    dispatcher: Dispatcher
    """Sends due deliveries on the outside channels."""
    codes: CodeSender
    """One-time codes and account notices, straight to an address."""
    push: PushConfig
    """How devices subscribe to push."""
    queue: QueueNotices
    """Bookings' reminders and the survey after a served ticket."""
    complaints: ComplaintNotices
    """Whose each complaint is, and the notices of its moves."""


def build_parts(settings: Settings) -> NotifyParts:
    runtime = build_runtime("notify", settings)
    units = NotifyUnits(runtime)
    runtime.units = units  # the message bus and the outbox use notify's units of work
    runtime.declare_publisher(
        [runtime.topics.notifications],
        "Delivery status of every notice, and citizens' SKM survey answers.",
    )
    runtime.outbox()  # the transactional outbox every unit of work stages its events in
    stores = units.stores
    vapid = VapidKey(settings)
    senders = _device_senders(settings, vapid)
    email, messaging = EmailSender(settings), MessagingSender(settings)
    push = PushSender(units.devices, senders)
    dispatcher = _dispatcher(runtime, stores, Outlets(settings, email, messaging, push=push))
    links = NoticeLinks.from_settings(settings)
    return NotifyParts(
        runtime=runtime,
        units=units,
        stores=stores,
        notices=Notices(topics=runtime.topics, wake_dispatcher=dispatcher.wake, links=links),
        dispatcher=dispatcher,
        codes=CodeSender(
            db=runtime.db,
            settings=settings,
            email=email,
            messaging=messaging,
            personal=runtime.personal,
        ),
        queue=QueueNotices(
            units=units,
            topics=runtime.topics,
            links=links,
            wake_dispatcher=dispatcher.wake,
            reminders=ReminderStore(runtime.db),
            clock=QueueClock(settings.queue_clock_file),
            poll_seconds=settings.queue_reminder_poll_seconds,
        ),
        complaints=ComplaintNotices(
            topics=runtime.topics,
            links=links,
            owners=ComplaintOwnerStore(runtime.db),
            wake_dispatcher=dispatcher.wake,
        ),
        push=PushConfig(
            vapid=vapid,
            fcm_enabled="fcm" in senders,
            allow_private_endpoints=settings.push_allow_private_endpoints,
        ),
    )


def _dispatcher(runtime: Runtime, stores: NotifyStores, outlets: Outlets) -> Dispatcher:
    return Dispatcher(
        units=runtime.units,
        db=runtime.db,
        topics=runtime.topics,
        settings=runtime.settings,
        contacts=stores.contacts,
        outlets=outlets,
        outcomes=runtime.metrics.counter(
            "mpp_notifications_total",
            "Notices to citizens and supervisors by channel and send status (sending, "
            "delivered, temporary-failure, permanent-failure, technical-failure).",
            ["channel", "status"],
        ),
        devices=stores.devices,
        deliveries=stores.deliveries,
    )


def _device_senders(settings: Settings, vapid: VapidKey) -> dict[str, DeviceSender]:
    """Web Push always; FCM when it is configured."""
    fcm_client = httpx.AsyncClient(timeout=settings.notify_send_timeout_seconds)
    senders: dict[str, DeviceSender] = {"webpush": WebPushSender(settings, vapid)}
    fcm = fcm_sender(settings, fcm_client)
    if fcm is not None:
        senders["fcm"] = fcm
    return senders
