"""The correlation id of the request being served, for the events it causes.

One id follows a request from the proxy to every event it causes: the proxy's request id
(``X-Request-Id``) or the client's ``X-Correlation-Id`` becomes the id the response
returns (:class:`shared.runtime.CorrelationIdMiddleware`), and code that stages an event
takes it from here instead of making another, so an operator can go from a response to
its events and log lines with one value. Work no request started (a consumer, a timer,
an operator's command) gets a new id.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from shared.ids import uuid7

__all__ = ["correlated", "current_correlation_id"]

_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str:
    """The id of the request this code serves; a new one outside a request."""
    return _current.get() or uuid7()


@contextmanager
def correlated(correlation_id: str) -> Iterator[None]:
    """Within this block (and the tasks it starts), events carry ``correlation_id``."""
    token = _current.set(correlation_id)
    try:
        yield
    finally:
        _current.reset(token)
