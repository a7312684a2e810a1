"""The transactional outbox: persist, then publish.

A service writes its state change and the events that announce it in one MongoDB
transaction (:meth:`Outbox.stage`). The relay (:meth:`Outbox.run`) publishes staged
events in order, in batches — every publish sent without waiting, then all
acknowledgements awaited together (``acks=all``) — and only then deletes them.

One transaction's events share one outbox row (split only when they grow past
``ROW_BYTES``): a batch of a hundred routed applications is then one insert and, once
published, one delete, instead of two hundred of each — the database's write rate is
what bounds every stage.

A service runs as several replicas on one database. Each replica runs a relay, but only
the holder of the service's lease publishes (:mod:`shared.outbox_lease`): every event
leaves once, and a replica takes over within seconds when the holder dies. A commit
wakes its own process's relay at once, and the holder polls every ``poll_seconds``. Each
row names the process that staged it (``staged_by``); once the holder has read a row
another replica staged, it also watches the outbox with a change stream, so another
replica's commit wakes it at once too. A lone replica does not watch: on the local
database every write anywhere ends a change stream's wait, so the watch cost each
service one round trip per write the whole platform made (19 of the 73 round trips of
one application, measured with ``bench.pipeline --cost-only``).

Order: each staging transaction numbers its rows from a per-service counter
(``outbox_sequence``), after its snapshot is fixed and before it commits; the relay
publishes rows by number (read in one reply, so from one snapshot) and events within a
row by position. So when one transaction committed before another began, its events
leave first. Two transactions that write the same document cannot overlap (the second
conflicts and retries), and every change to an application writes its document, so one
application's events leave in the order they were committed, whichever replica
committed them; each is keyed by application id, so they stay in order on their
partition. Transactions that did overlap have no order between them and may leave in
either. The numbers are taken outside the transaction: taken inside it, every two
overlapping staging transactions would conflict on the counter and one of them retry
(docs/delivery.md has the measurements). An ObjectId, the order used before, is not
commit order: two processes within one second sort by their random bytes.

If the holder dies after publishing and before deleting, the next holder publishes that
batch again: delivery is at-least-once and consumers dedupe by event id.
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
from pymongo.errors import OperationFailure

from shared.events import encode, utcnow
from shared.kafka import event_headers
from shared.mongo import delete_in
from shared.outbox_lease import LEASE_ID, LeaseLost, RelayLease, holder_name
from shared.polling import stop_if_cancelled
from shared.tracing import outgoing_headers, traceparent_for

__all__ = ["LeaseLost", "Outbox", "StagedEvent"]

log = structlog.get_logger(__name__)

StagedEvent = tuple[str, object]
"""(topic, event) — the event is any envelope from :mod:`shared.events`."""

ROW_BYTES = 1_000_000
"""Payload bytes per outbox row; well under MongoDB's 16 MB document limit."""

SEQUENCE_ID = "rows"
_UNSUPPORTED = {20, 72, 115, 263, 40324}
"""Codes of a server that cannot read the lease with the rows: IllegalOperation,
InvalidOptions, CommandNotSupported, OperationNotSupportedInTransaction, an unknown
pipeline stage."""
ORDER = [("seq", ASCENDING), ("_id", ASCENDING)]
"""Publishing order. Rows staged before rows were numbered have no ``seq`` and sort
first, by ObjectId as they always were."""


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
        lease: RelayLease | None = None,
    ) -> None:
        self._rows: AsyncCollection = database["outbox"]
        self._sequence: AsyncCollection = database["outbox_sequence"]
        self._broker = broker
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._before_retry = before_retry
        self._allowed_topics = allowed_topics
        self.lease = lease or RelayLease(
            database["outbox_lease"], holder=holder_name(database.name)
        )
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._shared = asyncio.Event()
        """Set once the relay has read a row another process staged."""
        self._more = False
        """The last read filled a batch: more rows may be waiting."""
        self._union = True
        """The database reads the lease with the rows (``$unionWith``)."""

    async def create_indexes(self) -> None:
        await self._rows.create_index(ORDER)
        # The counter exists before any transaction numbers rows, so two first
        # transactions never race to create it.
        await self._sequence.update_one(
            {"_id": SEQUENCE_ID}, {"$setOnInsert": {"last": 0}}, upsert=True
        )

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
        if not rows:
            return
        # The rows' place in the publishing order; see the module docstring. The
        # numbers are taken outside the transaction, so two staging transactions never
        # conflict over them, and after its snapshot is fixed — by its first statement,
        # so when nothing was sent yet, a read does it. (pymongo tells by a private
        # property; without it, the read is made every time.)
        if getattr(session, "_starting_transaction", True):
            await self._sequence.find_one({"_id": SEQUENCE_ID}, {"_id": 1}, session=session)
        first = await self._numbers(len(rows))
        documents = [
            {
                "_id": ObjectId(),
                "seq": first + n,
                "events": row,
                "count": len(row),
                "created_at": now,
                "staged_by": self.lease.holder,
            }
            for n, row in enumerate(rows)
        ]
        await self._rows.insert_many(documents, session=session, ordered=True)

    async def _numbers(self, count: int) -> int:
        """Take ``count`` consecutive numbers of the service's counter; returns the first.

        A plain ``findAndModify`` command, not a retryable write: a lost reply only
        leaves a gap in the numbers (the caller's transaction fails and is retried), and
        the local database stores a record per retryable write, which made each number
        cost ten times as much."""
        taken = await self._sequence.database.command(
            {
                "findAndModify": self._sequence.name,
                "query": {"_id": SEQUENCE_ID},
                "update": {"$inc": {"last": count}},
                "new": True,
                "upsert": True,
            }
        )
        return int(taken["value"]["last"]) - count + 1

    def wake(self) -> None:
        """Tell the relay there is something to publish (call after commit)."""
        self._wake.set()

    async def pending(self) -> int:
        """Events staged and not yet published."""
        rows = self._rows.find({}, {"count": 1})
        return sum([row.get("count", 1) async for row in rows])

    async def relay_once(self) -> int:
        """Publish up to one batch of rows, in order, if this process holds the lease
        (taking it if it is free); returns how many events were published. Raises
        :class:`LeaseLost` when another replica holds it.

        Two round trips when it publishes: one read of the rows together with the
        lease, and one delete of the rows published."""
        if not self.lease.valid() and not await self.lease.tick():
            raise LeaseLost("another replica holds the outbox lease")
        rows = await self._next_rows()
        self._more = len(rows) >= self._batch_size
        if not rows:
            return 0
        if not self._shared.is_set() and any(
            row.get("staged_by") != self.lease.holder for row in rows
        ):
            self._shared.set()  # another replica stages rows: watch for them from now on
        pending = []
        for row in rows:
            # A row holds one transaction's events; rows written before rows held
            # several were one event each.
            for event in row.get("events", [row]):
                trace = outgoing_headers(event.get("traceparent"), event["topic"])
                headers = event_headers(
                    event["type"],
                    event["event_id"],
                    correlation_id=event["correlation_id"],
                    traceparent=trace.get("traceparent"),
                )
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
        await self._delete_published([row["_id"] for row in rows])
        return len(pending)

    async def _delete_published(self, ids: list[ObjectId]) -> None:
        """Delete rows whose events the broker has acknowledged. Not fenced by the
        lease: whoever deletes a row has published its events, so a relay that lost
        the lease while publishing loses nothing by deleting what it sent — the new
        holder publishes those rows again only if it read them first (a duplicate),
        and rows staged since are not among ``ids``."""
        await delete_in(self._rows, "_id", ids)

    async def _next_rows(self) -> list[dict]:
        """The first rows in order, from one snapshot, with the lease read back in the
        same reply (the check before publishing; see :mod:`shared.outbox_lease`): read
        concern ``snapshot`` (MongoDB would otherwise be free to move to a newer one
        between documents), in a single reply. Read at two moments, a batch could miss
        a row numbered before rows it holds that committed in between. Raises
        :class:`LeaseLost` when the lease no longer names this holder and token."""
        token = self.lease.token
        if token is None or not self.lease.valid():
            raise LeaseLost("not the holder")
        if not self._union:
            return await self._next_rows_then_check()
        try:
            reply = await self._rows.database.command(
                {
                    "aggregate": self.lease.collection.name,
                    "pipeline": [
                        {"$match": self.lease.held_filter(token)},
                        {"$project": {"_id": 1}},
                        {
                            "$unionWith": {
                                "coll": self._rows.name,
                                "pipeline": [{"$sort": dict(ORDER)}, {"$limit": self._batch_size}],
                            }
                        },
                    ],
                    "cursor": {"batchSize": self._batch_size + 1},
                    "readConcern": {"level": "snapshot"},
                },
                codec_options=self._rows.codec_options,
            )
        except OperationFailure as exc:
            if exc.code not in _UNSUPPORTED:
                raise  # an outage or a failover: the relay backs off and reads again
            log.info("outbox: lease and rows read apart", error=exc.code)
            self._union = False  # a server without $unionWith here, or not with snapshot
            return await self._next_rows_then_check()
        cursor = reply["cursor"]
        if cursor["id"]:  # the reply was full: take what came, read the rest next time
            await self._rows.database.command(
                {"killCursors": self.lease.collection.name, "cursors": [cursor["id"]]}
            )
        found = cursor["firstBatch"]
        rows = sorted(
            (doc for doc in found if doc["_id"] != LEASE_ID),
            key=lambda row: (row.get("seq", 0), row["_id"]),
        )
        if len(rows) == len(found):  # the lease did not match, or was not in this reply
            await self.lease.check()
        return rows

    async def _next_rows_then_check(self) -> list[dict]:
        """The rows in one reply (``singleBatch``; rows that do not fit are read by the
        next batch), then the lease check: one round trip more than the union."""
        reply = await self._rows.database.command(
            {
                "find": self._rows.name,
                "filter": {},
                "sort": dict(ORDER),
                "limit": self._batch_size,
                "batchSize": self._batch_size,
                "singleBatch": True,
                "readConcern": {"level": "snapshot"},
            },
            codec_options=self._rows.codec_options,
        )
        rows = list(reply["cursor"]["firstBatch"])
        if rows:
            await self.lease.check()
        return rows

    async def run(self) -> None:
        """Hold the lease or wait for it; relay while holding; until stopped."""
        keeping = asyncio.create_task(self.lease.run(), name="outbox-lease")
        try:
            while not self._stopping:
                await self._until_held_or_stopped()
                if self._stopping:
                    break
                watching = asyncio.create_task(self._watch(), name="outbox-watch")
                try:
                    await self._relay_while_held()
                finally:
                    watching.cancel()
                    # Not waited for past a few seconds: a change stream caught in a
                    # database stall must not keep the relay from relaying again.
                    await asyncio.wait([watching], timeout=5)
        finally:
            keeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeping
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.lease.release(), timeout=2)

    async def _until_held_or_stopped(self) -> None:
        waits = [
            asyncio.create_task(self.lease.wait_held()),
            asyncio.create_task(self._stopped.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def _relay_while_held(self) -> None:
        """Relay until stopped or the lease is lost; backs off while the broker or
        database is unreachable."""
        failures = 0
        while not self._stopping and self.lease.valid():
            stop_if_cancelled()
            self._wake.clear()  # before reading, so a commit during the read is not missed
            try:
                if failures and self._before_retry is not None:
                    # Before retrying, e.g. re-create the topics a restarted broker lost.
                    await self._before_retry()
                published = await self.relay_once()
                failures = 0
                if published and (self._more or self._wake.is_set()):
                    continue
                # A batch that was not full left nothing behind: a row committed since
                # the read set the wake (its own commit, or the change stream), and one
                # that did not is found by the poll — so no read that finds nothing.
            except asyncio.CancelledError:
                raise
            except LeaseLost:
                return
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

    async def _watch(self) -> None:
        """While holding, once another replica's row was seen: wake the relay at every
        row any replica commits."""
        await self._shared.wait()
        pipeline = [{"$match": {"operationType": "insert"}}, {"$project": {"_id": 1}}]
        while True:
            stop_if_cancelled()
            try:
                # A bounded wait, as mongod's default: the local database otherwise
                # waits for the next write however long that takes.
                async with await self._rows.watch(pipeline, max_await_time_ms=1000) as changes:
                    async for _change in changes:
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no change streams here, or the server went away
                log.info("outbox change stream unavailable; polling", error=type(exc).__name__)
                await asyncio.sleep(max(self._poll_seconds, 5.0))

    @property
    def _stopping(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
