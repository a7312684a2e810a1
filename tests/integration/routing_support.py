"""Helpers for routing's tests: submitted events, publishing, reading topics, and a real
HTTP server for webhook receivers."""

import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
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
    stack: LocalStack, port: int | None = None, **overrides: Any
) -> AsyncIterator[tuple[Any, str]]:
    """Routing on its own namespace, served over real HTTP (agency systems call it back),
    for a module of tests to share; yields the app and its base URL."""
    from services.routing.app import build

    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        retry_backoff_seconds=0.05,
        **overrides,
    )
    app = build(settings)
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
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, output.decode()
