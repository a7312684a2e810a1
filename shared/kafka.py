"""Kafka helpers: the broker factory, topic provisioning, and the one way to subscribe.

Delivery rules (see ``docs/delivery.md``):

* producers wait for ``acks=all``; the idempotent producer is a setting (on for Apache
  Kafka, off for the local broker, which rejects ``InitProducerId``);
* every subscriber is a batch subscriber with an explicit ``group_id`` and
  ``AckPolicy.NACK_ON_ERROR``: offsets are committed once per batch after the batch is
  processed, and a batch that fails on infrastructure is read again (at-least-once);
  consumers dedupe by event id, so a second read changes nothing.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.settings import Settings
from shared.topics import TopicSpec

__all__ = ["BatchHandler", "make_broker", "provision_topics", "subscribe_batch"]

log = structlog.get_logger(__name__)

BatchHandler = Callable[[Sequence[ConsumerRecord]], Awaitable[None]]

_TOPIC_ALREADY_EXISTS = 36


def make_broker(settings: Settings, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotent_producer,
        linger_ms=2,
        request_timeout_ms=10_000,
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,  # per-message Received/Processed lines only when debugging
        graceful_timeout=10.0,
    )


def subscribe_batch(
    router: KafkaRouter | KafkaBroker,
    topics: Sequence[str],
    *,
    group_id: str,
    handler: BatchHandler,
    max_records: int = 500,
    title: str | None = None,
    description: str | None = None,
) -> Any:
    """Subscribe ``handler`` to ``topics`` as one consumer group member.

    The handler receives the raw records of one poll (topic, partition, offset, key,
    value) in order; the offsets are committed after it returns.
    """

    async def consume(body: Any, msg: KafkaMessage) -> None:
        await handler(msg.raw_message)

    consume.__name__ = f"consume_{group_id.replace('.', '_').replace('-', '_')}"
    return router.subscriber(
        *topics,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=1_000,
        max_poll_interval_ms=120_000,
        decoder=_leave_undecoded,
        title=title,
        description=description,
    )(consume)


async def _leave_undecoded(_message: Any) -> None:
    """Handlers read the raw records; decoding every body here would be wasted work."""
    return None


async def provision_topics(
    bootstrap: str,
    specs: Sequence[TopicSpec],
    replication_factor: int = 1,
    timeout: float = 30.0,
) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [spec for spec in specs if spec.name not in existing]
            if missing:
                response = await admin.create_topics(
                    [NewTopic(s.name, s.partitions, replication_factor) for s in missing]
                )
                for topic, code, message in response.topic_errors:
                    if code not in (0, _TOPIC_ALREADY_EXISTS):
                        raise KafkaError(f"creating {topic}: {message}")
                log.info("topics provisioned", created=[s.name for s in missing])
            return
        except (KafkaError, OSError) as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("broker not ready for provisioning", error=str(exc))
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
