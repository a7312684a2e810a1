"""The one way a service consumes: a handler table, run a poll at a time.

A service declares which handler takes which event type (its ``handlers.py``) and
subscribes the table with :meth:`shared.runtime.Runtime.consume`. For each poll the bus

* decodes every record; one that is not a valid event goes to the dead-letter topic at
  once (``invalid``), as does an event whose type is not declared for the topic it came
  on (:data:`shared.topics.EVENT_TYPES`) or that no handler takes (``unexpected-type``)
  — no retry can fix either. The topic is the authority: Kafka's ACLs say who may write
  to it, and a type only its owner may raise (a citizen's cancellation, an access
  record) is not taken from anyone else's topic, whatever the record's body says;
* skips an event whose id was already seen in the same poll (a republished record; the
  handlers are idempotent across polls, each by its own stored key);
* runs the handlers in the order the records were read, each in a
  :class:`~shared.unit_of_work.UnitOfWork` that knows the records' topics. A
  :class:`Batched` handler takes a run of consecutive events in one unit of work — one
  transaction for the run — and when that fails, the run is taken again one event at a
  time, so one bad event gets its own retries and dead letter while the others pass;
* dead-letters an event a handler refuses (:class:`~shared.errors.Rejected`) at once;
* retries any other handler error ``handler_attempts`` times with doubling backoff,
  then dead-letters the event as a handler failure (``handler-failed``: a bug such as
  a ``KeyError`` — the record itself was valid), with its topic, partition, offset and
  correlation id; the stream carries on;
* lets an unreachable server's error (:func:`is_transient`) propagate after the
  retries: the poll is not committed and is read again once the outage ends — nothing
  valid is dead-lettered because a server was down.

:class:`EveryRecord` is for a reader of the records themselves (the audit log keeps
every record, valid or not, byte for byte): it gets the poll as read.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from pymongo.errors import ConnectionFailure, OperationFailure

from shared.errors import Rejected
from shared.events import (
    DeadLetterData,
    DeadLettered,
    Event,
    InvalidEvent,
    decode,
    encode,
)
from shared.kafka import event_headers
from shared.tracing import traceparent_for
from shared.unit_of_work import Source, UnitOfWork, UnitsOfWork

__all__ = [
    "Batched",
    "DeadLetters",
    "EveryRecord",
    "Handler",
    "HandlerTable",
    "MessageBus",
    "is_transient",
]

log = structlog.get_logger(__name__)

Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
"""Takes one event (of the type it is registered for) and its unit of work."""


@dataclass(frozen=True)
class Batched:
    """A handler for runs of consecutive events, taken together in one unit of work."""

    handle: Callable[[Sequence[Any], UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class EveryRecord:
    """A reader of every record of a poll as read, valid or not."""

    handle: Callable[[Sequence[ConsumerRecord]], Awaitable[None]]


HandlerTable = Mapping[type, Handler | Batched]


def is_transient(exc: BaseException) -> bool:
    """True for errors caused by an unreachable server rather than by the record."""
    if isinstance(exc, ConnectionFailure | KafkaError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, OperationFailure) and exc.has_error_label("TransientTransactionError")


@dataclass(frozen=True)
class _Delivery:
    event: Event
    record: ConsumerRecord

    @property
    def source(self) -> tuple[str, Source]:
        r = self.record
        return self.event.id, Source(r.topic, r.partition, r.offset, r.key)


class DeadLetters:
    """Publishes what a consumer group could not process to the dead-letter topic."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        service: str,
        group_id: str,
        topic: str,
        counter: Any = None,
    ) -> None:
        self._broker = broker
        self._service = service
        self._group_id = group_id
        self.topic = topic
        self._counter = counter

    async def send(
        self,
        record: ConsumerRecord,
        reason: str,
        *,
        category: str,
        attempts: int = 0,
        event: Event | None = None,
    ) -> None:
        """Publish the record with the reason (awaited: durable before the poll's offsets
        are committed), counted by its topic and ``category`` (``DEAD_LETTER_REASONS``)."""
        if record.topic == self.topic:
            log.error("unreadable dead-letter record left in place", offset=record.offset)
            return
        subject = event.subject if event is not None else "unknown"
        letter = DeadLettered(
            source=self._service,
            subject=subject,
            correlation_id=event.correlation_id if event is not None else "unknown",
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
        traceparent = traceparent_for(subject) if event is not None else None
        headers = event_headers(letter.type, letter.id, traceparent=traceparent)
        key = subject if event is not None else record.topic
        await self._broker.publish(encode(letter), self.topic, key=key.encode(), headers=headers)
        if self._counter is not None:
            self._counter.labels(topic=record.topic, reason=category).inc()
        log.warning(
            "record dead-lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            category=category,
            reason=reason[:300],
        )


class MessageBus:
    """Runs one subscription's polls through its handler table (see the module text)."""

    def __init__(
        self,
        handlers: HandlerTable,
        *,
        units: UnitsOfWork,
        dead_letters: DeadLetters,
        declared: Callable[[str], frozenset[str]],
        attempts: int,
        backoff_seconds: float,
    ) -> None:
        """``declared`` names the event types a topic may carry
        (:meth:`shared.topics.Topics.declared_types`)."""
        self._handlers = dict(handlers)
        self._declared = declared
        self._units = units
        self._dead_letters = dead_letters
        self._attempts = attempts
        self._backoff = backoff_seconds

    @property
    def accepts(self) -> tuple[type, ...]:
        return tuple(self._handlers)

    def handler_for(self, event: Event) -> Handler | Batched | None:
        for cls in type(event).__mro__:
            if cls in self._handlers:
                return self._handlers[cls]
        return None

    async def __call__(self, records: Sequence[ConsumerRecord]) -> None:
        deliveries = await self._decode(records)
        for handler, run in _runs(deliveries, self.handler_for):
            together = isinstance(handler, Batched) and len(run) > 1
            if together and await self._run_together(handler, run):  # type: ignore[arg-type]
                continue
            for delivery in run:
                await self._handle_one(handler, delivery)

    async def _decode(self, records: Sequence[ConsumerRecord]) -> list[_Delivery]:
        deliveries: list[_Delivery] = []
        seen: set[str] = set()
        for record in records:
            try:
                event = decode(record.value or b"")
            except InvalidEvent as exc:
                await self._dead_letters.send(record, exc.reason, category="invalid")
                continue
            reason = self._unexpected(event, record.topic)
            if reason is not None:
                await self._dead_letters.send(
                    record, reason, category="unexpected-type", event=event
                )
                continue
            if event.id in seen:
                continue  # the same event twice in one poll: a republished record
            seen.add(event.id)
            deliveries.append(_Delivery(event, record))
        return deliveries

    def _unexpected(self, event: Event, topic: str) -> str | None:
        """Why ``event`` is not taken from ``topic``; None when it is."""
        if event.type not in self._declared(topic):
            return (
                f"unexpected event type {event.type} on {topic}: not declared for that "
                "topic (shared/topics.py); only the topic's own producers may raise it"
            )
        if self.handler_for(event) is None:
            return f"unexpected event type {event.type} on {topic}"
        return None

    async def _run_together(self, handler: Batched, run: list[_Delivery]) -> bool:
        """True when the run was handled in one unit of work."""
        try:
            await handler.handle([d.event for d in run], self._units([d.source for d in run]))
            return True
        except Exception as exc:
            log.warning(
                "the run failed together; taking it one at a time",
                error=type(exc).__name__,
                count=len(run),
            )
            return False

    async def _handle_one(self, handler: Handler | Batched, delivery: _Delivery) -> None:
        event, record = delivery.event, delivery.record
        with structlog.contextvars.bound_contextvars(
            correlation_id=event.correlation_id, application_id=event.subject
        ):
            for attempt in range(1, self._attempts + 1):
                try:
                    uow = self._units([delivery.source])
                    if isinstance(handler, Batched):
                        await handler.handle([event], uow)
                    else:
                        await handler(event, uow)
                    return
                except Rejected as exc:
                    await self._dead_letters.send(
                        record,
                        f"{type(exc).__name__}: {exc}",
                        category="rejected",
                        attempts=attempt,
                        event=event,
                    )
                    return
                except Exception as exc:
                    if attempt < self._attempts:
                        log.info(
                            "handler failed; retrying", attempt=attempt, error=type(exc).__name__
                        )
                        await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
                        continue
                    if is_transient(exc):
                        log.warning(
                            "infrastructure unavailable; the poll will be read again",
                            error=type(exc).__name__,
                        )
                        raise
                    await self._dead_letters.send(
                        record,
                        f"{type(exc).__name__}: {exc}",
                        category="handler-failed",
                        attempts=attempt,
                        event=event,
                    )


def _runs(
    deliveries: list[_Delivery], handler_for: Callable[[Event], Handler | Batched | None]
) -> Iterator[tuple[Handler | Batched, list[_Delivery]]]:
    """Consecutive deliveries of the same :class:`Batched` handler together; every other
    delivery on its own."""
    run: list[_Delivery] = []
    current: Handler | Batched | None = None
    for delivery in deliveries:
        handler = handler_for(delivery.event)
        assert handler is not None
        if run and (handler is not current or not isinstance(handler, Batched)):
            yield current, run  # type: ignore[misc]
            run = []
        current = handler
        run.append(delivery)
    if run:
        yield current, run  # type: ignore[misc]
