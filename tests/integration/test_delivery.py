"""The delivery machinery on the real broker and database: the outbox publishes what
was committed and nothing else, in order; the message bus dead-letters a poison record
with its reason while the stream carries on, and takes a failed run one at a time."""

import asyncio

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared.errors import Rejected
from shared.events import StatusChanged, StatusChangedData, decode, encode
from shared.kafka import make_broker, provision_topics, subscribe_batch
from shared.messagebus import Batched, DeadLetters, MessageBus
from shared.mongo import in_transaction, insert_first, make_mongo
from shared.outbox import Outbox
from shared.topics import Topics, TopicSpec
from shared.unit_of_work import Transaction, UnitOfWork, UnitsOfWork
from tests.e2e.helpers import eventually


def change(application: str, sequence: int) -> StatusChanged:
    return StatusChanged(
        source="test",
        subject=application,
        correlation_id=f"corr-{application}-{sequence}",
        data=StatusChangedData(
            application_id=application,
            tracking_number="t",
            service="ktp-el",
            region="3576",
            to_status="routed",
            sequence=sequence,
            actor="system",
        ),
    )


async def read_all(bootstrap: str, topic: str, expected: int, timeout: float = 15) -> list:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records: list = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


@pytest.fixture
async def wired(settings):
    topics = Topics(settings.namespace)
    await provision_topics(
        settings.kafka_bootstrap,
        [TopicSpec(name, 3) for name in topics.core()],
    )
    broker = make_broker(settings, "test")
    mongo = make_mongo(settings, "test")
    yield settings, topics, broker, mongo
    await broker.stop()
    await mongo.close()


async def test_the_outbox_publishes_committed_events_in_order_and_nothing_from_an_aborted_one(
    wired,
):
    settings, topics, broker, mongo = wired
    await broker.start()
    db = mongo[settings.database_name("outbox-test")]
    outbox = Outbox(db, broker, allowed_topics={topics.status})
    committed = [change("app-1", n) for n in range(1, 21)]

    async def commit(session):
        await db["state"].insert_one({"_id": "app-1"}, session=session)
        await outbox.stage([(topics.status, event) for event in committed], session)

    async def abort(session):
        await outbox.stage([(topics.status, change("app-2", 1))], session)
        raise RuntimeError("the business write failed")

    await in_transaction(mongo, commit)
    with pytest.raises(RuntimeError):
        await in_transaction(mongo, abort)
    assert await outbox.pending() == 20
    assert await outbox.relay_once() == 20
    assert await outbox.pending() == 0

    records = await read_all(settings.kafka_bootstrap, topics.status, expected=20)
    assert [decode(r.value).id for r in records] == [e.id for e in committed]
    assert {r.key for r in records} == {b"app-1"}
    assert {dict(r.headers)["event-type"] for r in records} == {b"application.status_changed"}


async def test_the_outbox_refuses_a_topic_its_service_did_not_declare(wired):
    settings, topics, broker, mongo = wired
    db = mongo[settings.database_name("outbox-test")]
    outbox = Outbox(db, broker, allowed_topics={topics.status})

    async def stage(session):
        await outbox.stage([(topics.notifications, change("a", 1))], session)

    with pytest.raises(RuntimeError, match="undeclared"):
        await in_transaction(mongo, stage)


def bus(settings, topics, broker, mongo, outbox, group: str, handlers) -> MessageBus:
    units = UnitsOfWork(mongo, outbox)
    letters = DeadLetters(broker, service="test", group_id=group, topic=topics.deadletter)
    return MessageBus(
        handlers,
        units=units,
        dead_letters=letters,
        declared=topics.declared_types,
        attempts=3,
        backoff_seconds=0.01,
    )


async def test_a_poison_record_is_dead_lettered_with_its_reason_and_the_stream_carries_on(wired):
    """Each way a record can fail, on the real broker and database: not an event
    (``invalid``); refused by a rule (``rejected``, at once); a fault in the handler such
    as a KeyError (``handler-failed``, after every attempt) — each dead letter names the
    record's place and keeps the event's correlation id, and the good records around
    them are handled and their events published through the outbox."""
    settings, topics, broker, mongo = wired
    db = mongo[settings.database_name("bus-test")]
    outbox = Outbox(db, broker, allowed_topics={topics.notifications})
    await outbox.create_indexes()
    attempts: dict[int, int] = {}

    async def handle(event: StatusChanged, uow: UnitOfWork) -> None:
        sequence = event.data.sequence
        attempts[sequence] = attempts.get(sequence, 0) + 1
        if sequence == 2:
            raise Rejected("sequence 2 is not allowed")
        if sequence == 3:
            raise KeyError("agency")  # a bug in the handler, not in the record

        async def write(tx: Transaction) -> None:
            await db["handled"].insert_one(
                {"_id": event.id, "topic": uow.source(event).topic}, session=tx.session
            )
            tx.emit(topics.notifications, event)

        await uow.run(write)

    group = f"{settings.namespace}.test-consumer"
    subscribe_batch(
        broker,
        [topics.status],
        group_id=group,
        handler=bus(settings, topics, broker, mongo, outbox, group, {StatusChanged: handle}),
    )
    await broker.start()
    good = [change("app-9", n) for n in (1, 2, 3, 4)]
    key = b"app-9"
    await broker.publish(b"{not json", topics.status, key=key)
    for event in good:
        await broker.publish(encode(event), topics.status, key=key)

    async def handled() -> list[dict]:
        return await db["handled"].find().to_list(None)

    stored = await eventually(handled, timeout=30, until=lambda h: len(h) == 2)
    assert {row["_id"] for row in stored} == {good[0].id, good[3].id}
    assert {row["topic"] for row in stored} == {topics.status}
    letters = await read_all(settings.kafka_bootstrap, topics.deadletter, expected=3)
    by_reason = {orjson.loads(r.value)["data"]["reason"].split(":")[0]: r for r in letters}
    assert sorted(by_reason) == ["KeyError", "Rejected", "not JSON"]
    assert attempts[2] == 1  # refused by a rule: not retried
    assert attempts[3] == 3  # a fault: every attempt, then dead-lettered
    key_error = orjson.loads(by_reason["KeyError"].value)
    assert decode(by_reason["KeyError"].value).correlation_id == good[2].correlation_id
    assert key_error["data"]["attempts"] == 3
    assert key_error["data"]["topic"] == topics.status
    assert key_error["data"]["consumer_group"] == group
    assert isinstance(key_error["data"]["offset"], int)
    assert orjson.loads(by_reason["Rejected"].value)["data"]["attempts"] == 1
    assert await outbox.relay_once() == 2
    published = await read_all(settings.kafka_bootstrap, topics.notifications, expected=2)
    assert [decode(r.value).id for r in published] == [good[0].id, good[3].id]


async def test_a_batched_run_falls_back_to_one_at_a_time_when_one_event_fails(wired):
    """A batched handler takes a poll's consecutive events in one transaction; when one
    of them fails the transaction, nothing of it is kept, and the run is taken again one
    at a time: the others are stored once, the bad one dead-lettered."""
    settings, topics, broker, mongo = wired
    db = mongo[settings.database_name("bus-batch-test")]
    runs: list[int] = []

    async def handle_run(events: list[StatusChanged], uow: UnitOfWork) -> None:
        runs.append(len(events))

        async def write(tx: Transaction) -> None:
            for event in events:
                await db["handled"].insert_one({"_id": event.id}, session=tx.session)
                if event.data.sequence == 3:
                    raise RuntimeError("cannot store sequence 3")

        await uow.run(write)

    group = f"{settings.namespace}.test-batched"
    handlers = {StatusChanged: Batched(handle_run)}
    poll = [change("app-7", n) for n in range(1, 6)]
    records = [
        ConsumerRecord(topics.status, 0, n, 0, 0, b"app-7", encode(e), None, 0, 0, ())
        for n, e in enumerate(poll)
    ]
    await broker.start()
    await bus(settings, topics, broker, mongo, None, group, handlers)(records + records[:1])

    stored = await db["handled"].find().to_list(None)
    assert sorted(row["_id"] for row in stored) == sorted(
        e.id for i, e in enumerate(poll) if i != 2
    )
    assert runs[0] == 5  # the poll together (the repeated first record skipped) ...
    assert runs[1:] == [1] * 7  # ... then one at a time: four good ones, the bad one thrice
    letters = await read_all(settings.kafka_bootstrap, topics.deadletter, expected=1)
    assert [orjson.loads(r.value)["data"]["reason"] for r in letters] == [
        "RuntimeError: cannot store sequence 3"
    ]


async def test_inserting_first_a_redelivered_change_keeps_nothing_of_the_first_run(wired):
    """The insert-first pattern relies on the database: a duplicate key inside a
    transaction aborts it at once, without the driver retrying it, and keeps none of its
    writes; the run is then made again, looking first."""
    settings, _topics, _broker, mongo = wired
    db = mongo[settings.database_name("insert-first")]
    await db["notices"].insert_one({"_id": "change-1"})  # notified before: a redelivery
    runs: list[bool] = []

    async def run(look_first: bool) -> list[str]:
        runs.append(look_first)

        async def write(session) -> list[str]:
            await db["side_effects"].insert_one({"run": len(runs)}, session=session)
            ids = ["change-1", "change-2"]
            if look_first:
                found = await db["notices"].find({"_id": {"$in": ids}}).to_list(None)
                ids = [i for i in ids if i not in {d["_id"] for d in found}]
            await db["notices"].insert_many([{"_id": i} for i in ids], session=session)
            return ids

        return await in_transaction(mongo, write)

    assert await insert_first(run) == ["change-2"]
    assert runs == [False, True]  # once without looking, once looking: no driver retry
    assert await db["side_effects"].distinct("run") == [2]  # the first run kept nothing
    assert sorted(await db["notices"].distinct("_id")) == ["change-1", "change-2"]
