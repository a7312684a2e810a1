"""The push channel: one notice to every device a citizen registered.

A push delivery is like any other (``<application>:<sequence>:push``, the same statuses,
retries, rate limit and fallback); what differs is that its address is a set of devices
looked up at send time, each reached through the adapter of its kind — Web Push
(:mod:`services.notify.webpush`) or FCM (:mod:`services.notify.fcm`). Per device the
push service answers one of:

* ``accepted`` — it took the message (Web Push 201, FCM 200);
* ``gone`` — the subscription or token is dead (404/410, FCM ``UNREGISTERED``): the
  device is removed, so nothing is ever sent to it again;
* ``temporary`` — try again later (429, 5xx, timeouts, connection errors);
* ``permanent`` — this device cannot be reached this way (400, 401/403 on a VAPID or
  sender mismatch, 413); the device is kept.

The delivery is ``delivered`` when one device accepted (the citizen was told; a device
that failed for now is not retried, which would repeat the notice on the others); a
``temporary-failure`` when none accepted and one may later; otherwise — no device left,
or every one refused — a ``permanent-failure``, which moves the notice to the citizen's
next channel.

The payload is the notice as the citizen sees it in the inbox — title, text, language,
the inbox notice's id and the page it links to — and nothing else: no NIK, no name
beyond what the text says, nothing personal in any header.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import orjson
import structlog

from services.notify.channels.base import Outcome
from services.notify.devices import DeviceStore
from services.notify.templates import Rendered
from shared.events import utcnow

__all__ = ["MAX_PAYLOAD", "DeviceOutcome", "DeviceSender", "PushSender", "notice_payload"]

log = structlog.get_logger(__name__)

MAX_PAYLOAD = 3993
"""Bytes of plaintext one Web Push message carries: RFC 8291 promises 4096 octets of
body, less the aes128gcm header (86), the tag (16) and the padding delimiter (1)."""


@dataclass(frozen=True)
class DeviceOutcome:
    result: Literal["accepted", "gone", "temporary", "permanent"]
    reason: str | None = None


class DeviceSender(Protocol):
    async def send(self, device: Mapping[str, Any], notice: Mapping[str, str]) -> DeviceOutcome:
        """One attempt to push ``notice`` to ``device``."""
        ...


def notice_payload(rendered: Rendered, reference: str) -> dict[str, str]:
    """What a device shows: the notice's title and text in the citizen's language, and
    the id of the same notice in the inbox (so the app can open it and mark it read),
    and ``url``, the page it leads to (absolute: the application, or its survey), which
    a tap opens. The text is shortened to fit one push message; the inbox keeps it whole
    and the link stays whole."""
    notice = f"{reference.rsplit(':', 1)[0]}:in_app"
    payload = {
        "title": rendered.subject,
        "body": rendered.text,
        "lang": rendered.language,
        "notice": notice,
    }
    if rendered.link:
        payload["url"] = rendered.link
    text = rendered.text
    while len(encode_payload(payload)) > MAX_PAYLOAD and text:
        over = len(encode_payload(payload)) - MAX_PAYLOAD  # bytes; a character is one or more
        text = text[: max(len(text) - over - 3, 0)].rstrip()
        payload["body"] = text + "…"
    return payload


def encode_payload(payload: Mapping[str, str]) -> bytes:
    return orjson.dumps(payload)


class PushSender:
    """The push channel: every one of the citizen's devices, through its kind's sender."""

    def __init__(self, devices: DeviceStore, senders: Mapping[str, DeviceSender]) -> None:
        self._devices = devices
        self._senders = senders

    async def send(self, citizen_id: str, rendered: Rendered, reference: str) -> Outcome:
        devices = await self._devices.of(citizen_id)
        if not devices:
            return Outcome("permanent-failure", "no device registered")
        notice = notice_payload(rendered, reference)
        outcomes = await asyncio.gather(*(self._one(device, notice) for device in devices))
        accepted, temporary, refused = [], [], []
        for device, outcome in zip(devices, outcomes, strict=True):
            if outcome.result == "accepted":
                accepted.append(device["_id"])
            elif outcome.result == "gone":
                await self._devices.forget(device)
                log.info(
                    "push device gone, removed",
                    delivery=reference,
                    device=device["_id"],
                    kind=device["kind"],
                    reason=outcome.reason,
                )
            elif outcome.result == "temporary":
                temporary.append(outcome.reason)
            else:
                refused.append(outcome.reason)
                log.info(
                    "push device refused the notice",
                    delivery=reference,
                    device=device["_id"],
                    kind=device["kind"],
                    reason=outcome.reason,
                )
        if accepted:
            await self._devices.pushed(accepted, utcnow())
            return Outcome("delivered")
        if temporary:
            return Outcome("temporary-failure", temporary[0])
        gone = len(devices) - len(refused)
        return Outcome(
            "permanent-failure", f"no device took it: {gone} gone, {len(refused)} refused"
        )

    async def _one(self, device: Mapping[str, Any], notice: Mapping[str, str]) -> DeviceOutcome:
        sender = self._senders.get(device["kind"])
        if sender is None:
            return DeviceOutcome("permanent", f"{device['kind']} push is not configured")
        return await sender.send(device, notice)
