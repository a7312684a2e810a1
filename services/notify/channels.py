"""The outside channels: email over SMTP, SMS and WhatsApp through an HTTP provider.

Each sender makes one attempt and says how it went, in the terms of GOV.UK Notify:

* ``delivered`` — the SMTP server or the provider accepted the message;
* ``temporary-failure`` — worth trying again later (4xx SMTP replies, provider 429/5xx,
  timeouts, connection errors, a refused provider token);
* ``permanent-failure`` — trying again cannot help (5xx SMTP replies such as an unknown
  mailbox, provider 400/404/410/422 such as a number that is not on WhatsApp).

Every attempt carries a stable reference (the delivery id) — the email's Message-ID,
the provider's ``reference`` — so a send repeated after a crash can be recognised as the
same message by the receiving side. Reasons never contain the address.
"""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

import aiosmtplib
import httpx

from services.notify.templates import Rendered
from shared.settings import Settings

__all__ = ["EmailSender", "MessagingSender", "Outcome"]

_PERMANENT_HTTP = frozenset({400, 404, 410, 422})


@dataclass(frozen=True)
class Outcome:
    status: Literal["delivered", "temporary-failure", "permanent-failure", "technical-failure"]
    reason: str | None = None


def _smtp_outcome(code: int, what: str) -> Outcome:
    if 500 <= code < 600:
        return Outcome("permanent-failure", f"SMTP {code} on {what}")
    return Outcome("temporary-failure", f"SMTP {code} on {what}")


class EmailSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._domain = settings.smtp_sender.rsplit("@", 1)[-1].rstrip(">").strip() or "mpp.local"

    def message(self, to: str, rendered: Rendered, reference: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.smtp_sender
        message["To"] = to
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{reference.replace(':', '.')}@{self._domain}>"
        message["X-MPP-Template"] = f"{rendered.template}@{rendered.version}"
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        message["Content-Language"] = rendered.language  # after: parts take Content-* headers
        return message

    async def send(self, to: str, rendered: Rendered, reference: str) -> Outcome:
        settings = self._settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                self.message(to, rendered, reference),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                use_tls=settings.smtp_tls == "tls",
                start_tls=settings.smtp_tls == "starttls",
                username=settings.smtp_username,
                password=password,
                timeout=settings.notify_send_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            return _smtp_outcome(refused.code if refused else 550, "RCPT")
        except aiosmtplib.SMTPResponseException as exc:
            return _smtp_outcome(exc.code, "send")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return Outcome("temporary-failure", f"SMTP unreachable: {type(exc).__name__}")
        return Outcome("delivered")


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
