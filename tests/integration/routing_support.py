"""Helpers for routing's tests: submitted events, publishing, reading topics, and a real
HTTP server for webhook receivers."""

import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition

from ops.localstack import LocalStack, free_port
from shared.events import ApplicationSubmitted, Event, SubmittedData, decode, encode, utcnow
from shared.ids import uuid7
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def submitted(
    service: str = "izin-praktik-nakes",
    region: str = "3514",
    *,
    sla_due_at: datetime | None = None,
    form: dict | None = None,
) -> ApplicationSubmitted:
    application_id = uuid7()
    return ApplicationSubmitted(
        source="intake",
        subject=application_id,
        region=region,
        correlation_id=uuid7(),
        data=SubmittedData(
            application_id=application_id,
            tracking_number=f"{region}-{application_id[-6:]}",
            service=service,
            region=region,
            channel="web",
            citizen_id="citizen-1",
            form=form or {"profession": "bidan"},
            submitted_at=utcnow(),
            sla_due_at=sla_due_at or utcnow() + timedelta(days=10),
        ),
    )


async def publish(runtime: Any, topic: str, event: Any) -> None:
    await runtime.broker.publish(encode(event), topic, key=event.subject.encode())


async def publish_raw(runtime: Any, topic: str, value: bytes, key: bytes = b"poison") -> None:
    await runtime.broker.publish(value, topic, key=key)


async def read_events(
    bootstrap: str,
    topic: str,
    until: Callable[[list[Event]], bool],
    timeout: float = 15,
) -> list[Event]:
    """Every event on ``topic`` from the start, read until ``until(events)`` holds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    events: list[Event] = []
    try:
        deadline = time.monotonic() + timeout
        partitions: set[int] | None = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.2)
        assert partitions, f"topic {topic} does not exist"
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                events += [decode(record.value) for record in records]
            if until(events):
                return events
        raise AssertionError(f"{topic}: condition not met; read {len(events)} events")
    finally:
        await consumer.stop()


@contextlib.asynccontextmanager
async def http_server(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``app`` over real HTTP on a loopback port (a free one unless given), with its
    lifespan; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", log_config=None
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def running_routing(
    stack: LocalStack, port: int | None = None, catalogue: Any = None, **overrides: Any
) -> AsyncIterator[tuple[Any, str]]:
    """Routing on its own namespace, served over real HTTP (agency systems call it back),
    for a module of tests to share (with ``catalogue`` in place of the published one when
    given); yields the app and its base URL."""
    from services.routing.app import build

    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        retry_backoff_seconds=0.05,
        **overrides,
    )
    app = build(settings, catalogue)
    async with http_server(app, port) as url:
        yield app, url


async def run_cli(stack: LocalStack, namespace: str, *args: str) -> tuple[int, str]:
    """Run the operator CLI (``python -m ops ...``) against one namespace; returns its
    exit code and output."""
    env = {
        **os.environ,
        "MPP_MONGO_URI": stack.mongo_uri,
        "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "MPP_NAMESPACE": namespace,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ops",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    return process.returncode or 0, output.decode()


_STATUSES = (
    "routed",
    "received",
    "in_review",
    "needs_info",
    "approved",
    "rejected",
    "completed",
    "cancelled",
    "routing_failed",
)


def application_documents(
    count: int, now: datetime, *, prefix: str = "gen", counted: bool = False
) -> list[dict[str, Any]]:
    """``count`` application documents shaped as routing stores them, spread over the
    catalogue's services and regions and every status, for tests that need many
    applications without routing each one: insert them into routing's ``applications``.

    Times fall on whole hours (the dashboard's histogram is exact then). Open ones are
    marked ``sla_open`` as routing marks them; ``counted`` says whether they are on the
    dashboard's counters already (False: as if stored before the counters existed)."""
    from services.routing.sla import clock_running
    from shared.catalogue import load_catalogue

    catalogue = load_catalogue()
    pairs = [
        (service.code, region, agency.code)
        for service in catalogue.services
        for region in ("3514", "3576", "3671", "3574")
        if (agency := catalogue.agency_for(service.code, region)) is not None
    ]
    hour = timedelta(hours=1)
    base = now.replace(minute=0, second=0, microsecond=0)
    documents = []
    for n in range(count):
        service, region, agency = pairs[n % len(pairs)]
        status = _STATUSES[(n * 7) % len(_STATUSES)]
        submitted_at = base - (24 * 40 - n % 500) * hour
        due = submitted_at + (24 * (5 + n % 30)) * hour
        decided = status in ("approved", "rejected", "completed")
        document: dict[str, Any] = {
            "_id": f"{prefix}-{n:07d}",
            "tracking_number": f"{region}-{n:07d}",
            "service": service,
            "region": region,
            "citizen_id": f"citizen-{n % 997}",
            "agency": None if status == "routing_failed" else agency,
            "handler_kind": None if status == "routing_failed" else "workbench",
            "status": status,
            "sequence": 2,
            "submitted_at": submitted_at,
            "sla_due_at": due,
            "sla_breached": False,
            "updated_at": submitted_at + (24 * 3 + n % 300) * hour,
            "decided_at": submitted_at + (n % 900) * hour if decided else None,
            "correlation_id": f"{prefix}-{n:07d}",
        }
        if counted:
            document["counted"] = True
        if clock_running(document):
            document["sla_open"] = True
        documents.append(document)
    return documents


async def counted_and_full(app: Any, now: datetime) -> tuple[Any, Any]:
    """The dashboard's figures from its counters, and the same figures counted from every
    application document (the definition the counters must meet)."""
    from services.routing.dashboard_counts import overdue_until
    from services.routing.sla import escalated_query
    from services.routing.web.dashboard import summarise, summary_from_counts

    applications = app.state.runtime.db["applications"]
    counts = await app.state.parts.counts.read()
    until = overdue_until(counts, 50)
    overdue = []
    if until is not None:
        found = applications.find(escalated_query(until)).sort([("sla_due_at", 1), ("_id", 1)])
        overdue = await found.limit(50).to_list(50)
    counted = summary_from_counts(counts, overdue)
    full = summarise(await applications.find({}).to_list(None), now)
    return counted, full


def assert_same_figures(counted: Any, full: Any) -> None:
    assert counted.total == full.total
    for rows in ("by_region", "by_agency", "by_service", "by_status", "by_channel"):
        assert dict(getattr(counted, rows)) == dict(getattr(full, rows)), rows
    assert counted.decided == full.decided
    assert counted.median_days_to_decision == full.median_days_to_decision
    assert counted.within_sla_share == full.within_sla_share
    assert counted.overdue_total == full.overdue_total
    assert [a["sla_due_at"] for a in counted.overdue] == [a["sla_due_at"] for a in full.overdue]


@dataclass
class RoutingWorld:
    """A test's running routing app, and what tests read of it by name."""

    app: Any

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    @property
    def topics(self) -> Any:
        return self.runtime.topics

    @property
    def applications(self) -> Any:
        return self.runtime.db["applications"]
