"""The common shape of a service process: settings, logging, MongoDB, Kafka, HTTP.

Each service's composition root (``services/<name>/app.py``) builds a :class:`Runtime`,
registers its subscribers and routes, and hands it to :func:`create_app`. The lifespan
provisions the topics, creates indexes, starts the broker and the background tasks
(the outbox relay), and stops them in reverse order.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.calendar import warn_if_missing
from shared.catalogue import Catalogue
from shared.catalogue.live import (
    CatalogueFeed,
    LiveCatalogue,
    built_in_documents,
)
from shared.correlation import correlated
from shared.edge import EdgeApp
from shared.health import health_router
from shared.ids import uuid7
from shared.kafka import make_broker, provision_topics, start_broker, subscribe_batch
from shared.lag import ConsumerLag
from shared.logging import configure_logging
from shared.messagebus import DeadLetters, EveryRecord, HandlerTable, MessageBus
from shared.metrics import HttpMetricsMiddleware, ServiceMetrics, metrics_endpoint
from shared.mongo import make_mongo, wait_for_database
from shared.outbox import Outbox
from shared.outbox_lease import RelayLease, holder_name
from shared.privacy.personal import Personal
from shared.privacy.vault import KeyVault
from shared.problems import install_problem_handlers, problem_components, problem_responses
from shared.production import refuse_local_defaults
from shared.settings import Settings
from shared.topics import Groups, Topics
from shared.tracing import configure_tracing, instrument_app
from shared.unit_of_work import UnitsOfWork

__all__ = ["Runtime", "build_runtime", "create_app", "operation_id", "serve"]

log = structlog.get_logger(__name__)

Hook = Callable[[], Awaitable[None]]
_STOP_SECONDS = 10.0
"""How long a stopping service waits for its background tasks to end once cancelled."""
_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


@dataclass
class Runtime:
    name: str
    settings: Settings
    catalogue: LiveCatalogue
    """The catalogue as published, read through: every read is the newest version."""
    broker: KafkaBroker
    mongo: AsyncMongoClient
    db: AsyncDatabase
    topics: Topics
    groups: Groups
    metrics: ServiceMetrics
    personal: Personal
    tracer_provider: Any = None
    on_start: list[Hook] = field(default_factory=list)
    background: list[Hook] = field(default_factory=list)
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    publishes: set[str] = field(default_factory=set)
    units: UnitsOfWork = field(init=False)
    catalogue_feed: CatalogueFeed = field(init=False)

    def __post_init__(self) -> None:
        self.units = UnitsOfWork(self.mongo)
        self.catalogue_feed = CatalogueFeed(
            self.catalogue,
            self.settings,
            self.topics.catalogue,
            service=self.name,
            registry=self.metrics.registry,
        )
        self.background.append(self.catalogue_feed.run)
        self.on_stop.append(self.catalogue_feed.stop)

    def declare_publisher(self, topics: Sequence[str], description: str) -> None:
        """Declare what this service writes: listed in its AsyncAPI document, and the
        only topics its outbox accepts."""
        for topic in topics:
            if topic not in self.publishes:
                self.broker.publisher(topic, description=description)
                self.publishes.add(topic)

    def consume(
        self,
        topics: Sequence[str],
        *,
        group: str,
        handlers: HandlerTable | EveryRecord,
        description: str,
        max_records: int = 500,
        linger_seconds: float = 0.0,
    ) -> None:
        """Subscribe the handler table to ``topics`` as one member of consumer group
        ``group``, a poll at a time (see :mod:`shared.messagebus`; ``linger_seconds``:
        :func:`shared.kafka.subscribe_batch`)."""
        if isinstance(handlers, EveryRecord):
            consumer = handlers.handle
        else:
            consumer = MessageBus(
                handlers,
                units=self.units,
                dead_letters=DeadLetters(
                    self.broker,
                    service=self.name,
                    group_id=group,
                    topic=self.topics.deadletter,
                    counter=self.metrics.dead_letters,
                ),
                declared=self.topics.declared_types,
                attempts=self.settings.handler_attempts,
                backoff_seconds=self.settings.retry_backoff_seconds,
            )
        subscribe_batch(
            self.broker,
            topics,
            group_id=group,
            handler=consumer,
            max_records=max_records,
            title=group,
            description=description,
            linger_seconds=linger_seconds,
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
        )

    def outbox(self) -> Outbox:
        """The service's transactional outbox, its relay started with the service (and
        publishing while this replica holds the service's relay lease); made once."""
        if self.units.outbox is not None:
            return self.units.outbox
        lease = RelayLease(
            self.db["outbox_lease"],
            holder=holder_name(self.name, getattr(self.settings, f"{self.name}_port", None)),
            lease_seconds=self.settings.outbox_lease_seconds,
            renew_seconds=self.settings.outbox_lease_renew_seconds,
        )
        outbox = Outbox(
            self.db,
            self.broker,
            poll_seconds=self.settings.outbox_poll_seconds,
            before_retry=self.provision,
            allowed_topics=self.publishes,
            lease=lease,
        )
        self.on_start.append(outbox.create_indexes)
        self.background.append(outbox.run)
        self.on_stop.append(outbox.stop)
        self.metrics.watch_outbox(self.db["outbox"])
        self.units.outbox = outbox
        return outbox

    async def provision(self) -> None:
        specs = self.topics.for_catalogue(self.catalogue, self.settings)
        await provision_topics(
            self.settings.kafka_bootstrap, specs, self.settings.kafka_replication_factor
        )


def _built_in(settings: Settings) -> dict[str, dict[str, Any]]:
    """The packages served until others are published: the shipped ones, or the
    directory ``catalogue_packages_dir`` names."""
    if settings.catalogue_packages_dir:
        return built_in_documents(Path(settings.catalogue_packages_dir))
    return built_in_documents()


def build_runtime(name: str, settings: Settings, catalogue: Catalogue | None = None) -> Runtime:
    """A service's runtime; ``catalogue`` stands in for the published one (a test's own
    regions, offices and systems)."""
    configure_logging(name, settings.log_level, settings.log_format)
    tracer_provider = configure_tracing(name, settings)  # before the clients it instruments
    metrics = ServiceMetrics(name)
    mongo = make_mongo(settings, name)
    broker = make_broker(
        settings,
        client_id=f"{settings.namespace}-{name}",
        middlewares=[KafkaPrometheusMiddleware(registry=metrics.registry, app_name=name)],
    )
    lag = ConsumerLag(broker, settings, metrics.registry)
    metrics.add_probe("consumer_lag", lag.refresh)
    metrics.add_closer(lag.close)
    runtime = Runtime(
        name=name,
        settings=settings,
        catalogue=LiveCatalogue(_built_in(settings), catalogue),
        broker=broker,
        mongo=mongo,
        db=mongo[settings.database_name(name)],
        topics=Topics(settings.namespace),
        groups=Groups(settings.namespace),
        metrics=metrics,
        personal=Personal(KeyVault.from_settings(mongo, settings)),
        tracer_provider=tracer_provider,
    )
    runtime.declare_publisher(
        [runtime.topics.deadletter], "Records this service could not process, with the reason."
    )
    return runtime


def create_app(
    runtime: Runtime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    version: str = "1.0.0",
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        await wait_for_database(runtime.mongo)
        for hook in runtime.on_start:
            await hook()
        await runtime.provision()
        await runtime.catalogue_feed.catch_up()  # never serve an older catalogue than peers
        await start_broker(runtime.broker)
        tasks = [asyncio.create_task(job(), name=job.__qualname__) for job in runtime.background]
        warn_if_missing()  # a year in use without holidays: said at every start
        log.info("service started", service=runtime.name)
        try:
            yield
        finally:
            for stop in runtime.on_stop:
                stop()
            for task in tasks:
                task.cancel()
            if tasks:
                _, stuck = await asyncio.wait(tasks, timeout=_STOP_SECONDS)
                for task in stuck:  # named, not waited for: stopping must not hang
                    log.error("background task did not stop", task=task.get_name())
            await runtime.metrics.close()
            await runtime.broker.stop()
            await runtime.mongo.close()
            if runtime.tracer_provider is not None:
                runtime.tracer_provider.shutdown()  # flushes the spans not yet exported
            log.info("service stopped", service=runtime.name)

    app = _ServiceApp(
        settings=runtime.settings,
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_components(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    app.add_middleware(CorrelationIdMiddleware)
    app.add_middleware(HttpMetricsMiddleware, metrics=runtime.metrics)
    # For the scraper on the internal network; the public proxy does not route it.
    app.add_route("/metrics", metrics_endpoint(runtime.metrics), include_in_schema=False)
    instrument_app(app, runtime.tracer_provider)

    app.include_router(health_router(runtime.broker, runtime.mongo))
    for router in routers:
        app.include_router(router, responses=problem_responses())
    return app


def operation_id(route: APIRoute) -> str:
    """An operation's id is its route function's name (``submit_application``), so a
    generated client reads ``submit_application(...)``, not FastAPI's default made of
    the name, path and method; tests/unit/test_operation_ids.py keeps them unique."""
    return route.name


class _ServiceApp(EdgeApp):
    def build_middleware_stack(self) -> ASGIApp:
        # Requests are counted outside every middleware of the app, those a service
        # adds after create_app too (intake's body and rate limits answer 413 and 429);
        # the edge (forwarded headers, Secure cookies) stays outside them all.
        self.user_middleware.sort(key=lambda entry: entry.cls is not HttpMetricsMiddleware)
        return super().build_middleware_stack()


class CorrelationIdMiddleware:
    """Every log line of a request, and every event it causes, carries its correlation
    id: the client's ``X-Correlation-Id``, else the proxy's ``X-Request-Id`` (nginx's
    ``$request_id``), each when it looks like an id, else a new one; the response returns
    it so a client can quote it. Plain ASGI: it runs on every request, and Starlette's
    ``BaseHTTPMiddleware`` costs a task group and a stream per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        offered = (headers.get(name, "") for name in ("x-correlation-id", "x-request-id"))
        correlation_id = next((o for o in offered if _ID.fullmatch(o)), None) or uuid7()
        scope.setdefault("state", {})["correlation_id"] = correlation_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Correlation-Id"] = correlation_id
            await send(message)

        with (
            correlated(correlation_id),
            structlog.contextvars.bound_contextvars(correlation_id=correlation_id),
        ):
            await self.app(scope, receive, send_with_id)


def serve(app: FastAPI, host: str, port: int) -> None:
    """Run the service; outside local mode, first refuse settings left at their local
    defaults. Forwarded headers are resolved by the app itself (:mod:`shared.edge`,
    ``MPP_TRUSTED_PROXIES``), so uvicorn's own handling, which trusts loopback
    whatever the settings say, is off."""
    runtime: Runtime = app.state.runtime
    refuse_local_defaults(runtime.settings, runtime.name)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=False,
    )
