"""The outermost layer of every service: who the client is, and how the browser is told
to keep to HTTPS.

Behind a reverse proxy the TCP peer is the proxy, so a per-IP rate limit would put every
citizen in one bucket. The proxy names the client in ``X-Forwarded-For`` (and the scheme
in ``X-Forwarded-Proto``), but anyone can send those headers, so they are believed only
when the peer is one of ``MPP_TRUSTED_PROXIES``; the client is then the right-most
address in the chain that is not a trusted proxy (each proxy appends the address it saw,
so everything left of the last untrusted hop may be made up). uvicorn's
``ProxyHeadersMiddleware`` implements exactly that; this module adds RFC 7239
``Forwarded`` (translated into the ``X-Forwarded-*`` pair when a trusted peer sends only
it) and, outside local mode, ``Strict-Transport-Security`` on every response and
``Secure`` on every cookie.

Both wrap the whole application (:class:`EdgeApp`), outside the middleware a service adds
after :func:`shared.runtime.create_app` (intake's rate limit sees the resolved client),
so in-process test clients and ``uvicorn`` get the same behaviour.
"""

import re
from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared.settings import Settings

__all__ = ["HSTS", "EdgeApp", "ForwardedHeaders", "TransportSecurity", "edge"]

HSTS = "max-age=31536000; includeSubDomains"

# one element of a Forwarded header: pairs such as for="[2001:db8::1]:4711";proto=https
_PAIR = re.compile(r'\s*([A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)\s*')


def _elements(value: str) -> list[dict[str, str]]:
    """The elements of a ``Forwarded`` header, each a dict of its lower-cased pairs."""
    elements: list[dict[str, str]] = []
    current: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PAIR.match(value, position)
        if match is None or not match.group(0):
            break
        current[match.group(1).lower()] = match.group(2).strip('"').replace('\\"', '"')
        position = match.end()
        separator = value[position : position + 1]
        position += 1
        if separator != ";":
            elements.append(current)
            current = {}
    if current:
        elements.append(current)
    return elements


class ForwardedHeaders:
    """Forwarded headers believed only from trusted proxies (see the module docstring)."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str]) -> None:
        self.app = ProxyHeadersMiddleware(app, trusted_hosts=list(trusted))  # type: ignore[arg-type]
        self.trusted = self.app.trusted_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            if peer and peer[0] in self.trusted:
                self._translate_forwarded(scope)
        await self.app(scope, receive, send)  # type: ignore[arg-type]

    def _translate_forwarded(self, scope: Scope) -> None:
        """RFC 7239 ``Forwarded`` as ``X-Forwarded-For``/``-Proto``, when only it came."""
        headers = scope["headers"]
        names = {name for name, _ in headers}
        if b"x-forwarded-for" in names or b"forwarded" not in names:
            return
        raw = ", ".join(v.decode("latin-1") for n, v in headers if n == b"forwarded")
        elements = [e for e in _elements(raw) if e.get("for")]
        if not elements:
            return
        hosts = [e["for"] for e in elements]
        # the element the client's address is taken from also says the scheme it used
        chosen = next(
            (i for i in reversed(range(len(hosts))) if _host(hosts[i]) not in self.trusted), 0
        )
        added = [(b"x-forwarded-for", ", ".join(hosts).encode("latin-1"))]
        proto = elements[chosen].get("proto")
        if proto and b"x-forwarded-proto" not in names:
            added.append((b"x-forwarded-proto", proto.lower().encode("latin-1")))
        scope["headers"] = [*headers, *added]


def _host(node: str) -> str:
    """The address of a ``for=`` node: ``[2001:db8::1]:80`` → ``2001:db8::1``."""
    if node.startswith("["):
        return node[1:].split("]", 1)[0]
    return node.split(":", 1)[0] if node.count(":") == 1 else node


class TransportSecurity:
    """Outside local mode: HSTS on every response and ``Secure`` on every cookie, whatever
    the code that set it (the portal, the workbench, the auditor console, the CSRF and
    language cookies), so a cookie never travels over plain HTTP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, _secure(value) if name.lower() == b"set-cookie" else value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"strict-transport-security"
                ]
                headers.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_secured)


def _secure(cookie: bytes) -> bytes:
    attributes = [part.strip().lower() for part in cookie.split(b";")[1:]]
    return cookie if b"secure" in attributes else cookie + b"; Secure"


def edge(app: ASGIApp, settings: Settings) -> ASGIApp:
    """``app`` behind the edge: forwarded headers resolved, then transport security."""
    if not settings.is_local:
        app = TransportSecurity(app)
    return ForwardedHeaders(app, settings.proxies())


class EdgeApp(FastAPI):
    """A service's FastAPI app with :func:`edge` around its whole middleware stack, built
    when the first request comes, so it stays outside every middleware added before."""

    def __init__(self, *, settings: Settings, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.edge_settings = settings

    def build_middleware_stack(self) -> ASGIApp:
        return edge(super().build_middleware_stack(), self.edge_settings)
