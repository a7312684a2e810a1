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
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from shared.events import CONTENT_TYPE
from shared.settings import Settings, get_settings
from shared.topics import TopicSpec
from shared.tracing import consuming

__all__ = [
    "BatchHandler",
    "event_headers",
    "kafka_security",
    "make_broker",
    "provision_topics",
    "subscribe_batch",
    "topic_retention_ms",
]

log = structlog.get_logger(__name__)

BatchHandler = Callable[[Sequence[ConsumerRecord]], Awaitable[None]]

_TOPIC_ALREADY_EXISTS = 36
_FETCH_MAX_WAIT_MS = 50
_BATCH_TIMEOUT_MS = 20
LINGER_BELOW = 32
"""A lingering consumer waits after a poll of fewer records than this (see
:func:`subscribe_batch`)."""

_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def event_headers(
    event_type: str,
    event_id: str,
    *,
    correlation_id: str | None = None,
    traceparent: str | None = None,
    cloudevent: bool = True,
    replayed: bool = False,
) -> dict[str, str]:
    """The Kafka headers of every event the platform publishes, built here only.

    ``content-type`` says the value is a structured-mode CloudEvent (absent for a
    replayed record that was not one); ``event-type`` and ``event-id`` let a consumer
    route and dedupe without parsing the value; ``correlation-id`` and ``traceparent``
    carry the request and its trace; ``replayed`` marks a copy an auditor republished.
    Nothing personal ever travels in a header: these are ids and types only."""
    headers = {"content-type": CONTENT_TYPE} if cloudevent else {}
    headers |= {"event-type": event_type, "event-id": event_id}
    if correlation_id is not None:
        headers["correlation-id"] = correlation_id
    if traceparent is not None:
        headers["traceparent"] = traceparent
    if replayed:
        headers["replayed"] = "true"
    return headers


def kafka_security(settings: Settings) -> BaseSecurity | None:
    """How this process authenticates to Kafka: ``None`` (PLAINTEXT, the local stack), TLS,
    or SASL (the secure deployment: SCRAM-SHA-512, one principal per service)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    use_ssl = protocol in ("SSL", "SASL_SSL")
    ssl_context = ssl.create_default_context() if use_ssl else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=ssl_context, use_ssl=True)
    mechanism, username = settings.kafka_sasl_mechanism, settings.kafka_sasl_username
    password = settings.kafka_sasl_password
    if mechanism is None or not username or password is None:
        raise ValueError(
            f"MPP_KAFKA_SECURITY_PROTOCOL={protocol} needs MPP_KAFKA_SASL_MECHANISM, "
            "MPP_KAFKA_SASL_USERNAME and MPP_KAFKA_SASL_PASSWORD"
        )
    return _SASL[mechanism](
        username, password.get_secret_value(), ssl_context=ssl_context, use_ssl=use_ssl
    )


def make_broker(settings: Settings, client_id: str, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        security=kafka_security(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotent_producer,
        linger_ms=2,
        request_timeout_ms=10_000,
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,  # per-message Received/Processed lines only when debugging
        graceful_timeout=10.0,
        middlewares=middlewares,
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
    linger_seconds: float = 0.0,
    session_timeout_ms: int = 10_000,
) -> Any:
    """Subscribe ``handler`` to ``topics`` as one consumer group member.

    The handler receives the raw records of one poll (topic, partition, offset, key,
    value) in order; the offsets are committed after it returns. With
    ``linger_seconds``, a small poll (fewer than ``LINGER_BELOW`` records) is followed
    by that wait before the next: the records the consumer fetched meanwhile come in one
    poll, a group's cost per poll paid once for them (for a consumer whose latency
    nobody waits on). A larger poll means records are waiting: no wait then, so a
    consumer that fell behind catches up at full speed.
    """

    async def consume(body: Any, msg: KafkaMessage) -> None:
        with consuming(msg.raw_message, group_id):
            await handler(msg.raw_message)
        if linger_seconds and len(msg.raw_message) < LINGER_BELOW:
            await asyncio.sleep(linger_seconds)

    consume.__name__ = f"consume_{group_id.replace('.', '_').replace('-', '_')}"
    return router.subscriber(
        *topics,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        # Latency: an idle consumer's fetch is held by the broker up to fetch_max_wait_ms
        # (the default 500 ms measured as ~125 ms p50 / ~240 ms p90 per hop on the local
        # broker), and FastStream sleeps batch_timeout_ms after an empty poll. Short
        # waits cost a few idle requests a second and keep each hop to tens of ms.
        batch_timeout_ms=_BATCH_TIMEOUT_MS,
        fetch_max_wait_ms=_FETCH_MAX_WAIT_MS,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=1_000,
        max_poll_interval_ms=120_000,
        decoder=_leave_undecoded,
        title=title,
        description=description,
    )(consume)


async def start_broker(broker: KafkaBroker) -> None:
    """Connect ``broker`` and start its subscribers side by side.

    A consumer's start returns once its group has assigned it partitions, and the broker
    holds a new group's first join for a while (half the session timeout on the local
    broker, ``group.initial.rebalance.delay.ms`` on Apache Kafka): started one after the
    other, as ``KafkaBroker.start`` does, a service with three consumer groups waits
    three times. Each subscriber has a consumer of its own, so starting them at once is
    safe; the publishers start after, as there.
    """
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


async def _leave_undecoded(_message: Any) -> None:
    """Handlers read the raw records; decoding every body here would be wasted work."""
    return None


def _new_topic(spec: TopicSpec, replication_factor: int) -> NewTopic:
    configs = {"cleanup.policy": "compact"} if spec.compacted else {}
    return NewTopic(spec.name, spec.partitions, replication_factor, topic_configs=configs)


async def provision_topics(
    bootstrap: str,
    specs: Sequence[TopicSpec],
    replication_factor: int = 1,
    timeout: float = 30.0,
    *,
    settings: Settings | None = None,
) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are.

    The connection's security comes from ``settings`` (the process's settings when
    omitted), through the same mapping the broker uses.
    """
    security = parse_security(kafka_security(settings or get_settings()))
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=5_000, **security
        )
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [spec for spec in specs if spec.name not in existing]
            if missing:
                response = await admin.create_topics(
                    [_new_topic(spec, replication_factor) for spec in missing]
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


async def topic_retention_ms(settings: Settings, topics: Sequence[str]) -> int | None:
    """The longest ``retention.ms`` the broker reports for ``topics`` (-1: kept forever),
    or None when it reports none (the local broker answers with no configuration)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=5_000,
        **parse_security(kafka_security(settings)),
    )
    try:
        await admin.start()
        responses = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, topic, {"retention.ms": None})
                for topic in topics
            ]
        )
    finally:
        await admin.close()
    found: list[int] = []
    for response in responses:
        for _code, _message, _type, _name, entries, *_ in response.resources:
            found += [int(entry[1]) for entry in entries if entry[0] == "retention.ms" and entry[1]]
    if not found:
        return None
    return -1 if -1 in found else max(found)
