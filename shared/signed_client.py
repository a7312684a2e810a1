"""A browser's address, named by one service to another in a header the receiver can
trust.

Intake hands a person's request about their account to identity server to server, so
identity's peer is intake: keyed on it, one browser's wrong passwords (or a flood of
requests) would throttle everyone. Intake therefore names the browser's address in
``X-MPP-Signed-Client: <address>;<unix time>;<HMAC>``, the HMAC under a key derived
from ``MPP_DOCUMENT_LINK_SECRET`` (which only the platform's services hold) over the
address and the time. The receiver believes the header only when the HMAC is right and
the time is within :data:`MAX_AGE` seconds of its own; then that address is the client
for the rate limit and the sign-in throttle (:class:`SignedClientMiddleware`). Anyone
else's header — a caller reaching the service directly — is dropped and changes nothing.

The key is derived, not the document-link key itself, so a value signed for one use can
never be taken for the other.
"""

import hashlib
import hmac
import ipaddress
import time

from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "MAX_AGE",
    "SIGNED_CLIENT_HEADER",
    "SignedClientMiddleware",
    "sign_client",
    "signed_client",
]

SIGNED_CLIENT_HEADER = "X-MPP-Signed-Client"
MAX_AGE = 60
"""Seconds a signed address is believed (clocks of the two hosts may differ a little)."""

_HEADER = SIGNED_CLIENT_HEADER.lower().encode("latin-1")


def _key(secret: SecretStr) -> bytes:
    return hmac.new(secret.get_secret_value().encode(), b"mpp signed client", "sha256").digest()


def _mac(secret: SecretStr, client: str, at: int) -> str:
    return hmac.new(_key(secret), f"{client}|{at}".encode(), hashlib.sha256).hexdigest()


def sign_client(secret: SecretStr, client: str, *, now: float | None = None) -> str:
    """The header value naming ``client`` (an IP address) at this moment."""
    at = int(time.time() if now is None else now)
    return f"{client};{at};{_mac(secret, client, at)}"


def signed_client(secret: SecretStr, value: str, *, now: float | None = None) -> str | None:
    """The address a header value names, when it was signed under ``secret`` and lately;
    else None."""
    pieces = value.split(";")
    if len(pieces) != 3 or not pieces[1].isdigit():
        return None
    client, at, mac = pieces[0], int(pieces[1]), pieces[2]
    if abs((time.time() if now is None else now) - at) > MAX_AGE:
        return None
    if not hmac.compare_digest(mac, _mac(secret, client, at)):
        return None
    try:
        return str(ipaddress.ip_address(client))
    except ValueError:
        return None


class SignedClientMiddleware:
    """The client of a request is the address a valid signed header names; the header
    never reaches the application, valid or not."""

    def __init__(self, app: ASGIApp, secret: SecretStr) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            named = [value for name, value in scope["headers"] if name == _HEADER]
            if named:
                scope["headers"] = [(n, v) for n, v in scope["headers"] if n != _HEADER]
                client = signed_client(self.secret, named[-1].decode("latin-1"))
                if client is not None and len(named) == 1:
                    scope["client"] = (client, 0)
        await self.app(scope, receive, send)
