"""Processing consumed records: decode, handle with bounded retries, dead-letter.

The rules every consumer follows:

* a record that is not a valid event, or not a type this consumer takes, goes to the
  dead-letter topic at once with the reason — retrying cannot fix it;
* a handler that rejects the event (``ValueError`` or ``LookupError``: an illegal
  transition, an unknown application) dead-letters it at once — the same event will
  be rejected again;
* any other handler error is retried ``handler_attempts`` times with doubling backoff, then the
  record is dead-lettered with the error, its topic, partition and offset; the stream
  carries on;
* an infrastructure outage (database or broker unreachable) is not the record's fault:
  after the retries the error propagates, the batch is not committed, and it is read
  again once the outage ends — nothing valid is dead-lettered because a server was down.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from pymongo.errors import ConnectionFailure, OperationFailure

from shared.events import (
    CONTENT_TYPE,
    DeadLetterData,
    DeadLettered,
    Event,
    InvalidEvent,
    decode,
    encode,
)
from shared.logging import bind_ids
from shared.metrics import ServiceMetrics
from shared.settings import Settings
from shared.topics import Topics
from shared.tracing import traceparent_for

__all__ = ["EventHandler", "EventProcessor", "is_transient"]

log = structlog.get_logger(__name__)

EventHandler = Callable[[Event, ConsumerRecord], Awaitable[None]]


def is_transient(exc: BaseException) -> bool:
    """True for errors caused by an unreachable server rather than by the record."""
    if isinstance(exc, ConnectionFailure | KafkaError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, OperationFailure) and exc.has_error_label("TransientTransactionError")


class EventProcessor:
    """Turns a batch of records into handler calls, in order, one record at a time."""

    def __init__(
        self,
        *,
        service: str,
        broker: KafkaBroker,
        settings: Settings,
        group_id: str,
        handle: EventHandler,
        accepts: tuple[type, ...] | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self._service = service
        self._broker = broker
        self._group_id = group_id
        self._handle = handle
        self._accepts = accepts
        self._attempts = settings.handler_attempts
        self._backoff = settings.retry_backoff_seconds
        self._deadletter_topic = Topics(settings.namespace).deadletter
        self._dead_letters = metrics.dead_letters if metrics is not None else None

    async def __call__(self, records: Sequence[ConsumerRecord]) -> None:
        for record in records:
            await self.process(record)

    async def process(self, record: ConsumerRecord) -> None:
        try:
            event = decode(record.value or b"")
        except InvalidEvent as exc:
            await self.dead_letter(record, exc.reason, 0, None, category="invalid")
            return
        if self._accepts is not None and not isinstance(event, self._accepts):
            await self.dead_letter(
                record,
                f"unexpected event type {event.type} on {record.topic}",
                0,
                event.subject,
                category="unexpected-type",
            )
            return
        with structlog.contextvars.bound_contextvars():
            bind_ids(correlation_id=event.correlation_id, application_id=event.subject)
            await self._handle_with_retries(event, record)

    async def _handle_with_retries(self, event: Event, record: ConsumerRecord) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                await self._handle(event, record)
                return
            except (ValueError, LookupError) as exc:
                await self.dead_letter(
                    record,
                    f"{type(exc).__name__}: {exc}",
                    attempt,
                    event.subject,
                    category="rejected",
                )
                return
            except Exception as exc:
                if attempt == self._attempts:
                    if is_transient(exc):
                        log.warning(
                            "infrastructure unavailable; batch will be re-read",
                            error=type(exc).__name__,
                        )
                        raise
                    reason = f"{type(exc).__name__}: {exc}"
                    await self.dead_letter(
                        record, reason, attempt, event.subject, category="retries-exhausted"
                    )
                    return
                log.info("handler failed; retrying", attempt=attempt, error=type(exc).__name__)
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))

    async def dead_letter(
        self,
        record: ConsumerRecord,
        reason: str,
        attempts: int,
        subject: str | None,
        *,
        category: str,
    ) -> None:
        """Publish the record to the dead-letter topic (awaited: durable before commit),
        counted by its topic and ``category`` (one of ``DEAD_LETTER_REASONS``)."""
        if record.topic == self._deadletter_topic:
            log.error("unreadable dead-letter record left in place", offset=record.offset)
            return
        letter = DeadLettered(
            source=self._service,
            subject=subject or "unknown",
            correlation_id=subject or "unknown",
            data=DeadLetterData(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                consumer_group=self._group_id,
                reason=reason[:2000],
                attempts=attempts,
                payload=(record.value or b"").decode("utf-8", errors="replace")[:100_000],
            ),
        )
        headers = {"content-type": CONTENT_TYPE, "event-type": letter.type, "event-id": letter.id}
        traceparent = traceparent_for(subject or "")
        if traceparent is not None:
            headers["traceparent"] = traceparent
        await self._broker.publish(
            encode(letter),
            self._deadletter_topic,
            key=(subject or record.topic).encode(),
            headers=headers,
        )
        if self._dead_letters is not None:
            self._dead_letters.labels(topic=record.topic, reason=category).inc()
        log.warning(
            "record dead-lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason[:300],
        )
