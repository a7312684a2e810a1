"""The provider served over real HTTP (uvicorn on a free port) with the real database
and broker, its issuer the address it is served at."""

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from ops.localstack import free_port
from services.identity.app import build
from services.identity.oidc import Provider
from shared.settings import Settings

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Served:
    """The intake app with its provider, served at ``base``."""

    base: str
    app: Any
    settings: Settings

    @property
    def provider(self) -> Provider:
        return self.app.state.oidc.provider

    def http(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=30, **kwargs)

    def client(self, name: str) -> Any:
        return self.provider.clients.find(name)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[Served]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    configured = settings.model_copy(
        # A guess after the free failures waits 30 s, not 1 s: on a busy machine the next
        # page sign-in (a page, a form, a hash) can take longer than a second.
        update={
            "auth_issuer": base,
            "oidc_key_cache_seconds": 0.5,
            "auth_signin_backoff_seconds": 30.0,
        }
    )
    app = build(configured)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    for _ in range(600):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    assert server.started, "the provider did not start"
    try:
        yield Served(base, app, configured)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def sign_in_at(
    browser: httpx.AsyncClient, authorize_url: str, username: str, password: str
) -> httpx.Response:
    """What a person does on the sign-in page: open it, type, send. Returns the
    answer to the form (a redirect to the client, or the page again)."""
    page = await browser.get(authorize_url)
    assert page.status_code == 200, page.text
    csrf = CSRF.search(page.text)
    assert csrf is not None, page.text
    return await browser.post(
        authorize_url,
        data={"csrf": csrf.group(1), "username": username, "password": password},
    )
