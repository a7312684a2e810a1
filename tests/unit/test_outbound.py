"""Routing's webhook targets and notify's push endpoints follow one rule for calling
out (shared.outbound), each service wording the refusal for its own users."""

import asyncio

import pytest

from services.notify.webpush import UnsafeEndpoint, check_endpoint
from services.routing.targets import UnsafeTarget, check_target
from shared.outbound import UnsafeURL, check_public_https

CASES = [
    ("ftp://example.org/x", "not-http", "not an HTTP(S) URL: ftp://example.org",
     "a push endpoint is an HTTPS URL"),
    ("http://8.8.8.8/x", "not-https", "webhook endpoints must use HTTPS",
     "a push endpoint must use HTTPS"),
    ("https://127.0.0.1/x", "not-public", "127.0.0.1 resolves to non-public address 127.0.0.1",
     "127.0.0.1 is not a public address"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "reason", "routing_says", "notify_says"), CASES)
def test_one_rule_refuses_and_each_service_says_why_in_its_words(
    url, reason, routing_says, notify_says
):
    with pytest.raises(UnsafeURL) as refused:
        asyncio.run(check_public_https(url, allow_private=False))
    assert refused.value.reason == reason
    with pytest.raises(UnsafeTarget) as target:
        asyncio.run(check_target(url, allow_private=False))
    assert str(target.value) == routing_says
    with pytest.raises(UnsafeEndpoint) as endpoint:
        asyncio.run(check_endpoint(url, allow_private=False))
    assert str(endpoint.value) == notify_says


def test_local_mode_allows_private_http_but_still_only_http():
    asyncio.run(check_public_https("http://127.0.0.1:9000/hook", allow_private=True))
    with pytest.raises(UnsafeURL):
        asyncio.run(check_public_https("file:///etc/passwd", allow_private=True))
