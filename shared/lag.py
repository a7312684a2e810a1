"""Consumer lag: how many records each consumer group of this service has yet to read.

Lag per group, topic and partition is the partition's end offset minus the offset the
group last committed (the log start offset when it never committed: the group starts
at the earliest record). It is asked of the broker when ``/metrics`` is scraped and
kept a few seconds, so several scrapers cost one round of requests:

* committed offsets from the group coordinator, with an admin client of its own
  (one ``OffsetFetch`` per group, for every partition of the group's topics);
* end offsets through the service's own consumer for that group (``ListOffsets``).

Committed offsets, not the consumers' positions in memory: a consumer that is stuck or
paused stops committing, and its lag then grows, which is the point. Every process of a
service reports the lag of the whole group (all partitions, not only those assigned to
it), so with several replicas take ``max by (group, topic, partition)``; a group whose
every process is down reports nothing — the scrape target being down alerts then.
"""

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from faststream.kafka.security import parse_security
from prometheus_client import CollectorRegistry, Gauge

from shared.kafka import kafka_security
from shared.settings import Settings

__all__ = ["ConsumerLag"]

CACHE_SECONDS = 2.0
"""How long one reading serves scrapes (Prometheus scrapes every 15 s)."""


class ConsumerLag:
    def __init__(
        self, broker: KafkaBroker, settings: Settings, registry: CollectorRegistry
    ) -> None:
        self._broker = broker
        self._settings = settings
        self._admin: AIOKafkaAdminClient | None = None
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()
        self.lag = Gauge(
            "mpp_consumer_lag",
            "Records not yet consumed: end offset minus the group's committed offset.",
            ["group", "topic", "partition"],
            registry=registry,
        )

    async def refresh(self) -> None:
        async with self._lock:
            now = asyncio.get_running_loop().time()
            if now - self._read_at < CACHE_SECONDS:
                return
            readings: dict[tuple[str, str, str], int] = {}
            for group, consumer in self._consumers():
                readings |= await self._read_group(group, consumer)
            self.lag.clear()
            for labels, value in readings.items():
                self.lag.labels(*labels).set(value)
            self._read_at = now

    def _consumers(self) -> list[tuple[str, AIOKafkaConsumer]]:
        found = []
        for subscriber in self._broker.subscribers:
            consumer = getattr(subscriber, "consumer", None)
            group = getattr(subscriber, "group_id", None)
            if consumer is not None and group:
                found.append((group, consumer))
        return found

    async def _read_group(
        self, group: str, consumer: AIOKafkaConsumer
    ) -> dict[tuple[str, str, str], int]:
        partitions = [
            TopicPartition(topic, partition)
            for topic in sorted(consumer.subscription())
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return {}
        admin = await self._admin_client()
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        ends = await consumer.end_offsets(partitions)
        never = [tp for tp in partitions if committed.get(tp) is None or committed[tp].offset < 0]
        starts = await consumer.beginning_offsets(never) if never else {}
        readings = {}
        for tp in partitions:
            done = starts[tp] if tp in starts else committed[tp].offset
            readings[(group, tp.topic, str(tp.partition))] = max(ends[tp] - done, 0)
        return readings

    async def _admin_client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self._settings.kafka_bootstrap,
                client_id=f"{self._settings.namespace}-lag",
                request_timeout_ms=5_000,
                **parse_security(kafka_security(self._settings)),
            )
            await admin.start()
            self._admin = admin
        return self._admin

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
