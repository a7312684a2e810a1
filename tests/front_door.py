"""Intake and identity in this process behind one address, routed as the proxy routes
them (deploy/nginx/default.conf): identity's paths to identity's app, the rest to
intake's — so a test speaks to "the platform's API" as a client does."""

import html
import re
import threading
import time
from contextlib import AsyncExitStack
from typing import Any

import httpx
import uvicorn

from ops.localstack import free_port
from services.identity.app import build as build_identity
from services.intake.app import build as build_intake
from services.intake.identity_client import is_identity_path
from shared.settings import Settings

__all__ = [
    "FrontDoor",
    "FrontDoorServer",
    "HttpFrontDoor",
    "front_door",
    "merged_openapi",
    "portal_register",
    "portal_sign_in",
    "provider_sign_in_page",
    "registration_page",
    "start_intake",
]


class FrontDoor(httpx.AsyncBaseTransport):
    def __init__(self, intake: Any, identity: Any, client: tuple[str, int] | None = None) -> None:
        peer = client or ("127.0.0.1", 123)
        self.intake = httpx.ASGITransport(app=intake, client=peer)
        self.identity = httpx.ASGITransport(app=identity, client=peer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if is_identity_path(request.url.path):
            return await self.identity.handle_async_request(request)
        return await self.intake.handle_async_request(request)


async def provider_sign_in_page(
    browser: httpx.AsyncClient, next: str | None = None
) -> tuple[httpx.Response, str]:
    """``/portal/signin`` followed to the provider's sign-in page: the page, and where
    its form posts (by path, as on the one origin behind the proxy)."""
    started = await browser.get("/portal/signin", params={"next": next} if next else None)
    assert started.status_code == 303, started.text
    page = await browser.get(_path_of(started.headers["location"]))
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)" id="signin-form"', page.text)
    assert action, "the provider's sign-in page has no form"
    return page, html.unescape(action.group(1))


async def portal_sign_in(
    browser: httpx.AsyncClient, username: str, password: str, next: str | None = None
) -> httpx.Response:
    """Sign in to the portal as a person does: ``/portal/signin`` sends the browser to
    the provider's page, the form there (``username``, ``password``, button "Masuk") is
    sent, and the provider's redirect is followed to the portal's callback. Returns the
    callback's answer (303 to the page asked for, the session cookie set), or the
    provider's page again when it refused."""
    _, action = await provider_sign_in_page(browser, next)
    form = {"csrf": browser.cookies["mpp_csrf"], "username": username, "password": password}
    sent = await browser.post(action, data=form)
    if sent.status_code != 302:
        return sent
    return await browser.get(_path_of(sent.headers["location"]))


async def registration_page(browser: httpx.AsyncClient) -> tuple[httpx.Response, str]:
    """The portal's "Daftar" followed to identity's registration page (the provider's
    ``prompt=create``): the page, and where its form posts."""
    started = await browser.get("/portal/register")
    assert started.status_code == 303, started.text
    asked = await browser.get(_path_of(started.headers["location"]))
    assert asked.status_code == 303, asked.text
    page = await browser.get(_path_of(asked.headers["location"]))
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)" id="register-form"', page.text)
    assert action, "the registration page has no form"
    return page, html.unescape(action.group(1))


async def portal_register(browser: httpx.AsyncClient, **fields: str) -> httpx.Response:
    """Register as a person does, on identity's page, and come back to the portal signed
    in: the callback's answer (303 to ``/portal/verify``, the session cookie set), or the
    registration page again when it refused."""
    _, action = await registration_page(browser)
    sent = await browser.post(action, data={"csrf": browser.cookies["mpp_csrf"], **fields})
    if sent.status_code != 302:
        return sent
    return await browser.get(_path_of(sent.headers["location"]))


def _path_of(url: str) -> str:
    parts = httpx.URL(url)
    return parts.raw_path.decode("ascii")


def front_door(
    intake: Any,
    identity: Any,
    client: tuple[str, int] | None = None,
    base_url: str = "http://intake",
    **kwargs: Any,
) -> httpx.AsyncClient:
    """A client of both apps; ``.app`` is intake's, ``.identity`` identity's."""
    http = httpx.AsyncClient(
        transport=FrontDoor(intake, identity, client), base_url=base_url, **kwargs
    )
    http.app = intake  # type: ignore[attr-defined]
    http.identity = identity  # type: ignore[attr-defined]
    return http


async def start_intake(stack: AsyncExitStack, settings: Settings) -> httpx.AsyncClient:
    """Identity and intake in this process (their real lifespans), intake asking
    identity's app and identity asking intake's (data rights); one client routing by
    path as the proxy does."""
    identity = build_identity(settings)
    await stack.enter_async_context(identity.router.lifespan_context(identity))
    intake = build_intake(settings, identity=httpx.ASGITransport(app=identity))
    await stack.enter_async_context(intake.router.lifespan_context(intake))
    identity.state.identity.rights.transports["intake"] = httpx.ASGITransport(app=intake)
    return await stack.enter_async_context(front_door(intake, identity))


class HttpFrontDoor(httpx.AsyncBaseTransport):
    """The same routing for both services served over real HTTP: identity's paths go to
    ``identity_url``, the rest where the request was addressed (intake)."""

    def __init__(self, identity_url: str) -> None:
        self.identity = httpx.URL(identity_url)
        self.http = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if is_identity_path(request.url.path):
            request.url = request.url.copy_with(
                scheme=self.identity.scheme, host=self.identity.host, port=self.identity.port
            )
            request.headers["Host"] = self.identity.netloc.decode("ascii")
        return await self.http.handle_async_request(request)

    async def aclose(self) -> None:
        await self.http.aclose()


def merged_openapi(intake: Any, identity: Any) -> dict[str, Any]:
    """One OpenAPI document for the platform's API behind the proxy: intake's and
    identity's operations, as a mobile team generating its client sees them."""
    spec = intake.openapi()
    other = identity.openapi()
    merged = {**spec, "paths": {**spec["paths"], **other["paths"]}}
    schemas = {
        **spec.get("components", {}).get("schemas", {}),
        **other.get("components", {}).get("schemas", {}),
    }
    components = {**spec.get("components", {}), **other.get("components", {})}
    merged["components"] = {**components, "schemas": schemas}
    return merged


class FrontDoorServer:
    """The same routing over real HTTP for services running as processes: a small
    reverse proxy on a loopback port, in a thread of its own, sending identity's paths to
    ``identity`` and the rest to ``intake`` (base URLs), as nginx does in deployment."""

    _HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})

    def __init__(self, intake: str, identity: str) -> None:
        self.intake = intake
        self.identity = identity
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    async def _app(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        base = self.identity if is_identity_path(scope["path"]) else self.intake
        query = scope.get("query_string", b"").decode("latin-1")
        url = base + scope["raw_path"].decode("latin-1") + (f"?{query}" if query else "")
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in self._HOP
        ]
        async with httpx.AsyncClient(timeout=60) as http:
            try:
                answer = await http.request(scope["method"], url, headers=headers, content=body)
            except httpx.HTTPError:
                await send({"type": "http.response.start", "status": 502, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
        out = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in answer.headers.multi_items()
            if k.lower() not in self._HOP and k.lower() != "content-encoding"
        ]
        out.append((b"content-length", str(len(answer.content)).encode()))
        await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
        await send({"type": "http.response.body", "body": answer.content})

    def start(self) -> "FrontDoorServer":
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            log_config=None,
            interface="asgi3",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    @property
    def started(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
