"""The public dashboard's MPP queue section, against the real database and broker:
intake's queue steps reach routing over the queue topic (its own consumer group), and
the dashboard shows the day's waiting and service minutes per service and per counter,
in the MPP's local day and zone; a redelivered event counts once, and a ticket of
another region is not in this MPP's figures."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.routing.app import build as build_routing
from shared.events import QueueCalled, QueueData, QueueWalkedIn
from shared.settings import Settings
from tests.e2e.helpers import eventually
from tests.front_door import start_intake
from tests.integration.routing_support import publish, read_events
from tests.integration.test_queue_building import REGION, at, hall_of, queue_day, staff

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(stack: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any, Settings]]:
    """Intake (identity beside it) and routing on one namespace."""
    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        notify_url="http://127.0.0.1:9",  # no notify: the IKM is "not available"
    )
    async with AsyncExitStack() as running:
        intake = await start_intake(running, settings)
        routing = build_routing(settings)
        await running.enter_async_context(routing.router.lifespan_context(routing))
        yield intake, routing, settings


async def read_up(settings: Settings) -> None:
    """Until routing's queue group has committed every record on the queue topic."""
    topic, group = f"{settings.namespace}.queue", f"{settings.namespace}.routing.queue"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    ends = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await ends.start()
    try:
        partitions = [TopicPartition(topic, p) for p in ends.partitions_for_topic(topic) or ()]
        last = await ends.end_offsets(partitions)

        async def behind() -> int:
            done = await admin.list_consumer_group_offsets(group, partitions=partitions)
            return sum(last[p] - (done[p].offset if p in done else 0) for p in partitions)

        await eventually(behind, timeout=30, until=lambda n: n <= 0)
    finally:
        await ends.stop()
        await admin.close()


def row(page: str, table: str, *cells: str) -> list[str] | None:
    """The cells of the first row of ``table`` that starts with ``cells``."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    for found in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        values = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", found)
        ]
        if values and values[: len(cells)] == list(cells):
            return values
    return None


async def serve_two(intake: httpx.AsyncClient, settings: Settings, day: Any) -> list[dict]:
    """Two KTP-el walk-ins at 09:05: one called to Loket 1 at 09:17 and served at 09:25,
    the other called to Loket 5 at 09:25 and served at 09:40."""
    hall = hall_of(intake)
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    hall.clock.moved_to = at(day, "09:05")
    given = []
    for _ in range(2):
        answer = await intake.post(
            "/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=kiosk
        )
        assert answer.status_code == 201, answer.text
        given.append(answer.json())
    for counter, called_at, served_at in (
        ("loket-1", "09:17", "09:25"),
        ("loket-5", "09:25", "09:40"),
    ):
        hall.clock.moved_to = at(day, called_at)
        called = await intake.post(
            "/api/v1/queue/calls", json={"counter": counter}, headers=officer
        )
        assert called.status_code == 200, called.text
        hall.clock.moved_to = at(day, served_at)
        ticket = called.json()["id"]
        done = await intake.post(f"/api/v1/queue/tickets/{ticket}/served", headers=officer)
        assert done.status_code == 200, done.text
    return given


async def test_the_dashboard_shows_waiting_and_service_minutes_per_service_and_counter(platform):
    intake, routing, settings = platform
    day = queue_day(1)
    await serve_two(intake, settings, day)
    dashboard = httpx.AsyncClient(transport=httpx.ASGITransport(app=routing), base_url="http://r")
    asked = {"antrean_wilayah": REGION, "antrean_tanggal": str(day)}

    async def shown() -> str:
        return (await dashboard.get("/dashboard", params=asked)).text

    page = await eventually(
        shown, timeout=30, until=lambda p: (row(p, "queue-by-service") or [""])[1:3] == ["2", "2"]
    )
    # Waits of 12 and 20 minutes, services of 8 and 15: median / p90.
    assert row(page, "queue-by-service", "Penerbitan KTP Elektronik") == [
        "Penerbitan KTP Elektronik",
        "2",
        "2",
        "16.0 / 20.0",
        "11.5 / 15.0",
    ]
    assert row(page, "queue-by-counter", "Loket 1")[1:] == [
        "Penerbitan KTP Elektronik",
        "1",
        "1",
        "12.0 / 12.0",
        "8.0 / 8.0",
    ]
    assert row(page, "queue-by-counter", "Loket 5")[1:] == [
        "Penerbitan KTP Elektronik",
        "1",
        "1",
        "20.0 / 20.0",
        "15.0 / 15.0",
    ]
    assert "(WIB)" in page
    assert "pukul 09.40 WIB" in page  # the latest step, in the MPP's local time
    assert "loket-5" not in page.split('id="queue-times"', 1)[1]

    # A call delivered again, and a walk-in of another region on the same day:
    # once routing has read them, neither changed Mojokerto's figures, and a third ticket
    # here is counted.
    events = await read_events(
        settings.kafka_bootstrap,
        f"{settings.namespace}.queue",
        lambda found: sum(e.type == "queue.served" for e in found) == 2,
    )
    runtime = routing.state.runtime
    # Without its id kept, a call delivered again after the ticket was served would
    # seat it back at the counter: one served ticket fewer.
    called = next(e for e in events if e.type == "queue.called")
    assert isinstance(called, QueueCalled)
    await publish(runtime, runtime.topics.queue, called)
    elsewhere = QueueData(region="3514", service="ktp-el", day=str(day), ticket="3514-x-A-001")
    await publish(
        runtime,
        runtime.topics.queue,
        QueueWalkedIn(
            source="intake",
            subject="3514-x-A-001",
            region="3514",
            correlation_id="3514-x",
            data=elsewhere,
        ),
    )
    await read_up(settings)
    hall_of(intake).clock.moved_to = at(day, "10:05")
    third = await intake.post(
        "/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=staff(settings, "queue_kiosk")
    )
    assert third.status_code == 201, third.text
    page = await eventually(
        shown, timeout=30, until=lambda p: (row(p, "queue-by-service") or [""])[1] == "3"
    )
    assert row(page, "queue-by-service", "Penerbitan KTP Elektronik") == [
        "Penerbitan KTP Elektronik",
        "3",
        "2",
        "16.0 / 20.0",
        "11.5 / 15.0",
    ]
    times = routing.state.runtime.db["queue_times"]
    assert await times.count_documents({"region": REGION, "day": str(day)}) == 3
    await dashboard.aclose()


async def test_an_mpp_that_does_not_queue_or_a_day_that_is_no_date_is_not_shown(platform):
    _, routing, _ = platform
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=routing), base_url="http://r"
    ) as dashboard:
        page = (
            await dashboard.get(
                "/dashboard", params={"antrean_wilayah": "3514", "antrean_tanggal": "kemarin"}
            )
        ).text
    section = page.split('id="queue-times"', 1)[1]
    assert "antrean_wilayah=3514" not in section  # Pasuruan queues nothing
    assert '<strong aria-current="page">Kota Mojokerto</strong>' in section
    assert "Tanggal tidak dikenali; ditampilkan hari ini" in section
    assert "Belum ada tiket pada hari ini." in section
