"""Prometheus metrics of one service process: what an operator watches and alerts on.

Each service has its own registry (tests run several services in one process), served
at ``GET /metrics`` for the scraper on the internal network. It is not in the OpenAPI
document and the public proxy refuses it (``deploy/nginx/default.conf``). What is in it
(``docs/operations.md`` says what to do when each moves):

* HTTP requests by method, route template and status — the template
  (``/api/v1/applications/{application_id}``), never the raw path: ids would make a
  series per application;
* FastStream's Kafka middleware: messages received, processed and published, their
  durations and exceptions, by handler and destination;
* consumer lag per group, topic and partition, asked of the broker when scraped (see
  :mod:`shared.lag`);
* the outbox backlog — rows and events waiting and the age of the oldest row — read
  from the outbox collection when scraped;
* counters the code increments: dead letters by source topic and reason category,
  notices by channel and status (notify), SLA breaches by agency (routing);
* ``mpp_holiday_calendar_missing``: 1 while this year or next has no holiday calendar
  file (:func:`shared.calendar.missing_years`), when due dates would count weekends only.

Labels carry names from bounded sets only (topics, groups, routes, categories): never
an id, an address, a NIK or free text.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from pymongo.asynchronous.collection import AsyncCollection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.calendar import missing_years
from shared.events import utcnow

__all__ = ["DEAD_LETTER_REASONS", "HttpMetricsMiddleware", "ServiceMetrics", "metrics_endpoint"]

log = structlog.get_logger(__name__)

Probe = Callable[[], Awaitable[None]]

DEAD_LETTER_REASONS = ("invalid", "unexpected-type", "rejected", "handler-failed")
"""Why a record was dead-lettered, as a label: not a valid event; a type this consumer
does not take; refused by its handler (an illegal transition, an unknown application);
a handler that failed on every attempt (a fault in the handler, not in the record).
The full reason is in the dead-letter record itself."""

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PROBE_TIMEOUT = 3.0
_UNMATCHED = "<unmatched>"


@dataclass
class ServiceMetrics:
    """The registry of one service and the metrics every service has."""

    service: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    _probes: dict[str, Probe] = field(default_factory=dict)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http_requests = Counter(
            "mpp_http_requests_total",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "mpp_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "mpp_dead_letters_total",
            "Records sent to the dead-letter topic, by the topic they came from and the "
            f"reason category ({', '.join(DEAD_LETTER_REASONS)}).",
            ["topic", "reason"],
            registry=self.registry,
        )
        self.holiday_calendar_missing = Gauge(
            "mpp_holiday_calendar_missing",
            "1 when this year or next has no holiday calendar file (shared/catalogue/data/"
            "holidays-<year>.json): SLA due dates in it count weekends only.",
            registry=self.registry,
        )
        self.holiday_calendar_missing.set(1 if missing_years() else 0)
        self.add_probe("holiday_calendar", self._check_holiday_calendar)
        self.probe_errors = Counter(
            "mpp_metrics_probe_errors_total",
            "Scrapes in which a probe (outbox, consumer lag) could not read its source.",
            ["probe"],
            registry=self.registry,
        )

    def counter(self, name: str, documentation: str, labels: list[str]) -> Counter:
        """A service's own counter, in this registry."""
        return Counter(name, documentation, labels, registry=self.registry)

    def add_probe(self, name: str, probe: Probe) -> None:
        """``probe`` refreshes its gauges before every scrape (within a few seconds)."""
        self._probes[name] = probe

    async def _check_holiday_calendar(self) -> None:
        self.holiday_calendar_missing.set(1 if missing_years() else 0)

    def add_closer(self, close: Callable[[], Awaitable[None]]) -> None:
        self._closers.append(close)

    def watch_outbox(self, rows: AsyncCollection) -> None:
        """Export the backlog of the outbox collection ``rows`` (read only)."""
        backlog = OutboxBacklog(rows, self.registry)
        self.add_probe("outbox", backlog.refresh)

    async def refresh(self) -> None:
        """Run every probe at once; one that fails or hangs is counted, not fatal."""

        async def run(name: str, probe: Probe) -> None:
            try:
                await asyncio.wait_for(probe(), timeout=_PROBE_TIMEOUT)
            except Exception as exc:
                self.probe_errors.labels(probe=name).inc()
                log.warning("metrics probe failed", probe=name, error=type(exc).__name__)

        await asyncio.gather(*(run(name, probe) for name, probe in self._probes.items()))

    async def close(self) -> None:
        for close in self._closers:
            await close()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class OutboxBacklog:
    """Rows and events staged and not yet published, and how long the oldest has
    waited: a relay that cannot publish (broker down, a poisoned row) shows here first."""

    def __init__(self, rows: AsyncCollection, registry: CollectorRegistry) -> None:
        self._rows = rows
        self.row_count = Gauge(
            "mpp_outbox_rows", "Outbox rows waiting to be published.", registry=registry
        )
        self.event_count = Gauge(
            "mpp_outbox_events", "Events waiting in the outbox to be published.", registry=registry
        )
        self.oldest_age = Gauge(
            "mpp_outbox_oldest_age_seconds",
            "Age of the oldest outbox row (0 when the outbox is empty).",
            registry=registry,
        )

    async def refresh(self) -> None:
        found = await self._rows.aggregate(
            [
                {
                    "$group": {
                        "_id": None,
                        "rows": {"$sum": 1},
                        "events": {"$sum": {"$ifNull": ["$count", 1]}},
                        "oldest": {"$min": "$created_at"},
                    }
                }
            ]
        )
        summary = await found.to_list(1)
        if not summary:
            self.row_count.set(0)
            self.event_count.set(0)
            self.oldest_age.set(0)
            return
        self.row_count.set(summary[0]["rows"])
        self.event_count.set(summary[0]["events"])
        oldest = summary[0]["oldest"]
        self.oldest_age.set(max((utcnow() - oldest).total_seconds(), 0.0) if oldest else 0)


def metrics_endpoint(metrics: ServiceMetrics) -> Callable[[Request], Awaitable[Response]]:
    async def scrape(_request: Request) -> Response:
        await metrics.refresh()
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return scrape


class HttpMetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status.

    Plain ASGI, wrapped around the whole application (outside the error handlers and
    every other middleware), so a 413 or 429 refused before routing, and a 500, are
    counted too. The route is the template the router matched, read after the request
    (the router records it in the scope); a path no route matched is ``<unmatched>``.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.requests = metrics.http_requests
        self.duration = metrics.http_duration

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            labels = (scope["method"], route_template(scope), str(status))
            self.requests.labels(*labels).inc()
            self.duration.labels(*labels).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:
        return _UNMATCHED
    if isinstance(route, Mount):  # static files and mounted sub-applications
        return f"{route.path}/{{path}}"
    return str(getattr(route, "path", _UNMATCHED))
