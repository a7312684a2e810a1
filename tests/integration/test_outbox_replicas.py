"""One outbox, several replicas, on the real broker and database: one relay publishes at
a time, each event leaves once, a dead holder is replaced within seconds, a stalled one
that lost its lease publishes nothing and loses nothing by deleting what it sent, and
one application's events leave in the order they were committed whichever replica
committed them.

Every replica here is an :class:`Outbox` with its own database client and broker, in
this process; the leases are short (1 s) so take-overs are quick to watch. The same
behaviour with service processes killed by SIGKILL is tests/faults/test_outbox_replicas.py.
"""

import asyncio
import contextlib
import itertools
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import StatusChanged, StatusChangedData, encode
from shared.kafka import make_broker, provision_topics
from shared.mongo import in_transaction, make_mongo
from shared.outbox import LeaseLost, Outbox
from shared.outbox_lease import LEASE_ID, RelayLease
from shared.settings import Settings
from shared.topics import Topics, TopicSpec
from tests.conftest import ROOT
from tests.e2e.helpers import eventually, read_topic

LEASE_SECONDS = 1.0
RENEW_SECONDS = 0.25


def change(application: str, sequence: int) -> StatusChanged:
    return StatusChanged(
        source="test",
        subject=application,
        correlation_id=application,
        data=StatusChangedData(
            application_id=application,
            tracking_number="t",
            service="ktp-el",
            region="3576",
            to_status="in_review",
            sequence=sequence,
            actor="agency",
        ),
    )


@dataclass
class Replica:
    """One replica's outbox and its own database client; its relay while running."""

    name: str
    mongo: AsyncMongoClient
    database: str
    outbox: Outbox
    relay: asyncio.Task | None = None

    @property
    def db(self) -> AsyncDatabase:
        return self.mongo[self.database]

    def start(self) -> None:
        self.relay = asyncio.create_task(self.outbox.run())

    async def kill(self) -> None:
        """Stop as SIGKILL would: no release of the lease, nothing more written."""
        self.outbox.lease.release = _goodbye_never_said  # type: ignore[method-assign]
        assert self.relay is not None
        self.relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.relay

    async def commit(self, topic: str, application: str, sequence: int) -> None:
        """An application's status change: its document moves to ``sequence`` (only
        from the one before, as routing's transitions do) with its event staged."""

        async def work(session: AsyncClientSession) -> None:
            moved = await self.db["applications"].update_one(
                {"_id": application, "sequence": sequence - 1},
                {"$set": {"sequence": sequence}},
                upsert=sequence == 1,
                session=session,
            )
            assert moved.matched_count or moved.upserted_id is not None
            await self.outbox.stage([(topic, change(application, sequence))], session)

        await in_transaction(self.mongo, work)
        self.outbox.wake()


async def _goodbye_never_said() -> None:
    return None


@pytest.fixture
async def replicas(settings: Settings) -> AsyncIterator[Callable[..., Replica]]:
    topics = Topics(settings.namespace)
    await provision_topics(settings.kafka_bootstrap, [TopicSpec(topics.status, 3)])
    database = settings.database_name("outbox-replicas")
    made: list[Replica] = []
    brokers = []

    async def make(name: str, frozen: bool = False) -> Replica:
        mongo = make_mongo(settings, f"replica-{name}")
        broker = make_broker(settings, f"replica-{name}")
        await broker.start()
        brokers.append(broker)
        # A frozen clock: the replica believes its lease is good, as a process does that
        # was stopped (a long pause, a suspended VM) and has not yet looked at the time.
        stopped_at = time.monotonic()
        lease = RelayLease(
            mongo[database]["outbox_lease"],
            holder=f"replica-{name}",
            lease_seconds=LEASE_SECONDS,
            renew_seconds=RENEW_SECONDS,
            clock=(lambda: stopped_at) if frozen else time.monotonic,
        )
        outbox = Outbox(
            mongo[database], broker, poll_seconds=0.5, allowed_topics={topics.status}, lease=lease
        )
        await outbox.create_indexes()
        made.append(Replica(name, mongo, database, outbox))
        return made[-1]

    yield make
    for replica in made:
        replica.outbox.stop()
        if replica.relay is not None and not replica.relay.done():
            replica.relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await replica.relay
    for broker in brokers:
        await broker.stop()
    for replica in made:
        await replica.mongo.close()


async def holder(replica: Replica) -> str | None:
    lease = await replica.db["outbox_lease"].find_one({"_id": LEASE_ID})
    return lease.get("holder") if lease else None


@contextlib.asynccontextmanager
async def taken_over_from(stalled: Replica, by: Replica) -> AsyncIterator[int]:
    """``stalled`` holds the lease and then stops renewing it; ``by`` takes it over.
    Yields the stalled replica's token, stale from then on."""
    assert await stalled.outbox.lease.tick()
    stale = stalled.outbox.lease.token
    assert stale is not None
    keeping = asyncio.create_task(by.outbox.lease.run())
    try:
        await eventually(lambda: holder(by), 10, until=lambda h: h == f"replica-{by.name}")
        yield stale
    finally:
        keeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeping


async def test_two_relays_on_one_outbox_publish_each_event_exactly_once(replicas, settings):
    topic = Topics(settings.namespace).status
    a, b = await replicas("a"), await replicas("b")
    a.start()
    b.start()
    await eventually(lambda: holder(a), 10)
    applications = [f"app-{n}" for n in range(20)]
    for sequence in range(1, 6):  # each application's changes alternate between replicas
        await asyncio.gather(
            *(
                (a if (n + sequence) % 2 else b).commit(topic, application, sequence)
                for n, application in enumerate(applications)
            )
        )
    await eventually(a.outbox.pending, 20, until=lambda n: n == 0)

    published = await read_topic(settings.kafka_bootstrap, topic, until=100)
    copies = Counter(event.id for event in published)
    assert len(copies) == 100
    assert max(copies.values()) == 1
    for application in applications:
        sequences = [e.data.sequence for e in published if e.subject == application]
        assert sequences == [1, 2, 3, 4, 5]


async def test_a_commit_on_a_replica_that_does_not_relay_is_published_promptly(replicas, settings):
    topic = Topics(settings.namespace).status
    a, b = await replicas("a"), await replicas("b")
    a.start()
    await eventually(lambda: holder(a), 10, until=lambda h: h == "replica-a")
    b.start()  # b stays a stand-by: its own commits do not wake a relay that publishes
    waits = []
    for n in range(10):
        began = time.monotonic()
        await b.commit(topic, f"app-{n}", 1)
        await eventually(a.outbox.pending, 10, until=lambda left: left == 0, interval=0.005)
        waits.append(time.monotonic() - began)
    waits.sort()
    print(
        f"commit on a stand-by replica -> published by the holder: "
        f"p50 {waits[5] * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms "
        f"(poll interval 500 ms: the first is found by the poll; from then on the holder "
        f"watches the outbox with a change stream)"
    )
    assert await holder(a) == "replica-a"


async def test_when_the_holder_dies_another_relay_takes_over_within_seconds(replicas, settings):
    topic = Topics(settings.namespace).status
    a, b = await replicas("a"), await replicas("b")
    a.start()
    await eventually(lambda: holder(a), 10, until=lambda h: h == "replica-a")
    b.start()
    await a.commit(topic, "app-before", 1)
    await eventually(a.outbox.pending, 10, until=lambda n: n == 0)

    await a.kill()
    died = time.monotonic()
    await b.commit(topic, "app-after", 1)
    await eventually(lambda: holder(b), 20, until=lambda h: h == "replica-b", interval=0.02)
    took_over = time.monotonic() - died
    await eventually(b.outbox.pending, 10, until=lambda n: n == 0)
    print(
        f"holder killed -> stand-by holds the lease after {took_over:.2f} s "
        f"(lease {LEASE_SECONDS:g} s, renewed every {RENEW_SECONDS:g} s)"
    )

    published = await read_topic(settings.kafka_bootstrap, topic, until=2)
    assert sorted(e.subject for e in published) == ["app-after", "app-before"]
    lease = await a.db["outbox_lease"].find_one({"_id": LEASE_ID})
    assert lease["token"] == 2


@pytest.mark.parametrize("union", [True, False], ids=["one-read", "read-then-check"])
async def test_a_stalled_holder_that_lost_the_lease_publishes_nothing(replicas, settings, union):
    """Whether the lease is read in the same reply as the rows or, on a server without
    ``$unionWith``, after them."""
    topic = Topics(settings.namespace).status
    a, b = await replicas("a", frozen=True), await replicas("b")
    a.outbox._union = union
    async with taken_over_from(a, by=b) as stale:
        await a.commit(topic, "app-1", 1)
        assert a.outbox.lease.valid()  # by its own clock

        with pytest.raises(LeaseLost, match=f"token {stale} is stale"):
            await a.outbox.relay_once()
        assert await a.outbox.pending() == 1
        assert await read_topic(settings.kafka_bootstrap, topic, until=1, timeout=3) == []

    b.start()  # the holder publishes it, once
    await eventually(b.outbox.pending, 10, until=lambda n: n == 0)
    published = await read_topic(settings.kafka_bootstrap, topic, until=1)
    assert [e.subject for e in published] == ["app-1"]
    lease = await b.db["outbox_lease"].find_one({"_id": LEASE_ID})
    assert (lease["holder"], lease["token"]) == ("replica-b", stale + 1)


async def test_a_holder_that_lost_the_lease_while_publishing_deletes_only_what_it_sent(
    replicas, settings
):
    """The holder stalls after its sends were acknowledged and before it deletes them;
    meanwhile another replica takes over, publishes that batch again and stages more.
    The late delete removes only the rows the stalled holder sent: nothing is lost."""
    topic = Topics(settings.namespace).status
    a, b = await replicas("a", frozen=True), await replicas("b")
    assert await a.outbox.lease.tick()
    await a.commit(topic, "app-1", 1)
    delete = a.outbox._delete_published

    async def stalled_before_deleting(ids: list) -> None:
        async with taken_over_from(a, by=b):
            await b.commit(topic, "app-2", 1)
            assert await b.outbox.relay_once() == 2  # app-1 again, and app-2
            await b.commit(topic, "app-3", 1)
        await delete(ids)

    a.outbox._delete_published = stalled_before_deleting  # type: ignore[method-assign]
    assert await a.outbox.relay_once() == 1
    assert await a.outbox.pending() == 1  # app-3, staged after a read its batch

    b.start()
    await eventually(b.outbox.pending, 10, until=lambda n: n == 0)
    published = await read_topic(settings.kafka_bootstrap, topic, until=4)
    assert sorted(e.subject for e in published) == ["app-1", "app-1", "app-2", "app-3"]
    with pytest.raises(LeaseLost, match="is stale"):
        await a.outbox.relay_once()


async def test_a_relayed_batch_costs_one_read_and_one_delete(replicas, settings):
    """The lease is read back in the same reply as the rows, and the rows are deleted
    without a transaction: two round trips per batch."""
    topic = Topics(settings.namespace).status
    a = await replicas("a")
    assert await a.outbox.lease.tick()
    for n in range(5):
        await a.commit(topic, f"app-{n}", 1)
    commands: list[str] = []
    listener = CommandNames(commands)
    counted = AsyncMongoClient(settings.mongo_uri, event_listeners=[listener])
    try:
        a.outbox._rows = counted[a.database]["outbox"]
        assert await a.outbox.relay_once() == 5
        relayed = list(commands)
    finally:
        await counted.close()
    assert relayed == ["aggregate", "delete"]


class CommandNames(monitoring.CommandListener):
    def __init__(self, names: list[str]) -> None:
        self.names = names

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_changes_committed_alternately_by_two_replicas_leave_in_commit_order(
    replicas, settings
):
    """Every application moves through ten statuses, each change committed by the other
    replica than the one before, many applications at once; nothing is relayed until
    all are staged, so the order the relay finds is all there is."""
    topic = Topics(settings.namespace).status
    a, b = await replicas("a"), await replicas("b")
    applications = [f"app-{n:02d}" for n in range(30)]
    turns = itertools.cycle([a, b])

    async def move(application: str) -> None:
        first = next(turns)
        second = b if first is a else a
        for sequence in range(1, 11):
            await (first if sequence % 2 else second).commit(topic, application, sequence)

    await asyncio.gather(*(move(application) for application in applications))
    a.start()
    b.start()
    await eventually(a.outbox.pending, 30, until=lambda n: n == 0)

    published = await read_topic(settings.kafka_bootstrap, topic, until=300)
    assert len(published) == 300
    for application in applications:
        sequences = [e.data.sequence for e in published if e.subject == application]
        assert sequences == list(range(1, 11))


async def test_changes_committed_alternately_by_two_processes_leave_in_commit_order(
    replicas, settings
):
    """The same with the other replica in its own process, whose rows' ObjectIds come
    from another generator: ordered by id, as the relay once did, one process's rows of
    a second all sort before the other's."""
    topic = Topics(settings.namespace).status
    a = await replicas("a")
    other = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.outbox_replica_process",
        settings.mongo_uri,
        a.database,
        topic,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert other.stdin is not None
    assert other.stdout is not None
    applications = [f"app-{n:02d}" for n in range(20)]
    try:
        for sequence in range(1, 7):
            if sequence % 2:
                await asyncio.gather(*(a.commit(topic, app, sequence) for app in applications))
                continue
            other.stdin.write("".join(f"{app} {sequence}\n" for app in applications).encode())
            await other.stdin.drain()
            for _ in applications:
                assert await asyncio.wait_for(other.stdout.readline(), 60) == b"ok\n"
    finally:
        other.stdin.close()
        await other.wait()
    a.start()
    await eventually(a.outbox.pending, 30, until=lambda n: n == 0)

    published = await read_topic(settings.kafka_bootstrap, topic, until=120)
    assert len(published) == 120
    for application in applications:
        sequences = [e.data.sequence for e in published if e.subject == application]
        assert sequences == list(range(1, 7))


async def test_rows_staged_before_rows_were_numbered_are_published_first(replicas, settings):
    topic = Topics(settings.namespace).status
    a = await replicas("a")
    old = change("app-1", 1)
    await a.db["outbox"].insert_one(
        {
            "events": [
                {
                    "topic": topic,
                    "key": old.subject,
                    "event_id": old.id,
                    "type": old.type,
                    "correlation_id": old.correlation_id,
                    "payload": encode(old),
                }
            ],
            "count": 1,
        }
    )
    await a.db["applications"].insert_one({"_id": "app-1", "sequence": 1})
    await a.commit(topic, "app-1", 2)
    assert await a.outbox.relay_once() == 2
    published = await read_topic(settings.kafka_bootstrap, topic, until=2)
    assert [e.data.sequence for e in published] == [1, 2]
