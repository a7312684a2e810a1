"""How fast notify turns status changes into in-app notices, beside the raw consume rate.

Starts its own local broker and database on free ports (or uses ``MPP_KAFKA_BOOTSTRAP``
and ``MPP_MONGO_URI`` when ``--use-env`` is given), publishes N ``StatusChanged`` events
for citizens with the default preferences (in-app only), then in the same run:

1. reads the whole topic with a plain aiokafka consumer (no processing): the raw rate;
2. runs notify in this process (its real lifespan, consumer group and outbox) and
   times until every notice is stored and every outcome event has left the outbox.

Usage: ``python -m bench.notify [--events 2000]``.
"""

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ops.localstack import LocalStack, free_port
from shared.events import StatusChanged, StatusChangedData, encode
from shared.kafka import provision_topics
from shared.settings import Settings
from shared.topics import Topics


def change(n: int) -> StatusChanged:
    application = f"bench-{n:08d}"
    return StatusChanged(
        source="routing",
        subject=application,
        region="3576",
        correlation_id=application,
        data=StatusChangedData(
            application_id=application,
            tracking_number=f"3576-{n:08d}",
            service="ktp-el",
            region="3576",
            agency="disdukcapil-3576",
            citizen_id=f"citizen-{n % 500:04d}",
            to_status="received",
            sequence=1,
            actor="agency",
        ),
    )


async def produce(settings: Settings, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for n in range(count):
            event = change(n)
            await producer.send(topic, encode(event), key=event.subject.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def raw_consume(settings: Settings, topic: str, count: int) -> float:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen, started = 0, None
        while seen < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            for records in batches.values():
                if started is None and records:
                    started = time.perf_counter()
                seen += len(records)
        await consumer.commit()
        return count / (time.perf_counter() - (started or time.perf_counter()))
    finally:
        await consumer.stop()


async def notify_rate(settings: Settings, count: int) -> tuple[float, float]:
    from services.notify.app import build

    app = build(settings)
    runtime = app.state.runtime
    notices = runtime.db["notifications"]
    async with app.router.lifespan_context(app):
        first = None
        while True:
            stored = await notices.count_documents({})
            if stored and first is None:
                first = time.perf_counter()
            if stored >= count and await runtime.db["outbox"].count_documents({}) == 0:
                break
            await asyncio.sleep(0.05)
        steady = count / (time.perf_counter() - (first or time.perf_counter()))
        return steady, float(stored)


async def run(settings: Settings, count: int) -> None:
    topics = Topics(settings.namespace)
    await provision_topics(
        settings.kafka_bootstrap, Topics(settings.namespace).specs([], 3), settings=settings
    )
    await produce(settings, topics.status, count)
    raw = await raw_consume(settings, topics.status, count)
    notified, stored = await notify_rate(settings, count)
    print(f"events                  {count}")
    print(f"raw consume (aiokafka)  {raw:10.0f} msg/s")
    print(f"notify, in-app notices  {notified:10.0f} notices/s  ({stored:.0f} stored)")
    print(f"ratio                   {notified / raw:10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--use-env", action="store_true")
    args = parser.parse_args()
    os.environ["MPP_NAMESPACE"] = f"bench{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("MPP_LOG_LEVEL", "WARNING")
    stack = None
    data_dir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    if not args.use_env:
        stack = LocalStack(
            kafka_port=free_port(),
            mongo_port=free_port(),
            data_dir=data_dir,
            log_dir=data_dir / "logs",
            fresh_database=True,
        )
        stack.start()
        os.environ["MPP_KAFKA_BOOTSTRAP"] = stack.kafka_bootstrap
        os.environ["MPP_MONGO_URI"] = stack.mongo_uri
    try:
        asyncio.run(run(Settings(), args.events))
    finally:
        if stack is not None:
            stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
