"""Which webhook endpoints routing may call.

Only HTTPS, and only hosts that resolve to public addresses: an endpoint pointing at
loopback, a private network, link-local (cloud metadata) or other reserved ranges is
refused, so a wrong catalogue entry cannot make routing probe the platform's own
network. Local mode (``MPP_WEBHOOK_ALLOW_PRIVATE_TARGETS``) lifts both rules for the
demo agency systems and tests.
"""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = ["UnsafeTarget", "check_target", "is_public_address"]


class UnsafeTarget(Exception):
    """The endpoint may not be called; the message says why."""


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


async def check_target(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeTarget(f"not an HTTP(S) URL: {parts.scheme}://{parts.hostname}")
    if allow_private:
        return
    if parts.scheme != "https":
        raise UnsafeTarget("webhook endpoints must use HTTPS")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or 443, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise UnsafeTarget(f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        address = str(info[4][0])
        if not is_public_address(address):
            raise UnsafeTarget(f"{parts.hostname} resolves to non-public address {address}")
