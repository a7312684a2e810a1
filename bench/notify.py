"""How fast notify turns status changes into in-app notices, beside the same work done
with the bare drivers.

Starts its own local broker and database on free ports (or uses ``MPP_KAFKA_BOOTSTRAP``
and ``MPP_MONGO_URI`` when ``--use-env`` is given), publishes N ``StatusChanged`` events
for citizens with the default preferences (in-app only), then in the same run:

1. runs notify in this process (its real lifespan, consumer group and outbox) and
   times until every notice is stored and every outcome event has left the outbox;
2. **same-work baseline** (:mod:`bench.baseline`): the notices notify stored and the
   records it produced are captured; a plain aiokafka consumer reads the same status
   topic and, per poll, writes those notices with PyMongo in one transaction (same
   indexes) and produces those records with aiokafka;
3. reads the whole topic with a plain aiokafka consumer and no processing (the
   broker's own limit, in the notes only).

Usage: ``python -m bench.notify [--events 2000]``.
"""

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from bench.baseline import capture, same_work
from bench.common import Figure, local_stack, report
from shared.events import StatusChanged, StatusChangedData, encode
from shared.kafka import provision_topics
from shared.mongo import make_mongo
from shared.settings import Settings
from shared.topics import Topics, TopicSpec


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


async def notify_rate(settings: Settings, count: int) -> tuple[float, float, int]:
    """Notices per second from the first stored notice until every notice is stored and
    every outcome event has left the outbox; also the whole time including start-up."""
    from services.notify.app import build

    app = build(settings)
    runtime = app.state.runtime
    notices = runtime.db["notifications"]
    started = time.perf_counter()
    async with app.router.lifespan_context(app):
        first = None
        while True:
            stored = await notices.estimated_document_count()
            if stored and first is None:
                first = time.perf_counter()
            if stored >= count and await runtime.db["outbox"].find_one({}, {"_id": 1}) is None:
                break
            await asyncio.sleep(0.05)
        finished = time.perf_counter()
        steady = count / (finished - (first or finished))
        return steady, finished - started, stored


async def run(settings: Settings, count: int) -> None:
    topics = Topics(settings.namespace)
    target = f"{settings.namespace}.baseline.out"
    specs = [*topics.specs([], 3), TopicSpec(target, 3)]
    await provision_topics(settings.kafka_bootstrap, specs, settings=settings)
    await produce(settings, topics.status, count)
    notified, total_seconds, stored = await notify_rate(settings, count)
    if stored != count:
        raise SystemExit(f"expected {count} notices, found {stored}")
    mongo: AsyncMongoClient = make_mongo(settings, "bench-baseline")
    try:
        db = mongo[settings.database_name("notify")]
        captured = await capture(
            db,
            ["notifications"],
            settings.kafka_bootstrap,
            [topics.notifications],
            key_field="application_id",
        )
        same = await same_work(
            mongo, settings.kafka_bootstrap, topics.status, target, captured, count
        )
    finally:
        await mongo.close()
    raw = await raw_consume(settings, topics.status, count)
    report(
        "notify",
        [
            Figure(
                "in-app notices (status change to inbox + event)",
                notified,
                "notices/s",
                baseline=same,
                baseline_name="same work, bare drivers: consume, one PyMongo transaction "
                "per poll, produce with aiokafka",
                aim="ratio >= 0.5",
                met=notified / same >= 0.5,
            )
        ],
        notes=(
            f"{count} StatusChanged events for 500 citizens with in-app only. Notify runs "
            "in-process with its real lifespan; a poll's status changes are stored in one "
            "MongoDB transaction (the notices with insert_many, one outbox row holding every "
            "event) and each NotificationStatusChanged event is relayed to Kafka. The rate is "
            "timed from the first stored notice (the consumer group join is left out; "
            f"start-up to last event took {total_seconds:.1f} s in all). Same-work baseline: "
            f"{captured.document_count} notices written and {captured.record_count} records "
            "produced (notify ran first, then the baseline on the same stack; notify's "
            "contacts lookup, dedupe and outbox are what the ratio measures). Reading the "
            f"topic with no processing: {raw:,.0f} records/s."
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--use-env", action="store_true")
    args = parser.parse_args()
    os.environ["MPP_NAMESPACE"] = f"bench{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("MPP_LOG_LEVEL", "WARNING")
    if args.use_env:
        asyncio.run(run(Settings(), args.events))
        return
    with (
        tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp,
        local_stack(Path(tmp)) as stack,
    ):
        os.environ["MPP_KAFKA_BOOTSTRAP"] = stack.kafka_bootstrap
        os.environ["MPP_MONGO_URI"] = stack.mongo_uri
        asyncio.run(run(Settings(), args.events))


if __name__ == "__main__":
    main()
