"""The transactional outbox: persist, then publish.

A service writes its state change and the events that announce it in one MongoDB
transaction (:meth:`Outbox.stage`). The relay (:meth:`Outbox.run`) publishes staged
events in order, in batches — every publish sent without waiting, then all
acknowledgements awaited together (``acks=all``) — and only then deletes them. A
commit wakes the relay at once, so latency is one round trip, not a poll interval.

One transaction's events share one outbox row (split only when they grow past
``ROW_BYTES``): a batch of a hundred routed applications is then one insert and, once
published, one delete, instead of two hundred of each — the database's write rate is
what bounds every stage.

If the process dies after publishing and before deleting, the events are published
again after restart: delivery is at-least-once and consumers dedupe by event id.
Rows are ordered by ``_id`` (an ObjectId, increasing within a process) and events
within a row by position, so one application's events leave in the order they were
staged; each is keyed by application id, so they stay in order on their partition.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Sequence

import structlog
from bson import ObjectId
from faststream.kafka import KafkaBroker
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import CONTENT_TYPE, encode, utcnow
from shared.mongo import delete_in
from shared.tracing import outgoing_headers, traceparent_for

__all__ = ["Outbox", "StagedEvent"]

log = structlog.get_logger(__name__)

StagedEvent = tuple[str, object]
"""(topic, event) — the event is any envelope from :mod:`shared.events`."""

ROW_BYTES = 1_000_000
"""Payload bytes per outbox row; well under MongoDB's 16 MB document limit."""


class Outbox:
    def __init__(
        self,
        database: AsyncDatabase,
        broker: KafkaBroker,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 100,
        before_retry: Callable[[], Awaitable[None]] | None = None,
        allowed_topics: Collection[str] | None = None,
    ) -> None:
        self._rows: AsyncCollection = database["outbox"]
        self._broker = broker
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._before_retry = before_retry
        self._allowed_topics = allowed_topics
        self._wake = asyncio.Event()
        self._stopping = False

    async def create_indexes(self) -> None:
        await self._rows.create_index([("created_at", ASCENDING)])

    async def stage(self, events: Sequence[StagedEvent], session: AsyncClientSession) -> None:
        """Write events to the outbox inside the caller's transaction."""
        if self._allowed_topics is not None:
            undeclared = {topic for topic, _ in events} - set(self._allowed_topics)
            if undeclared:
                raise RuntimeError(f"publishing to undeclared topics: {sorted(undeclared)}")
        now = utcnow()
        rows: list[list[dict]] = []
        size = ROW_BYTES
        for topic, event in events:
            payload = encode(event)  # type: ignore[arg-type]
            if size + len(payload) > ROW_BYTES:
                rows.append([])
                size = 0
            size += len(payload)
            staged = {
                "topic": topic,
                "key": event.subject,  # type: ignore[attr-defined]
                "event_id": event.id,  # type: ignore[attr-defined]
                "type": event.type,  # type: ignore[attr-defined]
                "correlation_id": event.correlation_id,  # type: ignore[attr-defined]
                "payload": payload,
            }
            # The relay publishes later, outside this request: the trace goes with the row.
            if (traceparent := traceparent_for(event.subject)) is not None:  # type: ignore[attr-defined]
                staged["traceparent"] = traceparent
            rows[-1].append(staged)
        documents = [
            {"_id": ObjectId(), "events": row, "count": len(row), "created_at": now} for row in rows
        ]
        if documents:
            await self._rows.insert_many(documents, session=session, ordered=True)

    def wake(self) -> None:
        """Tell the relay there is something to publish (call after commit)."""
        self._wake.set()

    async def pending(self) -> int:
        """Events staged and not yet published."""
        rows = self._rows.find({}, {"count": 1})
        return sum([row.get("count", 1) async for row in rows])

    async def relay_once(self) -> int:
        """Publish up to one batch of rows; returns how many events were published."""
        rows = await self._rows.find({}).sort("_id", ASCENDING).to_list(self._batch_size)
        if not rows:
            return 0
        pending = []
        for row in rows:
            # A row holds one transaction's events; rows written before rows held
            # several were one event each.
            for event in row.get("events", [row]):
                headers = {
                    "content-type": CONTENT_TYPE,  # structured-mode CloudEvent
                    "event-type": event["type"],
                    "event-id": event["event_id"],
                    "correlation-id": event["correlation_id"],
                    **outgoing_headers(event.get("traceparent"), event["topic"]),
                }
                pending.append(
                    await self._broker.publish(
                        event["payload"],
                        event["topic"],
                        key=event["key"].encode(),
                        headers=headers,
                        no_confirm=True,
                    )
                )
        await asyncio.gather(*pending)
        await delete_in(self._rows, "_id", [row["_id"] for row in rows])
        return len(pending)

    async def run(self) -> None:
        """Relay until stopped; backs off while the broker or database is unreachable."""
        failures = 0
        while not self._stopping:
            self._wake.clear()  # before reading, so a commit during the read is not missed
            try:
                if failures and self._before_retry is not None:
                    # Before retrying, e.g. re-create the topics a restarted broker lost.
                    await self._before_retry()
                published = await self.relay_once()
                failures = 0
                if published:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(0.2 * 2**failures, 5.0)
                log.warning(
                    "outbox relay failed; will retry",
                    error=type(exc).__name__,
                    detail=str(exc)[:200],
                    retry_in=delay,
                )
                await asyncio.sleep(delay)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
