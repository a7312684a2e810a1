"""Notify's device API: a citizen's app or browser registers for push, lists, removes.

Like the inbox, every route takes the citizen from their verified access token; a device
of another citizen answers 404, as if it did not exist. ``push-config`` is public: it is
what a browser needs to subscribe (the VAPID public key, RFC 8292) and whether native
app push (FCM) is on.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.notify.api import citizen_dependency
from services.notify.devices import DeviceStore, public_device
from services.notify.webpush import UnsafeEndpoint, VapidKey, check_endpoint, check_keys
from shared.events import utcnow
from shared.problems import Problem
from shared.settings import Settings

__all__ = ["build_devices_router"]


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(max_length=200, description="The browser's P-256 key (base64url).")
    auth: str = Field(max_length=50, description="The 16-byte auth secret (base64url).")


class Subscription(BaseModel):
    """A browser's ``PushSubscription.toJSON()``."""

    model_config = ConfigDict(extra="ignore")  # expirationTime and whatever comes next

    endpoint: str = Field(max_length=2048)
    keys: SubscriptionKeys

    @model_validator(mode="after")
    def _keys_fit(self) -> "Subscription":
        check_keys(self.keys.p256dh, self.keys.auth)
        return self


class WebPushDevice(BaseModel):
    kind: Literal["webpush"]
    subscription: Subscription
    name: str | None = Field(None, max_length=100, description="e.g. Firefox on the laptop")


class FcmDevice(BaseModel):
    kind: Literal["fcm"]
    token: str = Field(min_length=1, max_length=4096, description="The FCM registration token.")
    name: str | None = Field(None, max_length=100, description="e.g. Pixel 8")

    @field_validator("token")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable() or " " in value:
            raise ValueError("not an FCM registration token")
        return value


NewDevice = Annotated[WebPushDevice | FcmDevice, Field(discriminator="kind")]


def build_devices_router(
    settings: Settings, devices: DeviceStore, vapid: VapidKey, fcm_enabled: bool
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
    Citizen = citizen_dependency(settings)

    @router.get("/push-config")
    async def get_push_config() -> dict[str, Any]:
        """What an app or browser needs to subscribe (public)."""
        return {
            "webpush": {"vapid_public_key": vapid.public_key},
            "fcm": {"enabled": fcm_enabled},
        }

    @router.post("", status_code=201)
    async def register_device(device: NewDevice, citizen_id: Citizen, response: Response) -> Any:
        """Register this browser or app for push notices (201; the same one again: 200)."""
        if isinstance(device, WebPushDevice):
            subscription = device.subscription
            try:
                await check_endpoint(
                    subscription.endpoint, allow_private=settings.push_allow_private_endpoints
                )
            except UnsafeEndpoint as exc:
                raise Problem(
                    422, "Langganan tidak dapat dipakai / Unusable subscription", str(exc)
                ) from None
            address = subscription.endpoint
            target: dict[str, Any] = {"subscription": subscription.model_dump()}
        else:
            if not fcm_enabled:
                raise Problem(
                    422,
                    "Push aplikasi tidak aktif / Native app push is off",
                    "This platform does not send through FCM; use Web Push "
                    "(GET /api/v1/devices/push-config).",
                )
            address, target = device.token, {"token": device.token}
        stored, created = await devices.register(
            citizen_id, device.kind, address, target, device.name, utcnow()
        )
        if not created:
            response.status_code = 200
        return public_device(stored)

    @router.get("")
    async def list_my_devices(citizen_id: Citizen) -> dict[str, Any]:
        """The caller's devices, newest first (never their subscriptions or tokens)."""
        return {"items": [public_device(d) for d in await devices.of(citizen_id)]}

    @router.delete("/{device_id}", status_code=204)
    async def unregister_device(device_id: str, citizen_id: Citizen) -> Response:
        """Stop pushing to one of the caller's devices."""
        if not await devices.remove(citizen_id, device_id):
            raise Problem(
                404,
                "Tidak ditemukan / Not found",
                f"You have no device {device_id}. List yours at GET /api/v1/devices.",
            )
        return Response(status_code=204)

    return router
