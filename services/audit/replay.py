"""Replay: the events of a time window, in order, from the audit store or from Kafka.

Both sources give the same sequence — events ordered by their own time, then id (ids are
UUIDv7, so ties break in creation order), each event once — so an auditor can check the
store against the broker. ``--source kafka`` never reads the store: it looks up each
partition's offset for the window's start (``offsets_for_times``) and reads forward.
Kafka keeps only its retention window (the local broker keeps data in memory only).

:func:`stream_kafka` yields the window in order with flat memory: an external sort
(:mod:`services.audit.ordering`) holds one run of events, the consumer fetches at most
128 KiB per partition and 512 KiB in all, and records are taken from it 500 at a time.
The fetch responses are the process's largest allocations; glibc's malloc would raise its
mmap threshold to the largest one freed and from then on carve them out of the heap
between small objects that outlive them, so the heap grew in steps with the window (25
MiB added at 100,000 records, 34–42 MiB at 1,000,000). A replay fixes the threshold at
glibc's initial 128 KiB, so each response is mapped and unmapped on its own.
:func:`replay_kafka` is the same as a list, for small windows.
"""

import ctypes
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faststream.kafka.security import parse_security
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.ordering import RUN_SIZE, ExternalOrder
from services.audit.queries import time_text
from shared.kafka import event_headers, kafka_security
from shared.settings import Settings
from shared.topics import Topics

__all__ = [
    "ReplayQuery",
    "Replayed",
    "in_order",
    "keep_large_allocations_mapped",
    "replay_kafka",
    "replay_store",
    "republish",
    "stream_kafka",
]

CLOCK_SKEW = timedelta(minutes=5)
"""Record timestamps are taken when a message is produced, after the event was created
(the outbox may hold it a while); the Kafka window is widened by this much each side."""
IN_FLIGHT = 10_000
"""Republished records sent before their deliveries are awaited."""
PARTITION_FETCH_BYTES = 128 * 1024
FETCH_BYTES = 512 * 1024
"""The most one fetch brings, per partition and in all: what a replay holds of records
not yet read, besides its run."""
_M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter number for the mmap threshold (glibc's malloc.h)."""
MMAP_THRESHOLD = 128 * 1024
"""glibc's initial mmap threshold, fixed from a replay's start for the rest of the
process (a replay runs in a command of its own)."""


@dataclass(frozen=True)
class Replayed:
    time: str
    event_id: str
    subject: str
    type: str
    raw: bytes
    cloudevent: bool = False
    """Whether ``raw`` is a CloudEvent (its republished record says so in its
    ``content-type``), not an event written before CloudEvents."""


@dataclass(frozen=True)
class ReplayQuery:
    since: datetime
    until: datetime
    application_id: str | None = None
    type: str | None = None

    def parse(self, raw: bytes) -> Replayed | None:
        """The event if ``raw`` is a valid event inside the window and filters."""
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(event, dict):
            return None
        event_id, time, subject = event.get("id"), event.get("time"), event.get("subject")
        if not (isinstance(event_id, str) and isinstance(time, str)):
            return None
        if not time_text(self.since) <= time <= time_text(self.until):
            return None
        if self.application_id is not None and subject != self.application_id:
            return None
        if self.type is not None and event.get("type") != self.type:
            return None
        kind = str(event.get("type"))
        return Replayed(time, event_id, str(subject), kind, raw, "specversion" in event)


def in_order(events: Iterable[Replayed]) -> list[Replayed]:
    """Each event once (a redelivery has the same id), by time then id."""
    unique: dict[str, Replayed] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    return sorted(unique.values(), key=lambda e: (e.time, e.event_id))


async def replay_store(db: AsyncDatabase, query: ReplayQuery) -> list[Replayed]:
    where: dict[str, object] = {
        "valid": True,
        "time": {"$gte": time_text(query.since), "$lte": time_text(query.until)},
    }
    if query.application_id is not None:
        where["subject"] = query.application_id
    if query.type is not None:
        where["type"] = query.type
    found = db["records"].find(where, {"event": 1}, batch_size=5000)
    parsed = [query.parse(doc["event"].encode("utf-8")) async for doc in found]
    return in_order(event for event in parsed if event is not None)


def _millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)


async def replay_kafka(
    settings: Settings, topics: Iterable[str], query: ReplayQuery, idle_polls: int = 10
) -> list[Replayed]:
    """The window read from Kafka, in order, as a list (see :func:`stream_kafka`)."""
    return [event async for event in stream_kafka(settings, topics, query, idle_polls)]


async def stream_kafka(
    settings: Settings,
    topics: Iterable[str],
    query: ReplayQuery,
    idle_polls: int = 10,
    run_size: int = RUN_SIZE,
) -> AsyncIterator[Replayed]:
    """Read ``topics`` from the offsets for the window's start up to each partition's
    end (or past the window's end), without a consumer group; yield the events in
    order once everything is read, holding at most ``run_size`` of them in memory.
    An event whose type is not declared for the registry topic it is on is left out, as
    the store leaves it out of replay (``misplaced``, :mod:`services.audit.log`); a
    topic outside the registry (a benchmark's own) is read as it is."""
    ordered: ExternalOrder[Replayed] = ExternalOrder(run_size)
    keep_large_allocations_mapped()
    try:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
            fetch_max_bytes=FETCH_BYTES,
            **parse_security(kafka_security(settings)),
        )
        await consumer.start()
        try:
            available = await consumer.topics()
            partitions = [
                TopicPartition(topic, partition)
                for topic in topics
                if topic in available
                for partition in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            if not partitions:
                return
            consumer.assign(partitions)
            starts = await consumer.offsets_for_times(
                {tp: _millis(query.since - CLOCK_SKEW) for tp in partitions}
            )
            remaining = set()
            for tp, found in starts.items():
                # no record at or after the start: None (Kafka) or a negative timestamp (Tansu)
                if found is None or found.timestamp < 0:
                    consumer.pause(tp)
                    continue
                consumer.seek(tp, found.offset)
                remaining.add(tp)
            registry = Topics(settings.namespace)

            def declared(topic: str, kind: str) -> bool:
                return registry.kind_of(topic) is None or kind in registry.declared_types(topic)

            await _read(consumer, remaining, query, idle_polls, ordered, declared)
        finally:
            await consumer.stop()
        for event in ordered:
            yield event
    finally:
        ordered.close()


def keep_large_allocations_mapped() -> bool:
    """Fix glibc's mmap threshold at its initial 128 KiB for this process: every larger
    allocation (a fetch response) gets pages of its own, returned when it is freed,
    instead of the threshold rising to the largest one freed and such buffers
    fragmenting the heap. Nothing to do on another C library (False)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


async def _read(
    consumer: AIOKafkaConsumer,
    remaining: set[TopicPartition],
    query: ReplayQuery,
    idle: int,
    into: ExternalOrder[Replayed],
    declared: Callable[[str, str], bool],
) -> None:
    stop_after = _millis(query.until + CLOCK_SKEW)
    idle_left = idle
    while remaining and idle_left:
        batches = await consumer.getmany(*remaining, timeout_ms=200, max_records=500)
        idle_left = idle if batches else idle_left - 1
        for tp, records in batches.items():
            for record in records:
                if record.timestamp > stop_after:
                    remaining.discard(tp)
                    consumer.pause(tp)
                    break
                event = query.parse(record.value or b"")
                if event is not None and declared(tp.topic, event.type):
                    into.add(event)
        for tp in list(remaining):
            # highwater comes with each fetch (Tansu's ListOffsets for the end is unreliable)
            end = consumer.highwater(tp)
            if end is not None and await consumer.position(tp) >= end:
                remaining.discard(tp)
                consumer.pause(tp)


async def republish(
    settings: Settings, topic: str, events: Iterable[Replayed] | AsyncIterable[Replayed]
) -> int:
    """Send replayed events, unchanged, to ``topic`` keyed by application id; sends are
    started without waiting and awaited every :data:`IN_FLIGHT` (memory stays flat)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=settings.kafka_idempotent_producer,
        linger_ms=5,
        **parse_security(kafka_security(settings)),
    )
    await producer.start()
    sent = 0
    try:
        pending = []
        async for event in _each(events):
            if len(pending) >= IN_FLIGHT:
                for delivery in pending:
                    await delivery
                pending = []
            pending.append(
                await producer.send(
                    topic,
                    event.raw,
                    key=event.subject.encode(),
                    headers=[
                        (name, value.encode())
                        for name, value in event_headers(
                            event.type, event.event_id, cloudevent=event.cloudevent, replayed=True
                        ).items()
                    ],
                )
            )
            sent += 1
        for delivery in pending:
            await delivery
    finally:
        await producer.stop()
    return sent


async def _each(
    events: Iterable[Replayed] | AsyncIterable[Replayed],
) -> AsyncIterator[Replayed]:
    if isinstance(events, AsyncIterable):
        async for event in events:
            yield event
    else:
        for event in events:
            yield event
