"""What a citizen's app or browser sends to register for push (the device API's bodies).

A browser sends its ``PushSubscription.toJSON()`` (Web Push, RFC 8030/8291); a native
app its FCM registration token. Both are checked here for shape; whether a Web Push
endpoint may be reached is checked when it is registered
(:func:`services.notify.api_handlers.register_device`).
"""

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from services.notify.webpush import check_keys
from shared.privacy.plain_input import PlainInput

__all__ = ["FcmDevice", "NewDevice", "Subscription", "SubscriptionKeys", "WebPushDevice"]


class SubscriptionKeys(PlainInput):
    p256dh: str = Field(max_length=200, description="The browser's P-256 key (base64url).")
    auth: str = Field(max_length=50, description="The 16-byte auth secret (base64url).")


class Subscription(PlainInput):
    """A browser's ``PushSubscription.toJSON()``."""

    model_config = ConfigDict(extra="ignore")  # expirationTime and whatever comes next

    endpoint: str = Field(max_length=2048)
    keys: SubscriptionKeys

    @model_validator(mode="after")
    def _keys_fit(self) -> "Subscription":
        check_keys(self.keys.p256dh, self.keys.auth)
        return self


class WebPushDevice(PlainInput):
    kind: Literal["webpush"]
    subscription: Subscription
    name: str | None = Field(None, max_length=100, description="e.g. Firefox on the laptop")


class FcmDevice(PlainInput):
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
