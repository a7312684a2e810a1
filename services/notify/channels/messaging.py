"""The messaging provider behind SMS and WhatsApp: ``POST {base}/v1/messages``.

One HTTP API for both channels, told which one by the ``channel`` field; the delivery
id travels as ``reference``. 400/404/410/422 (a number that is not on WhatsApp) are
permanent; 429, 5xx, timeouts and connection errors are worth another try.
"""

from dataclasses import dataclass

import httpx

from services.notify.channels.base import MessagingProvider, Outcome, Outlets, Sender
from services.notify.templates import Rendered
from shared.channels import Channel
from shared.settings import Settings

__all__ = ["MessagingSender", "TextMessages", "text_messages"]

_PERMANENT_HTTP = frozenset({400, 404, 410, 422})


class MessagingSender:
    """The provider adapter: ``POST {base}/v1/messages`` with a bearer token and JSON
    ``{"channel", "to", "body", "reference"}``."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self._url = settings.messaging_provider_url.rstrip("/") + "/v1/messages"
        self._token = settings.messaging_provider_token.get_secret_value()
        self._client = client or httpx.AsyncClient(timeout=settings.notify_send_timeout_seconds)

    async def send(self, channel: str, to: str, body: str, reference: str) -> Outcome:
        try:
            response = await self._client.post(
                self._url,
                json={"channel": channel, "to": to, "body": body, "reference": reference},
                headers={"Authorization": f"Bearer {self._token}"},
            )
        except httpx.HTTPError as exc:
            return Outcome("temporary-failure", f"provider unreachable: {type(exc).__name__}")
        if response.is_success:
            return Outcome("delivered")
        status = response.status_code
        if status in _PERMANENT_HTTP:
            return Outcome("permanent-failure", f"provider answered {status}")
        return Outcome("temporary-failure", f"provider answered {status}")

    async def close(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class TextMessages:
    """A text channel of the provider (SMS, WhatsApp): the notice's plain text."""

    provider: MessagingProvider
    channel: str

    async def send(self, address: str, rendered: Rendered, reference: str) -> Outcome:
        return await self.provider.send(self.channel, address, rendered.text, reference)


def text_messages(outlets: Outlets, channel: Channel) -> Sender:
    """The sender of a text channel of the provider (the plug-ins' factory)."""
    return TextMessages(outlets.messaging, channel.name)
