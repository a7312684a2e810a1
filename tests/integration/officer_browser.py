"""An officer's browser at the workbench, with routing's and identity's apps in this
process: the browser reaches routing's pages and identity's provider each at its own
address (``service_url``), as a real browser does, and routing exchanges the code with
identity's app. Signing in runs the whole code flow: the workbench's sign-in, the
provider's page (where the password is typed), the workbench's callback."""

from typing import Any

import httpx

from shared.web import service_url
from tests.identity.conftest import CSRF

__all__ = ["OfficerBrowser"]


class OfficerBrowser:
    """One browser at ``ip``; ``client`` speaks to both services by their addresses,
    ``routing_url`` and ``identity_url``."""

    def __init__(self, routing: Any, identity: Any, ip: str = "198.51.100.7") -> None:
        settings = routing.state.runtime.settings
        self.routing_url = service_url(settings, "routing")
        self.identity_url = service_url(settings, "identity")
        routing.state.workbench.flow.transport = httpx.ASGITransport(app=identity)
        peer = (ip, 51000)
        self.client = httpx.AsyncClient(
            mounts={
                self.routing_url: httpx.ASGITransport(app=routing, client=peer),
                self.identity_url: httpx.ASGITransport(app=identity, client=peer),
            },
            base_url=self.routing_url,
            timeout=30,
        )

    async def to_provider(self, wanted: str = "") -> str:
        """The workbench's sign-in: the address of the provider's page it sends to."""
        start = await self.client.get(f"/workbench/signin{wanted}")
        assert start.status_code == 303, start.text
        return start.headers["location"]

    async def at_provider(self, username: str, password: str, wanted: str = "") -> httpx.Response:
        """The provider's page, the username and password typed there: its answer (a
        redirect to the workbench's callback, or the page again)."""
        provider_page = await self.to_provider(wanted)
        page = await self.client.get(provider_page)
        csrf = CSRF.search(page.text)
        if page.status_code != 200 or csrf is None:
            return page  # the provider would not show its page (a per-address limit)
        return await self.client.post(
            provider_page,
            data={"csrf": csrf.group(1), "username": username, "password": password},
        )

    async def sign_in(self, username: str, password: str, wanted: str = "") -> httpx.Response:
        """The whole sign-in: the workbench's callback's answer (a redirect to the page
        wanted with the cookie set, or the page saying why not), or the provider's page
        again when it refused the password."""
        typed = await self.at_provider(username, password, wanted)
        if typed.status_code not in (302, 303):
            return typed
        return await self.client.get(typed.headers["location"])

    async def __aenter__(self) -> "OfficerBrowser":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
