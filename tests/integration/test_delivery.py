"""The delivery machinery on the real broker and database: the outbox publishes what
was committed and nothing else, in order; a poison record is dead-lettered with its
reason while the stream carries on."""

import asyncio

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from shared.consuming import EventProcessor
from shared.events import StatusChanged, StatusChangedData, decode, encode
from shared.kafka import make_broker, provision_topics, subscribe_batch
from shared.mongo import in_transaction, make_mongo
from shared.outbox import Outbox
from shared.topics import Topics, TopicSpec
from tests.e2e.helpers import eventually


def change(application: str, sequence: int) -> StatusChanged:
    return StatusChanged(
        source="test",
        subject=application,
        correlation_id="c",
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


async def test_a_poison_record_is_dead_lettered_with_its_reason_and_the_stream_carries_on(wired):
    settings, topics, broker, _mongo = wired
    handled: list[str] = []

    async def handle(event, record):
        if event.data.sequence == 2:
            raise RuntimeError("cannot apply sequence 2")
        handled.append(event.id)

    group = f"{settings.namespace}.test-consumer"
    subscribe_batch(
        broker,
        [topics.status],
        group_id=group,
        handler=EventProcessor(
            service="test",
            broker=broker,
            settings=settings,
            group_id=group,
            handle=handle,
            accepts=(StatusChanged,),
        ),
    )
    await broker.start()
    good = [change("app-9", 1), change("app-9", 2), change("app-9", 3)]
    key = b"app-9"
    await broker.publish(b"{not json", topics.status, key=key)
    for event in good:
        await broker.publish(encode(event), topics.status, key=key)

    await eventually(lambda: asyncio.sleep(0, handled), timeout=30, until=lambda h: len(h) == 2)
    letters = await read_all(settings.kafka_bootstrap, topics.deadletter, expected=2)
    reasons = sorted(orjson.loads(r.value)["data"]["reason"] for r in letters)
    assert handled == [good[0].id, good[2].id]
    assert len(letters) == 2
    assert reasons[0].startswith("RuntimeError: cannot apply sequence 2")
    assert reasons[1].startswith("not JSON")
    first = orjson.loads(letters[0].value)["data"]
    assert first["topic"] == topics.status
    assert first["consumer_group"] == group
    assert isinstance(first["offset"], int)
