"""Which URLs a service may call out to: HTTPS, to hosts that resolve to public
addresses only. An endpoint pointing at loopback, a private network, link-local (cloud
metadata) or other reserved ranges is refused, so a wrong entry (routing's webhook
targets) or a crafted one (a browser's push endpoint, given to notify) cannot make a
service probe the platform's own network. Local mode lifts both rules for the demo
systems and tests. Each service words the refusal for its own users.
"""

import asyncio
import ipaddress
import socket
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["UnsafeURL", "check_public_https", "is_public_address"]

Reason = Literal["not-http", "not-https", "unresolvable", "not-public"]


class UnsafeURL(ValueError):
    """Why a URL may not be called (``reason``), with what was found: ``scheme``,
    ``host``, the non-public ``address`` or the resolver's ``error``."""

    def __init__(
        self, reason: Reason, scheme: str, host: str | None, address: str = "", error: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.scheme = scheme
        self.host = host
        self.address = address
        self.error = error


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


async def check_public_https(url: str, *, allow_private: bool) -> None:
    """Raise :class:`UnsafeURL` unless ``url`` is HTTP(S) and, unless ``allow_private``,
    HTTPS to a host whose every address is public."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeURL("not-http", parts.scheme, parts.hostname)
    if allow_private:
        return
    if parts.scheme != "https":
        raise UnsafeURL("not-https", parts.scheme, parts.hostname)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or 443, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise UnsafeURL("unresolvable", parts.scheme, parts.hostname, error=str(exc)) from None
    for info in infos:
        address = str(info[4][0])
        if not is_public_address(address):
            raise UnsafeURL("not-public", parts.scheme, parts.hostname, address=address)
