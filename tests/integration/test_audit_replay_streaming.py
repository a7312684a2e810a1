"""Replay from Kafka streams the window with runs spilled to disk, on the real broker, and
gives exactly what reading the whole window and sorting it in memory gave."""

import random
from datetime import timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.audit.replay import ReplayQuery, in_order, stream_kafka
from shared.events import StatusChanged, StatusChangedData, encode, utcnow
from shared.kafka import provision_topics
from shared.settings import Settings
from shared.topics import TopicSpec


def change(application: str, sequence: int, at_seconds: float) -> bytes:
    event = StatusChanged(
        source="routing",
        subject=application,
        region="3576",
        correlation_id=application,
        time=utcnow() - timedelta(seconds=at_seconds),
        data=StatusChangedData(
            application_id=application,
            tracking_number=f"3576-{application}",
            service="ktp-el",
            region="3576",
            agency="disdukcapil-3576",
            to_status="received",
            sequence=sequence,
            actor="agency",
        ),
    )
    return encode(event)


async def test_streamed_replay_equals_the_in_memory_replay_of_the_same_topic(settings: Settings):
    topic = f"{settings.namespace}.replay-streaming"
    await provision_topics(settings.kafka_bootstrap, [TopicSpec(topic, 3)], settings=settings)
    rng = random.Random(7)
    values = [
        (f"app-{n % 23}", change(f"app-{n % 23}", n + 1, rng.uniform(0, 30))) for n in range(240)
    ]
    values += rng.sample(values, 30)  # redelivered: the same event produced again
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=5)
    await producer.start()
    try:
        for key, value in values:
            await producer.send(topic, value, key=key.encode())
        await producer.flush()
    finally:
        await producer.stop()
    query = ReplayQuery(utcnow() - timedelta(minutes=1), utcnow() + timedelta(minutes=1))

    streamed = [e.raw async for e in stream_kafka(settings, [topic], query, run_size=16)]

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    read = []
    try:
        while len(read) < len(values):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                read += [query.parse(record.value) for record in records]
    finally:
        await consumer.stop()
    expected = [e.raw for e in in_order(e for e in read if e is not None)]
    assert len(expected) == 240
    assert streamed == expected
