"""What the replicated-platform scenario needs besides the platform: an agency's back
office moving applications along over the agency API of every routing replica, a killer
of outbox lease holders that times each take-over, and an exact reading of a topic."""

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer
from pymongo.asynchronous.database import AsyncDatabase

from shared.outbox_lease import LEASE_ID
from tests.conftest import Platform

__all__ = [
    "BackOffice",
    "Copy",
    "Kill",
    "LeaseKiller",
    "first_order",
    "read_everything",
    "repeats",
]

BACK_OFFICE_STEPS = ("in_review", "approved", "completed")


@dataclass
class BackOffice:
    """Moves every received application to in_review, approved and completed, each step
    as soon as the one before is answered, each through another routing replica — so
    one application's changes are committed by different processes milliseconds apart."""

    routing_urls: list[str]
    api_key: str
    failures: list[str] = field(default_factory=list)
    retries: int = 0
    driven: set[str] = field(default_factory=set)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    async def run(self, routing: AsyncDatabase, until: Callable[[], bool]) -> None:
        """Pick up received applications until ``until()`` and every one is driven."""
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with httpx.AsyncClient(timeout=10, headers=headers) as client:
            while True:
                cursor = routing["applications"].find({"status": "received"}, {"_id": 1})
                for document in await cursor.to_list(None):
                    if document["_id"] not in self.driven:
                        self.driven.add(document["_id"])
                        offset = len(self.driven)
                        self._tasks.append(
                            asyncio.create_task(self._drive(client, document["_id"], offset))
                        )
                if until() and not any(not task.done() for task in self._tasks):
                    left = await routing["applications"].count_documents(
                        {"status": {"$in": ["routed", "received"]}}
                    )
                    if left == 0:
                        break
                await asyncio.sleep(0.3)
            await asyncio.gather(*self._tasks)

    async def _drive(self, client: httpx.AsyncClient, application_id: str, offset: int) -> None:
        for step, status in enumerate(BACK_OFFICE_STEPS):
            url = f"/api/v1/agency/applications/{application_id}/transitions"
            headers = {"Idempotency-Key": f"{application_id}:{status}"}
            for attempt in range(200):
                replica = self.routing_urls[(offset + step + attempt) % len(self.routing_urls)]
                try:
                    answer = await client.post(replica + url, json={"to": status}, headers=headers)
                except httpx.HTTPError:
                    answer = None
                if answer is not None and answer.status_code == 200:
                    break
                if answer is not None and answer.status_code < 500:
                    self.failures.append(f"{status}: {answer.status_code} {answer.text[:200]}")
                    return
                self.retries += 1
                await asyncio.sleep(0.3)
            else:
                self.failures.append(f"{status}: no answer")
                return


@dataclass(frozen=True)
class Kill:
    service: str
    process: str
    at: float  # wall clock, to compare with record timestamps
    holder: bool
    takeover_seconds: float | None  # until another replica held the lease


@dataclass
class LeaseKiller:
    """SIGKILLs a service's replica — the outbox lease holder, or one that is not — and
    restarts it on its port; for a holder, times until another replica holds the lease.
    The restart waits ``restart_after`` seconds: a replica restarted in place of the
    holder takes the lease back at once, and this measures the take-over by another."""

    platform: Platform
    databases: dict[str, AsyncDatabase]
    restart_after: float = 8.0
    kills: list[Kill] = field(default_factory=list)
    _restarts: list[asyncio.Task] = field(default_factory=list)
    _restarting: set[str] = field(default_factory=set)

    async def kill(self, service: str, holder: bool = True) -> None:
        lease = await self.databases[service]["outbox_lease"].find_one({"_id": LEASE_ID})
        assert lease is not None, f"{service} has no relay lease"
        assert lease.get("holder"), f"{service}'s relay lease has no holder"
        holding_port = int(lease["holder"].rsplit(":", 1)[1])  # service@host:port
        replicas = {
            name: process
            for name, process in self.platform.processes.items()
            if name.partition("-")[0] == service
            and process.alive()
            and name not in self._restarting
        }
        victim = next(
            name for name, process in replicas.items() if (process.port == holding_port) == holder
        )
        at, began = time.time(), time.monotonic()
        self.platform.kill(victim)
        self._restarting.add(victim)
        self._restarts.append(asyncio.create_task(self._restart(victim)))
        takeover = None
        if holder:
            while time.monotonic() - began < 60:
                now = await self.databases[service]["outbox_lease"].find_one({"_id": LEASE_ID})
                if now is not None and now["token"] > lease["token"] and now.get("holder"):
                    takeover = time.monotonic() - began
                    break
                await asyncio.sleep(0.05)
        self.kills.append(Kill(service, victim, at, holder, takeover))

    async def _restart(self, name: str) -> None:
        await asyncio.sleep(self.restart_after)
        await asyncio.to_thread(self.platform.start, name)
        self._restarting.discard(name)

    async def settle(self) -> None:
        await asyncio.gather(*self._restarts)

    def times(self, service: str) -> list[float]:
        return [kill.at for kill in self.kills if kill.service == service and kill.holder]


@dataclass(frozen=True)
class Copy:
    """One record on a topic: which event, about what, when it was written."""

    event_id: str
    subject: str
    timestamp: float  # seconds, as the producer stamped it
    event: dict[str, Any]


async def read_everything(bootstrap: str, topic: str) -> list[Copy]:
    """Every record on ``topic`` now, each partition in its order (partitions one after
    the other: order holds within one application's partition only)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    by_partition: defaultdict[int, list[Copy]] = defaultdict(list)
    try:
        while not consumer.assignment():  # noqa: ASYNC110 - aiokafka has no event for it
            await asyncio.sleep(0.05)
        partitions = sorted(consumer.assignment())
        ends = await consumer.end_offsets(partitions)
        positions = {p: await consumer.position(p) for p in partitions}
        while any(positions[p] < ends[p] for p in partitions):
            batch = await consumer.getmany(timeout_ms=500)
            for partition, records in batch.items():
                for record in records:
                    event = orjson.loads(record.value)
                    by_partition[partition.partition].append(
                        Copy(event["id"], event["subject"], record.timestamp / 1000, event)
                    )
                    positions[partition] = record.offset + 1
    finally:
        await consumer.stop()
    return [copy for p in sorted(by_partition) for copy in by_partition[p]]


def first_order(copies: Iterable[Copy], sequence_of: Callable[[Copy], int | None]) -> dict:
    """Per subject, the sequence numbers in the order they were first published (a
    repeated event is left where it first appeared)."""
    seen: set[str] = set()
    order: defaultdict[str, list[int]] = defaultdict(list)
    for copy in copies:
        number = sequence_of(copy)
        if number is None or copy.event_id in seen:
            continue
        seen.add(copy.event_id)
        order[copy.subject].append(number)
    return order


def repeats(copies: Iterable[Copy]) -> dict[str, list[float]]:
    """Events published more than once, with when each copy was written."""
    by_id: defaultdict[str, list[float]] = defaultdict(list)
    for copy in copies:
        by_id[copy.event_id].append(copy.timestamp)
    counts = Counter({event_id: len(stamps) for event_id, stamps in by_id.items()})
    return {event_id: sorted(by_id[event_id]) for event_id, n in counts.items() if n > 1}
