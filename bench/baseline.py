"""A same-work baseline for a consuming stage: the bare drivers doing the work no
implementation of the stage can avoid.

After the stage has run, the benchmark takes what it wrote and produced (:func:`capture`):
the documents in its collections and the records on its output topics, each by
application id. The baseline then reads the same input topic with a plain aiokafka
consumer and, for each poll, writes the same documents with PyMongo in one transaction
(into collections with the same indexes, in a database of its own), produces the same
records with aiokafka (sends started together, awaited once), and commits the offsets.
What the stage does beyond that — its dedupe lookup, its outbox, its counts, its
framework — is what the ratio measures.
"""

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["Captured", "capture", "same_work"]

Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]


@dataclass
class Captured:
    """What a stage wrote and produced, by application id."""

    documents: dict[str, dict[str, list[dict]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    """collection -> application id -> documents."""
    indexes: dict[str, list[tuple[list[tuple[str, Any]], dict[str, Any]]]] = field(
        default_factory=dict
    )
    records: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))

    @property
    def document_count(self) -> int:
        return sum(len(d) for by in self.documents.values() for d in by.values())

    @property
    def record_count(self) -> int:
        return sum(len(r) for r in self.records.values())


async def capture(
    db: AsyncDatabase,
    collections: Sequence[str],
    bootstrap: str,
    topics: Sequence[str],
    key_field: str = "_id",
) -> Captured:
    """The documents of ``collections`` (by ``key_field``) and every record of
    ``topics`` (by key)."""
    captured = Captured()
    for name in collections:
        info = await db[name].index_information()
        captured.indexes[name] = [
            (
                spec["key"],
                {
                    k: v
                    for k, v in spec.items()
                    if k in ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")
                },
            )
            for index, spec in info.items()
            if index != "_id_"
        ]
        async for document in db[name].find({}):
            captured.documents[name][str(document[key_field])].append(document)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in (await consumer._client.fetch_all_metadata()).partitions_for_topic(topic) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        idle = 0
        while idle < 5:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            idle = 0 if batches else idle + 1
            for records in batches.values():
                for record in records:
                    key = (record.key or b"").decode()
                    captured.records[key].append(
                        (record.value, record.key, list(record.headers or ()))
                    )
    finally:
        await consumer.stop()
    return captured


async def same_work(
    mongo: AsyncMongoClient,
    bootstrap: str,
    source: str,
    target: str,
    captured: Captured,
    count: int,
    max_records: int = 500,
) -> float:
    """Inputs per second: consume ``count`` records of ``source``; per poll, one
    transaction writing the captured documents of the polled applications and the
    captured records produced to ``target``; timed from the first record consumed."""
    db = mongo[f"bench_baseline_{uuid.uuid4().hex[:6]}"]
    for name, specs in captured.indexes.items():
        await db.create_collection(name)
        for keys, options in specs:
            await db[name].create_index(keys, **options)
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"bench-same-work-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        done, started = 0, None
        while done < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=max_records)
            keys = [(r.key or b"").decode() for records in batches.values() for r in records]
            if not keys:
                continue
            started = started or time.perf_counter()
            async with mongo.start_session() as session, await session.start_transaction():
                for name, by_key in captured.documents.items():
                    documents = [d for key in keys for d in by_key.get(key, ())]
                    if documents:
                        await db[name].insert_many(documents, session=session)
            sent = [
                await producer.send(target, value, key=key, headers=headers)
                for application in keys
                for value, key, headers in captured.records.get(application, ())
            ]
            await asyncio.gather(*sent)
            await consumer.commit()
            done += len(keys)
        return count / (time.perf_counter() - (started or time.perf_counter()))
    finally:
        await producer.stop()
        await consumer.stop()
