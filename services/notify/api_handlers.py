"""What notify's HTTP API does for a citizen, one plain function per request.

The routes of :mod:`services.notify.api` and :mod:`services.notify.devices_api` build a
command (the verified citizen, and what they ask) and hand it here with the store it
reads or writes — so a unit test can hand fakes. A refusal is a
:class:`~shared.errors.Rejected` subclass, answered as a problem by
:mod:`services.notify.refusals`; a notice, survey or device of another citizen is
refused as if it did not exist.
"""

from dataclasses import dataclass
from typing import Any

from services.notify.device_models import FcmDevice, WebPushDevice
from services.notify.devices import DeviceStore, public_device
from services.notify.inbox import InboxStore, public_view
from services.notify.refusals import (
    NativePushOff,
    NoSuchDevice,
    NoSuchNotice,
    UnusableSubscription,
)
from services.notify.skm import ELEMENTS
from services.notify.surveys import SurveyStore
from services.notify.webpush import UnsafeEndpoint, VapidKey, check_endpoint
from shared.events import utcnow

__all__ = [
    "AnswerSurvey",
    "ListNotices",
    "MarkRead",
    "PushConfig",
    "RegisterDevice",
    "Registered",
    "ShowSurvey",
    "answer_survey",
    "list_devices",
    "list_notices",
    "mark_read",
    "push_settings",
    "register_device",
    "survey_form",
    "unregister_device",
]


@dataclass(frozen=True)
class PushConfig:
    """How devices subscribe: the VAPID key browsers subscribe with, whether native app
    push (FCM) is on, and whether Web Push endpoints on private networks are accepted
    (local development only)."""

    vapid: VapidKey
    fcm_enabled: bool
    allow_private_endpoints: bool


@dataclass(frozen=True)
class ListNotices:
    citizen_id: str
    page: int
    page_size: int


@dataclass(frozen=True)
class MarkRead:
    citizen_id: str
    notice_id: str


@dataclass(frozen=True)
class ShowSurvey:
    citizen_id: str | None
    """None: the caller holds the survey link's token for this application."""
    application_id: str


@dataclass(frozen=True)
class AnswerSurvey:
    citizen_id: str | None
    application_id: str
    scores: list[int]


@dataclass(frozen=True)
class RegisterDevice:
    citizen_id: str
    device: WebPushDevice | FcmDevice


@dataclass(frozen=True)
class Registered:
    """The device as the citizen sees it; ``created`` is false for one known before."""

    device: dict[str, Any]
    created: bool


async def list_notices(query: ListNotices, inbox: InboxStore) -> dict[str, Any]:
    """The citizen's notices, newest first, a page at a time."""
    notices, total, unread = await inbox.page(query.citizen_id, query.page, query.page_size)
    return {
        "items": [public_view(notice) for notice in notices],
        "page": query.page,
        "page_size": query.page_size,
        "total": total,
        "unread": unread,
    }


async def mark_read(command: MarkRead, inbox: InboxStore) -> dict[str, Any]:
    """One notice read (reading it again keeps the first time)."""
    notice = await inbox.mark_read(command.citizen_id, command.notice_id, utcnow())
    if notice is None:
        raise NoSuchNotice(command.notice_id)
    return public_view(notice)


async def survey_form(query: ShowSurvey, surveys: SurveyStore) -> dict[str, Any]:
    """The survey's questions and whether it was answered."""
    survey = await surveys.invitation(query.application_id, query.citizen_id)  # or NotInvited
    return {
        "application_id": query.application_id,
        "tracking_number": survey.get("tracking_number"),
        "answered": survey["answered"],
        "scale": {"1": "Tidak baik / Poor", "4": "Sangat baik / Very good"},
        "elements": [{"code": c, "id": i, "en": e} for c, i, e in ELEMENTS],
    }


async def answer_survey(command: AnswerSurvey, surveys: SurveyStore) -> dict[str, Any]:
    """The citizen's rating of a completed application (one answer per application)."""
    # NotInvited, or AlreadyAnswered the second time.
    data = await surveys.answer(command.application_id, command.citizen_id, command.scores)
    return {"application_id": command.application_id, "scores": data.scores}


def push_settings(push: PushConfig) -> dict[str, Any]:
    """What an app or browser needs to subscribe (public)."""
    return {
        "webpush": {"vapid_public_key": push.vapid.public_key},
        "fcm": {"enabled": push.fcm_enabled},
    }


async def register_device(
    command: RegisterDevice, devices: DeviceStore, push: PushConfig
) -> Registered:
    """A browser's Web Push subscription (its endpoint must be reachable safely) or an
    app's FCM token (when FCM is on); the same one again is the device known before."""
    device = command.device
    if isinstance(device, WebPushDevice):
        subscription = device.subscription
        try:
            await check_endpoint(subscription.endpoint, allow_private=push.allow_private_endpoints)
        except UnsafeEndpoint as exc:
            raise UnusableSubscription(str(exc)) from None
        address = subscription.endpoint
        target: dict[str, Any] = {"subscription": subscription.model_dump()}
    else:
        if not push.fcm_enabled:
            raise NativePushOff(device.kind)
        address, target = device.token, {"token": device.token}
    stored, created = await devices.register(
        command.citizen_id, device.kind, address, target, device.name, utcnow()
    )
    return Registered(public_device(stored), created)


async def list_devices(citizen_id: str, devices: DeviceStore) -> dict[str, Any]:
    """The citizen's devices, newest first (never their subscriptions or tokens)."""
    return {"items": [public_device(d) for d in await devices.of(citizen_id)]}


async def unregister_device(citizen_id: str, device_id: str, devices: DeviceStore) -> None:
    """No more pushes to one of the citizen's devices."""
    if not await devices.remove(citizen_id, device_id):
        raise NoSuchDevice(device_id)
