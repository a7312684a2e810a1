"""The four services in this process on one namespace, started once for the security
tests, with every log line they write captured.

Starting a service costs a consumer-group join per subscriber, so the security tests share
one start-up: the life of an application (for the log scan) and the authorisation matrix
run against the same services.
"""

import importlib
import io
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx
import pytest

from ops.localstack import LocalStack
from shared.settings import Settings
from tests.front_door import start_intake

SERVICES = ("intake", "routing", "notify", "audit")


@dataclass
class InProcessPlatform:
    settings: Settings
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    log: io.StringIO = field(default_factory=io.StringIO)
    capture: logging.Handler = field(init=False)

    def __post_init__(self) -> None:
        self.capture = logging.StreamHandler(self.log)

    def __getitem__(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    def runtime(self, name: str):
        if name == "identity":
            return self.clients["intake"].identity.state.runtime  # type: ignore[attr-defined]
        return self.clients[name].app.state.runtime  # type: ignore[attr-defined]

    def listen(self) -> None:
        """Capture the log (again): building a service — as a test of its own may, after
        these were started — replaces the root logger's handlers."""
        root = logging.getLogger()
        if self.capture not in root.handlers:
            self.capture.setFormatter(root.handlers[0].formatter)
            root.addHandler(self.capture)


@pytest.fixture(scope="package")
async def services(stack: LocalStack) -> AsyncIterator[InProcessPlatform]:
    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        log_format="json",
        log_level="DEBUG",
        retry_backoff_seconds=0.05,
        outbox_poll_seconds=0.2,
        notify_poll_seconds=0.2,
        notify_retry_backoff_seconds=0.2,
    )
    running = InProcessPlatform(settings)
    capture = running.capture
    async with AsyncExitStack() as exit_stack:
        for name in SERVICES:
            if name == "identity":
                continue  # started with intake, behind the same client
            if name == "intake":
                client = await start_intake(exit_stack, settings)
                running.listen()
                running.clients[name] = client
                continue
            app = importlib.import_module(f"services.{name}.app").build(settings)
            # Each build reconfigures the root logger; the capture joins its formatter.
            root = logging.getLogger()
            capture.setFormatter(root.handlers[0].formatter)
            root.addHandler(capture)
            await exit_stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"
            )
            await exit_stack.enter_async_context(client)
            client.app = app  # type: ignore[attr-defined]
            running.clients[name] = client
        yield running
    logging.getLogger().removeHandler(capture)
