"""Identity, intake and notify in this process on one namespace, with a real SMTP server and the
SMS provider's test double — the identity tests' platform, with settings of one's own."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx

from services.notify.app import build as build_notify
from shared.settings import Settings
from tests.e2e.helpers import eventually
from tests.front_door import front_door, start_intake
from tests.notify_receivers import MailReceiver, ProviderReceiver, channel_env

__all__ = ["CODE", "Platform", "identity_platform"]

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class Platform:
    """Intake and notify sharing one namespace, and the receivers notify sends to."""

    def __init__(self, intake, notify, mail, provider, settings) -> None:
        self.intake = intake
        self.notify = notify
        self.mail = mail
        self.provider = provider
        self.settings = settings

    @property
    def intake_db(self):
        """Identity's database: where the accounts, codes and sessions are."""
        return self.intake.identity.state.runtime.db

    def client(self, ip: str) -> httpx.AsyncClient:
        """The platform's API as seen from another client address."""
        return front_door(self.intake.app, self.intake.identity, client=(ip, 40000))

    async def code_by_email(self, address: str, seen: int = 0) -> tuple[str, object]:
        messages = await eventually(
            lambda: _now(self.mail.to(address)), timeout=30, until=lambda m: len(m) > seen
        )
        message = messages[seen]
        return CODE.search(message.get_body(("plain",)).get_content()).group(1), message

    async def code_by_sms(self, phone: str, seen: int = 0) -> tuple[str, dict]:
        messages = await eventually(
            lambda: _now(self.provider.accepted_for("sms", phone)),
            timeout=30,
            until=lambda m: len(m) > seen,
        )
        return CODE.search(messages[seen]["body"]).group(1), messages[seen]


async def _now(value):
    return value


@asynccontextmanager
async def identity_platform(stack: Any, **overrides: Any) -> AsyncIterator[Platform]:
    mail, provider = MailReceiver().start(), ProviderReceiver().start()
    env = channel_env(mail, provider)
    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        smtp_host=env["MPP_SMTP_HOST"],
        smtp_port=int(env["MPP_SMTP_PORT"]),
        messaging_provider_url=env["MPP_MESSAGING_PROVIDER_URL"],
        messaging_provider_token=env["MPP_MESSAGING_PROVIDER_TOKEN"],
        notify_retry_backoff_seconds=0.2,
        outbox_poll_seconds=0.2,
        retry_backoff_seconds=0.05,
        **overrides,
    )
    try:
        async with AsyncExitStack() as running:
            intake = await start_intake(running, settings)
            app = build_notify(settings)
            await running.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            notify = httpx.AsyncClient(transport=transport, base_url="http://notify")
            await running.enter_async_context(notify)
            notify.app = app  # type: ignore[attr-defined]
            yield Platform(intake, notify, mail, provider, settings)
    finally:
        mail.stop()
        provider.stop()
