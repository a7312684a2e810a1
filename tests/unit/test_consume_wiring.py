"""Runtime.consume's subscriber wiring, on FastStream's in-memory broker: a handler
table gets its typed events with the topic they came on, and what it cannot take is
dead-lettered with the reason and the event's correlation id. (The same on the real
broker and database: tests/integration/test_delivery.py.)"""

from typing import Any

from faststream.kafka import TestKafkaBroker

from shared.errors import Rejected
from shared.events import (
    CancellationRefused,
    CancellationRefusedData,
    StatusChanged,
    decode,
    encode,
)
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork
from tests.integration.test_delivery import change


def refusal() -> CancellationRefused:
    return CancellationRefused(
        source="test",
        subject="a",
        correlation_id="refusal",
        data=CancellationRefusedData(
            application_id="a",
            tracking_number="t",
            citizen_id="c",
            status="approved",
            reason="already approved",
        ),
    )


def runtime_with_dead_letters(tmp_path: Any) -> tuple[Runtime, list[bytes]]:
    settings = Settings(namespace="wiring", local_dir=str(tmp_path), retry_backoff_seconds=0.001)
    runtime = build_runtime("routing", settings)
    letters: list[bytes] = []

    @runtime.broker.subscriber(runtime.topics.deadletter)
    async def collect(body: bytes) -> None:
        letters.append(body)

    return runtime, letters


async def test_a_handler_gets_its_events_with_the_topic_they_came_on(tmp_path):
    runtime, letters = runtime_with_dead_letters(tmp_path)
    seen: list[tuple[int, str]] = []

    async def on_status_changed(event: StatusChanged, uow: UnitOfWork) -> None:
        seen.append((event.data.sequence, uow.source(event).topic))

    runtime.consume(
        [runtime.topics.status],
        group="wiring.g",
        handlers={StatusChanged: on_status_changed},
        description="test",
    )
    async with TestKafkaBroker(runtime.broker) as broker:
        for sequence in (1, 2):
            await broker.publish(encode(change("a", sequence)), runtime.topics.status, key=b"a")
    assert seen == [(1, runtime.topics.status), (2, runtime.topics.status)]
    assert letters == []


async def test_what_the_table_cannot_take_is_dead_lettered_with_its_reason(tmp_path):
    runtime, letters = runtime_with_dead_letters(tmp_path)
    calls: list[int] = []

    async def on_status_changed(event: StatusChanged, uow: UnitOfWork) -> None:
        calls.append(event.data.sequence)
        if event.data.sequence == 1:
            raise Rejected("not from this agency")
        raise KeyError("agency")

    runtime.consume(
        [runtime.topics.status],
        group="wiring.g",
        handlers={StatusChanged: on_status_changed},
        description="test",
    )
    refused, faulty = change("a", 1), change("a", 2)
    status = runtime.topics.status
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(b"{not json", status, key=b"a")
        await broker.publish(encode(refused), status, key=b"a")
        await broker.publish(encode(faulty), status, key=b"a")
        await broker.publish(encode(refusal()), status, key=b"a")  # not a type it takes
    dead = [decode(body) for body in letters]
    reasons = [d.data.reason.split(":")[0] for d in dead]
    assert reasons[:3] == ["not JSON", "Rejected", "KeyError"]
    assert reasons[3].startswith("unexpected event type application.cancellation_refused")
    correlations = [d.correlation_id for d in dead]
    assert correlations == ["unknown", refused.correlation_id, faulty.correlation_id, "refusal"]
    assert [d.data.attempts for d in dead] == [0, 1, runtime.settings.handler_attempts, 0]
    assert calls == [1] + [2] * runtime.settings.handler_attempts
    assert {d.data.consumer_group for d in dead} == {"wiring.g"}
