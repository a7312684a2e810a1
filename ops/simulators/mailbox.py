"""A local mailbox: everything notify sends on the local stack arrives here, and a page
shows it (like MailHog).

Two doors, one store:

* an SMTP server (aiosmtpd) takes citizens' email: each recipient of a message becomes
  one entry, with its subject and its text/plain part;
* an HTTP app plays the SMS/WhatsApp provider notify's ``MessagingSender`` calls
  (``POST /v1/messages``, bearer token, JSON ``{"channel", "to", "body", "reference"}``,
  answered 202 ``{"id"}``).

``GET /`` shows what arrived, newest first; ``GET /api/messages?to=...`` gives the same as
JSON for tests and scripts (a phone number may be written ``+62...``, ``62...`` or
``08...``). Only the last :data:`KEEP` messages are kept, in memory: the mailbox is for
looking at, not for keeping.
"""

import email
import re
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from html import escape
from itertools import count
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from ops.simulators.bearer import bearer_required
from shared.problems import install_problem_handlers

__all__ = ["KEEP", "Mailbox", "Received", "SmtpHandler", "create_app", "smtp_server"]

KEEP = 500
_NOT_DIGITS = re.compile(r"\D")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def address_key(address: str) -> str:
    """One spelling per recipient: email case-insensitive; a phone as ``62...`` digits
    (a ``+`` in a query string arrives as a space)."""
    text = address.strip().lower()
    if "@" in text:
        return text
    digits = _NOT_DIGITS.sub("", text)
    return "62" + digits[1:] if digits.startswith("0") else digits


@dataclass(frozen=True)
class Received:
    kind: Literal["email", "sms", "whatsapp"]
    to: str
    body: str
    subject: str | None = None
    reference: str | None = None
    received_at: str = field(default_factory=_now)


class Mailbox:
    """The last :data:`KEEP` messages, oldest dropped first."""

    def __init__(self, keep: int = KEEP) -> None:
        self._messages: deque[Received] = deque(maxlen=keep)
        self._ids = count(1)

    def add(self, message: Received) -> str:
        self._messages.append(message)
        return f"local-{next(self._ids)}"

    def newest_first(self, to: str | None = None) -> list[Received]:
        wanted = address_key(to) if to else None
        return [
            m for m in reversed(self._messages) if wanted is None or address_key(m.to) == wanted
        ]


def _text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if isinstance(part, EmailMessage) else ""
    return text.replace("\r\n", "\n")  # SMTP carries CRLF; show the text as written


class SmtpHandler:
    """aiosmtpd handler: every accepted message goes to the mailbox, once per recipient."""

    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(content, policy=default)
        assert isinstance(message, EmailMessage)  # the default policy builds EmailMessage
        subject, body = str(message.get("Subject", "")), _text_part(message)
        reference = message.get("Message-ID")
        for recipient in envelope.rcpt_tos:
            self._mailbox.add(Received("email", recipient, body, subject, reference))
        return "250 Message accepted for delivery"


def smtp_server(mailbox: Mailbox) -> SMTP:
    """One SMTP session (a protocol instance for ``loop.create_server``). The hostname is
    given so aiosmtpd does not look up this machine's FQDN, which can hang offline."""
    return SMTP(SmtpHandler(mailbox), hostname="mailbox.local", enable_SMTPUTF8=True)


class ProviderMessage(BaseModel):
    channel: Literal["sms", "whatsapp"]
    to: str = Field(min_length=1, max_length=320)
    body: str = Field(max_length=4096)
    reference: str = Field(min_length=1, max_length=200)


def _entry(message: Received) -> str:
    subject = f"<h3>{escape(message.subject)}</h3>" if message.subject else ""
    return (
        f"<article><p><strong>{escape(message.kind.upper())}</strong> "
        f"kepada / to <code>{escape(message.to)}</code> · {escape(message.received_at)}</p>"
        f"{subject}<pre>{escape(message.body)}</pre></article>"
    )


def _page(messages: list[Received]) -> str:
    entries = "".join(_entry(m) for m in messages) or (
        "<p>Belum ada pesan. <em lang='en'>No messages yet.</em></p>"
    )
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Kotak surat lokal</title>
<meta http-equiv="refresh" content="5">
<style>body{{font-family:sans-serif;margin:2rem;max-width:60rem}}
article{{border-bottom:1px solid #ddd;padding:.5rem 0}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}}</style></head>
<body><h1>Kotak surat lokal <small>/ Local mailbox</small></h1>
<p>Email, SMS dan WhatsApp yang dikirim platform di stack lokal, terbaru di atas
(disimpan {KEEP} terakhir, di memori).</p>
<p lang="en"><em>Email, SMS and WhatsApp the platform sent on the local stack, newest
first (the last {KEEP}, in memory).</em></p>
{entries}
</body></html>"""


def create_app(mailbox: Mailbox, token: str) -> FastAPI:
    app = FastAPI(title="Local mailbox and messaging provider (local stand-in)")
    install_problem_handlers(app)

    authorised = bearer_required(token)

    @app.post("/v1/messages", status_code=202, dependencies=[Depends(authorised)])
    async def accept(message: ProviderMessage) -> JSONResponse:
        received = Received(message.channel, message.to, message.body, None, message.reference)
        return JSONResponse({"id": mailbox.add(received)}, status_code=202)

    @app.get("/api/messages")
    async def messages(to: str | None = None) -> list[dict[str, Any]]:
        return [asdict(m) for m in mailbox.newest_first(to)]

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return _page(mailbox.newest_first())

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
