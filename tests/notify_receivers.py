"""Real receivers for notify's outside channels, and events as their producers publish them.

:class:`MailReceiver` is a real SMTP server (aiosmtpd) and :class:`ProviderReceiver` a
real HTTP server (Starlette on uvicorn) playing the SMS/WhatsApp provider; both listen
on free loopback ports in threads of their own, so they keep answering while a test
blocks (for example while a notify process restarts). The push receivers (a Web Push
service and FCM) are in :mod:`tests.push_receivers`, on the same :class:`HttpReceiver`.
"""

import email
import threading
import time
from collections import Counter
from email.message import EmailMessage
from email.policy import default
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ops.localstack import free_port
from shared.events import AccountContactsChanged, ContactsData, StatusChanged, StatusChangedData

TOKEN = "test-provider-token"
LIFE = (
    "routed",
    "received",
    "in_review",
    "needs_info",
    "resubmitted",
    "in_review",
    "approved",
    "completed",
)


class MailReceiver:
    """An SMTP server that keeps every message; addresses in ``refuse`` get a 550."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in list(self.messages) if m["To"] == address]

    def start(self) -> "MailReceiver":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class HttpReceiver:
    """A Starlette app served by uvicorn on a free loopback port, in a thread of its own."""

    def __init__(self, routes: list[Route]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            Starlette(routes=routes), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> Any:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)


class ProviderReceiver(HttpReceiver):
    """The SMS/WhatsApp provider. ``script[(channel, to)]`` lists status codes to answer
    before accepting; ``reject`` holds (channel, to) always answered 400."""

    def __init__(self) -> None:
        super().__init__([Route("/v1/messages", self._messages, methods=["POST"])])
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.script: dict[tuple[str, str], list[int]] = {}
        self.reject: set[tuple[str, str]] = set()

    async def _messages(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        body = await request.json()
        self.requests.append(body)
        key = (body["channel"], body["to"])
        if key in self.reject:
            return JSONResponse({"error": "not a valid recipient"}, status_code=400)
        planned = self.script.get(key)
        if planned:
            return JSONResponse({"error": "busy"}, status_code=planned.pop(0))
        self.accepted.append(body)
        return JSONResponse({"id": f"msg-{len(self.accepted)}"}, status_code=201)

    def accepted_for(self, channel: str, to: str) -> list[dict[str, Any]]:
        return [m for m in list(self.accepted) if m["channel"] == channel and m["to"] == to]

    def references(self) -> Counter:
        return Counter(m["reference"] for m in list(self.accepted))


def channel_env(mail: MailReceiver, provider: ProviderReceiver) -> dict[str, str]:
    """Settings that point notify at the receivers and make its timers test-sized."""
    return {
        "MPP_SMTP_HOST": "127.0.0.1",
        "MPP_SMTP_PORT": str(mail.port),
        "MPP_MESSAGING_PROVIDER_URL": provider.url,
        "MPP_MESSAGING_PROVIDER_TOKEN": TOKEN,
        "MPP_NOTIFY_POLL_SECONDS": "0.1",
        "MPP_NOTIFY_RETRY_BACKOFF_SECONDS": "0.2",
        "MPP_NOTIFY_LEASE_SECONDS": "3",
        "MPP_NOTIFY_RATE_PER_RECIPIENT": "100",
        "MPP_OUTBOX_POLL_SECONDS": "0.2",
    }


def contacts_changed(citizen: str, version: int = 1, **fields: Any) -> AccountContactsChanged:
    return AccountContactsChanged(
        source="intake",
        subject=citizen,
        correlation_id=f"contacts-{citizen}",
        data=ContactsData(citizen_id=citizen, profile_version=version, **fields),
    )


def status_changed(
    application: str, sequence: int, to_status: str, citizen: str, **fields: Any
) -> StatusChanged:
    return StatusChanged(
        source="routing",
        subject=application,
        region=fields.get("region", "3576"),
        correlation_id=f"corr-{application}",
        data=StatusChangedData(
            **{
                "application_id": application,
                "tracking_number": f"3576-{application[-6:].upper()}",
                "service": "ktp-el",
                "region": "3576",
                "agency": "disdukcapil-3576",
                "citizen_id": citizen,
                "to_status": to_status,
                "sequence": sequence,
                "actor": "agency",
                **fields,
            }
        ),
    )


def life_of(application: str, citizen: str) -> list[StatusChanged]:
    """A full application life, from routed to completed."""
    return [
        status_changed(application, sequence, status, citizen)
        for sequence, status in enumerate(LIFE, start=1)
    ]
