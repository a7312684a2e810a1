"""The email channel: SMTP with ``aiosmtplib``, to the citizen's email address.

A text part and an autoescaped HTML part, ``Content-Language``, and the delivery id as a
stable ``Message-ID``. 5xx SMTP replies (an unknown mailbox) are permanent; 4xx
replies, timeouts and connection errors are worth another try.
"""

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from services.notify.channels.base import ChannelPlugin, Outcome, Outlets, Sender, email_address
from services.notify.templates import Rendered
from shared.channels import Channel, channel
from shared.settings import Settings

__all__ = ["PLUGIN", "EmailSender"]


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


def _sender(outlets: Outlets, served: Channel) -> Sender:
    return outlets.email


PLUGIN = ChannelPlugin(channel("email"), address=email_address, sender=_sender)
