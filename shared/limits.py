"""Request body limits and rate limits, answered as problem documents.

The body limit is enforced while the body streams in (a missing or false
``Content-Length`` does not get past it). Rate limits are token buckets per client IP
(for every request) and per account (after the token is verified); a refused request gets
429 with ``Retry-After``. The client IP is the one :mod:`shared.edge` resolved: behind a
trusted proxy (``MPP_TRUSTED_PROXIES``), the address the proxy saw, not the proxy's.
Buckets live in the process: with several intake replicas behind a load balancer each
enforces its share, which is what a per-replica limit is for — it protects the process
and the database behind it.
"""

import math
import re
import time
from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import problem_response

__all__ = ["BodyLimitMiddleware", "RateLimitMiddleware", "RateLimiter", "too_many"]

MULTIPART_OVERHEAD = 64 * 1024
RESUMABLE_UPLOADS = ("/api/v1/uploads/", "/portal/uploads/")
"""A resumable upload's PATCH may carry the rest of a document in one request (the
portal's pages send theirs through ``/portal/uploads/``)."""
DOCUMENT_FORMS = re.compile(r"/portal/(services/[^/]+/(apply|draft)|applications/[^/]+/answer)")
"""The portal's forms that carry documents: without JavaScript, every file in one post."""


class RateLimiter:
    """Token buckets: ``per_minute`` requests, refilled continuously, keyed by anything."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def check(self, key: str) -> float | None:
        """Take one token; None when allowed, else the seconds until one is available."""
        now = time.monotonic()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1:
            tokens -= 1
            retry = None
        else:
            retry = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)  # the least recently seen client
        return retry


def too_many(retry_after: float, who: str) -> Any:
    return problem_response(
        429,
        "Terlalu banyak permintaan / Too many requests",
        f"Too many requests from this {who}; retry after {math.ceil(retry_after)} s.",
        headers={"Retry-After": str(math.ceil(retry_after))},
    )


class RateLimitMiddleware:
    """Per-IP limit on every HTTP request except health checks."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ("/healthz", "/readyz"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        retry = self.limiter.check(client[0] if client else "unknown")
        if retry is not None:
            await too_many(retry, "IP address")(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 for bodies over the limit; document uploads (in one request or resumable) get
    their own, larger limit, and a portal form that carries documents room for each of
    them (``documents_per_form``: the most any service asks for)."""

    def __init__(
        self, app: ASGIApp, limit: int, upload_limit: int, documents_per_form: int = 1
    ) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit + MULTIPART_OVERHEAD
        self.form_limit = upload_limit * max(documents_per_form, 1) + MULTIPART_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        uploading = path.endswith("/documents") or path.startswith(RESUMABLE_UPLOADS)
        if DOCUMENT_FORMS.fullmatch(path):
            limit = self.form_limit
        else:
            limit = self.upload_limit if uploading else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> Any:
    return problem_response(
        413,
        "Data terlalu besar / Request too large",
        f"The request body is larger than {limit} bytes; send a smaller one "
        "(documents: at most 10 MB each, uploaded one at a time).",
    )
