"""Which webhook endpoints routing may call.

Only HTTPS, and only hosts that resolve to public addresses (:mod:`shared.outbound`), so
a wrong catalogue entry cannot make routing probe the platform's own network. Local mode
(``MPP_WEBHOOK_ALLOW_PRIVATE_TARGETS``) lifts both rules for the demo agency systems and
tests.
"""

from shared.outbound import UnsafeURL, check_public_https, is_public_address

__all__ = ["UnsafeTarget", "check_target", "is_public_address"]


class UnsafeTarget(Exception):
    """The endpoint may not be called; the message says why."""


_WHY = {
    "not-http": "not an HTTP(S) URL: {scheme}://{host}",
    "not-https": "webhook endpoints must use HTTPS",
    "unresolvable": "cannot resolve {host}: {error}",
    "not-public": "{host} resolves to non-public address {address}",
}


async def check_target(url: str, *, allow_private: bool) -> None:
    try:
        await check_public_https(url, allow_private=allow_private)
    except UnsafeURL as refused:
        raise UnsafeTarget(_WHY[refused.reason].format(**vars(refused))) from None
