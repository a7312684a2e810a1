"""Notify's device API: a citizen's app or browser registers for push, lists, removes.

Like the inbox, every route takes the citizen from their verified access token; a device
of another citizen answers 404, as if it did not exist. ``push-config`` is public: it is
what a browser needs to subscribe (the VAPID public key, RFC 8292) and whether native
app push (FCM) is on.

Each route hands its command to :mod:`services.notify.api_handlers`; the bodies are in
:mod:`services.notify.device_models`, and what a route needs comes from
:mod:`services.notify.deps`.
"""

from typing import Any

from fastapi import APIRouter, Response

from services.notify import api_handlers as handle
from services.notify.api_handlers import RegisterDevice
from services.notify.deps import Citizen, Devices, Push
from services.notify.device_models import NewDevice

__all__ = ["devices_router"]

devices_router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


@devices_router.get("/push-config")
async def get_push_config(push: Push) -> dict[str, Any]:
    """What an app or browser needs to subscribe (public)."""
    return handle.push_settings(push)


@devices_router.post("", status_code=201)
async def register_device(
    device: NewDevice, citizen_id: Citizen, response: Response, devices: Devices, push: Push
) -> Any:
    """Register this browser or app for push notices (201; the same one again: 200)."""
    registered = await handle.register_device(RegisterDevice(citizen_id, device), devices, push)
    if not registered.created:
        response.status_code = 200
    return registered.device


@devices_router.get("")
async def list_my_devices(citizen_id: Citizen, devices: Devices) -> dict[str, Any]:
    """The caller's devices, newest first (never their subscriptions or tokens)."""
    return await handle.list_devices(citizen_id, devices)


@devices_router.delete("/{device_id}", status_code=204)
async def unregister_device(device_id: str, citizen_id: Citizen, devices: Devices) -> Response:
    """Stop pushing to one of the caller's devices."""
    await handle.unregister_device(citizen_id, device_id, devices)
    return Response(status_code=204)
