"""The queue inside the MPP's building, against the real database and broker: the kiosk
checks a booking in and hands out walk-in tickets, the counter officer calls, serves and
transfers, a late booking is released to walk-ins, every step is an event on the queue
topic that audit records, and staff of another region, or a citizen, can do none of it.

The queue's clock is moved to the hour each test needs (the MPP opens 08:00–15:00 in
Kota Mojokerto's time), never slept through."""

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from services.audit.app import build as build_audit
from services.intake.app import build as build_intake
from services.intake.queue.hall import Hall
from services.intake.queue.release import QueueReleaser
from shared.auth import issue_token
from shared.catalogue import load_catalogue
from shared.settings import Settings
from shared.topics import Topics
from tests.e2e.helpers import eventually, read_topic, register
from tests.front_door import front_door, start_intake

REGION = "3576"  # Kota Mojokerto (WIB); ktp-el: 5 online, 2 walk-in; skck: 7 online, 3 walk-in
ZONE = load_catalogue().zone_of(REGION)
NUMBER = re.compile(r"^[A-Z]-\d{3}$")


@pytest.fixture(scope="module")
async def platform(stack: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """Intake (identity beside it) and audit on one namespace, for the module."""
    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
    )
    async with AsyncExitStack() as running:
        intake = await start_intake(running, settings)
        audit = build_audit(settings)
        await running.enter_async_context(audit.router.lifespan_context(audit))
        yield intake, settings


def hall_of(intake: httpx.AsyncClient) -> Hall:
    return intake.app.state.intake.hall  # type: ignore[attr-defined, no-any-return]


def staff(settings: Settings, role: str, region: str = REGION, name: str = "") -> dict:
    token, _ = issue_token(settings, name or f"{role}.{region}", (role,), region=region)
    return {"Authorization": f"Bearer {token}"}


def queue_day(skip: int) -> date:
    """A Monday–Thursday working day of the region, ``skip`` such days after the third
    day from now (each test its own day: lanes number per region and day)."""
    calendar = load_catalogue().calendar_for(REGION)
    day = datetime.now(ZONE).date() + timedelta(days=3)
    found = 0
    while True:
        if calendar.is_working_day(day) and day.weekday() <= 3:
            if found == skip:
                return day
            found += 1
        day += timedelta(days=1)


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), ZONE)


async def book(intake, citizen, service: str, day: date, start: str) -> str:
    body = {"region": REGION, "service": service, "date": str(day), "start": start}
    headers = {**citizen.headers, "Idempotency-Key": str(uuid.uuid4())}
    answer = await intake.post("/api/v1/queue/bookings", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


async def test_a_booking_is_checked_in_called_served_and_each_step_is_an_audited_queue_event(
    platform,
):
    intake, settings = platform
    day, hall = queue_day(0), hall_of(intake)
    citizen = await register(intake)
    hall.clock.moved_to = at(day, "07:00")  # booking uses the real clock: the day is ahead
    code = await book(intake, citizen, "ktp-el", day, "09:00")
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")

    hall.clock.moved_to = at(day, "08:45")
    both = await asyncio.gather(
        *(intake.post("/api/v1/queue/check-ins", json={"code": code}, headers=kiosk) for _ in "ab")
    )
    assert sorted(a.status_code for a in both) == [200, 201]  # two scans at once: one ticket
    ticket = both[0].json()
    assert ticket == both[1].json()
    assert NUMBER.match(ticket["number"])
    assert ticket["number"].startswith("A-")  # ktp-el: the region's first queued service
    assert (ticket["booking"], ticket["status"], ticket["slot"]) == (code, "waiting", "09:00")
    again = await intake.post("/api/v1/queue/check-ins", json={"code": code}, headers=kiosk)
    assert (again.status_code, again.json()["id"]) == (200, ticket["id"])

    hall.clock.moved_to = at(day, "08:57")
    body = {"counter": "loket-1", "services": ["ktp-el", "kartu-keluarga"]}
    called = await intake.post("/api/v1/queue/calls", json=body, headers=officer)
    assert called.status_code == 200, called.text
    assert (called.json()["id"], called.json()["counter"]) == (ticket["id"], "loket-1")
    assert (await intake.post("/api/v1/queue/calls", json=body, headers=officer)).status_code == 204
    hall.clock.moved_to = at(day, "09:05")
    path = f"/api/v1/queue/tickets/{ticket['id']}/served"
    served = await intake.post(path, headers=officer)
    assert served.json()["status"] == "served"
    twice = await intake.post(path, headers=officer)
    assert twice.status_code == 409  # served once

    figures = await intake.get(
        "/api/v1/queue/figures", params={"region": REGION, "date": str(day)}, headers=officer
    )
    [row] = figures.json()["by_counter"]
    assert (row["counter"], row["service"], row["served"]) == ("loket-1", "ktp-el", 1)
    assert row["waiting_minutes"]["mean"] == 12.0  # 08:45 → 08:57
    assert row["service_minutes"]["mean"] == 8.0  # 08:57 → 09:05

    events = await read_topic(settings.kafka_bootstrap, Topics(settings.namespace).queue, 4)
    mine = [e for e in events if code in (e.subject, e.data.booking)]
    # In order per key: the booking's events under its code, the ticket's under its id.
    assert [e.type for e in mine if e.subject == code] == ["queue.booked"]
    assert [e.type for e in mine if e.subject == ticket["id"]] == [
        "queue.checked_in",
        "queue.called",
        "queue.served",
    ]
    assert all(e.data.citizen_id == citizen.id for e in mine)
    raw = str([e.model_dump() for e in mine])
    assert citizen.nik not in raw
    assert citizen.email not in raw
    assert "Siti" not in raw

    audit = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    try:
        records = audit[settings.database_name("audit")]["records"]

        async def audited() -> list:
            found = records.find({"subject": ticket["id"]}, {"type": 1})
            types = sorted(r["type"] for r in await found.to_list(None))
            return types if len(types) == 3 else []

        assert await eventually(audited, timeout=30) == [
            "queue.called",
            "queue.checked_in",
            "queue.served",
        ]
    finally:
        await audit.close()


async def test_the_priority_lane_is_called_first_then_the_slot_then_the_number(platform):
    intake, settings = platform
    day, hall = queue_day(1), hall_of(intake)
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    hall.clock.moved_to = at(day, "10:02")
    numbers = []
    for priority in (False, False, True):
        taken = await intake.post(
            "/api/v1/queue/walk-ins", json={"service": "skck", "priority": priority}, headers=kiosk
        )
        assert taken.status_code == 201, taken.text
        numbers.append(taken.json()["number"])
    assert numbers == ["C-001", "C-002", "P-001"]  # skck is the region's third queued service
    full = await intake.post("/api/v1/queue/walk-ins", json={"service": "skck"}, headers=kiosk)
    assert full.status_code == 409  # 3 walk-in places a slot
    assert full.headers["content-type"] == "application/problem+json"
    assert "Kuota datang langsung penuh / Walk-in places taken" in full.json()["title"]

    hall.clock.moved_to = at(day, "10:31")  # the next slot's walk-ins queue after
    later = await intake.post("/api/v1/queue/walk-ins", json={"service": "skck"}, headers=kiosk)
    assert (later.status_code, later.json()["slot"]) == (201, "10:30")
    shown = await intake.get("/api/v1/queue/board", params={"region": REGION})  # public
    assert (shown.json()["called"], shown.json()["waiting"]) == ([], {"skck": 4})
    body = {"counter": "loket-4", "services": ["skck"]}
    order = []
    for minute in range(5):
        hall.clock.moved_to = at(day, "10:32") + timedelta(minutes=minute)
        called = await intake.post("/api/v1/queue/calls", json=body, headers=officer)
        order.append(called.json()["number"] if called.status_code == 200 else None)
    assert order == ["P-001", "C-001", "C-002", "C-003", None]
    shown = await intake.get("/api/v1/queue/board", params={"region": REGION})
    assert [(c["number"], c["counter"]) for c in shown.json()["called"]] == [
        ("C-003", "loket-4"),
        ("C-002", "loket-4"),
        ("C-001", "loket-4"),
        ("P-001", "loket-4"),
    ]
    assert shown.json()["called"][0]["called_at"].endswith("+07:00")


async def test_a_transferred_ticket_keeps_its_place_in_the_other_services_lane(platform):
    intake, settings = platform
    day, hall = queue_day(2), hall_of(intake)
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    hall.clock.moved_to = at(day, "08:01")
    first = await intake.post("/api/v1/queue/walk-ins", json={"service": "skck"}, headers=kiosk)
    hall.clock.moved_to = at(day, "08:31")
    later = await intake.post("/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=kiosk)
    skck = {"counter": "loket-2", "services": ["skck"]}
    called = await intake.post("/api/v1/queue/calls", json=skck, headers=officer)
    assert called.json()["id"] == first.json()["id"]
    moved = await intake.post(
        f"/api/v1/queue/tickets/{first.json()['id']}/transfer",
        json={"service": "ktp-el"},
        headers=officer,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["status"], moved.json()["service"]) == ("waiting", "ktp-el")
    ktp = {"counter": "loket-1", "services": ["ktp-el"]}
    calls = [await intake.post("/api/v1/queue/calls", json=ktp, headers=officer) for _ in "ab"]
    assert [c.json()["id"] for c in calls] == [first.json()["id"], later.json()["id"]]
    missed = await intake.post(
        f"/api/v1/queue/tickets/{later.json()['id']}/no-show", headers=officer
    )
    assert missed.json()["status"] == "no_show"


async def test_two_officers_calling_at_once_on_two_replicas_never_get_the_same_ticket(platform):
    intake, settings = platform
    day = queue_day(3)
    kiosk = staff(settings, "queue_kiosk")
    for start in ("08:00", "08:30", "09:00", "09:30", "10:00"):
        hall_of(intake).clock.moved_to = at(day, start) + timedelta(minutes=1)
        for _ in range(3):
            taken = await intake.post(
                "/api/v1/queue/walk-ins", json={"service": "skck"}, headers=kiosk
            )
            assert taken.status_code == 201, taken.text
    officers = [staff(settings, "counter_officer", name=f"petugas.{n}") for n in ("satu", "dua")]
    async with AsyncExitStack() as running:
        second = build_intake(settings, identity=httpx.ASGITransport(app=intake.identity))
        await running.enter_async_context(second.router.lifespan_context(second))
        replica = await running.enter_async_context(front_door(second, intake.identity))
        clients = [intake, replica]
        for client in clients:
            hall_of(client).clock.moved_to = at(day, "10:40")

        async def call(i: int) -> httpx.Response:
            body = {"counter": f"loket-{i % 2 + 1}", "services": ["skck"]}
            return await clients[i % 2].post(
                "/api/v1/queue/calls", json=body, headers=officers[i % 2]
            )

        began = time.perf_counter()
        answers = await asyncio.gather(*(call(i) for i in range(24)))
        elapsed = time.perf_counter() - began
    ids = [answer.json()["id"] for answer in answers if answer.status_code == 200]
    assert len(ids) == 15
    assert len(set(ids)) == 15  # every ticket called once, none twice
    assert [a.status_code for a in answers].count(204) == 9
    print(f"\n24 calls through two replicas for 15 tickets: {24 / elapsed:.0f} calls/s")


async def test_a_booking_not_checked_in_is_released_after_its_grace_and_walk_ins_get_its_place(
    platform,
):
    intake, settings = platform
    day, hall = queue_day(4), hall_of(intake)
    citizen = await register(intake)
    code = await book(intake, citizen, "ktp-el", day, "10:00")
    releaser = QueueReleaser(hall)
    assert await releaser.release_once(at(day, "10:14")) == 0  # within the 15 minutes
    assert await releaser.release_once(at(day, "10:15")) == 1
    assert await releaser.release_once(at(day, "10:20")) == 0  # released once
    mine = await intake.get("/api/v1/queue/bookings", headers=citizen.headers)
    assert [b["status"] for b in mine.json()] == ["released"]
    db = intake.app.state.runtime.db
    slot = await db["queue_slots"].find_one({"_id": f"{REGION}:ktp-el:{day}:10:00"})
    assert (slot["online_taken"], slot["online_limit"], slot["walkin_limit"]) == (0, 4, 3)

    kiosk = staff(settings, "queue_kiosk")
    hall.clock.moved_to = at(day, "10:16")
    late = await intake.post("/api/v1/queue/check-ins", json={"code": code}, headers=kiosk)
    assert late.status_code == 409
    assert "Antrean sudah tidak berlaku / Booking no longer valid" in late.json()["title"]
    walk_ins = [
        (await intake.post("/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=kiosk))
        for _ in range(4)
    ]
    assert [w.status_code for w in walk_ins] == [201, 201, 201, 409]  # 2 kept + 1 released
    events = await read_topic(settings.kafka_bootstrap, Topics(settings.namespace).queue, 1)
    assert [e.type for e in events if e.subject == code] == ["queue.booked", "queue.released"]


async def test_staff_of_another_region_a_citizen_and_the_wrong_day_are_refused(platform):
    intake, settings = platform
    day, hall = queue_day(5), hall_of(intake)
    citizen = await register(intake)
    code = await book(intake, citizen, "ktp-el", day, "09:30")
    tomorrow = await book(intake, await register(intake), "ktp-el", queue_day(6), "09:30")
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    elsewhere_kiosk = staff(settings, "queue_kiosk", "3514")
    elsewhere_officer = staff(settings, "counter_officer", "3514")

    hall.clock.moved_to = at(day, "08:30")
    early = await intake.post("/api/v1/queue/check-ins", json={"code": code}, headers=kiosk)
    assert early.status_code == 422  # an hour early
    assert "Bukan waktu antrean ini / Not this booking's time" in early.json()["title"]
    hall.clock.moved_to = at(day, "09:31")
    other_day = await intake.post("/api/v1/queue/check-ins", json={"code": tomorrow}, headers=kiosk)
    assert other_day.status_code == 422
    there = await intake.post(
        "/api/v1/queue/check-ins", json={"code": code}, headers=elsewhere_kiosk
    )
    assert there.status_code == 404
    assert "Kode antrean tidak dikenal / Unknown booking code" in there.json()["title"]
    for wrong in (citizen.headers, officer):  # a citizen's token, an officer's role
        refused = await intake.post("/api/v1/queue/check-ins", json={"code": code}, headers=wrong)
        assert refused.status_code == 403
        assert "Bukan petugas antrean / Not queue staff" in refused.json()["title"]
    checked = await intake.post("/api/v1/queue/check-ins", json={"code": code}, headers=kiosk)
    assert checked.status_code == 201, checked.text
    ticket = checked.json()["id"]

    body = {"counter": "loket-1", "services": ["ktp-el"]}
    for wrong in (citizen.headers, kiosk):
        assert (
            await intake.post("/api/v1/queue/calls", json=body, headers=wrong)
        ).status_code == 403
    not_queued = await intake.post("/api/v1/queue/calls", json=body, headers=elsewhere_officer)
    assert not_queued.status_code == 404  # Pasuruan queues nothing: no ticket of Mojokerto
    assert (await intake.post("/api/v1/queue/calls", json=body, headers=officer)).status_code == 200
    stranger = await intake.post(
        f"/api/v1/queue/tickets/{ticket}/served", headers=elsewhere_officer
    )
    assert stranger.status_code == 404
    for who, expected in ((citizen.headers, 403), (elsewhere_officer, 403), (officer, 200)):
        figures = await intake.get(
            "/api/v1/queue/figures", params={"region": REGION, "date": str(day)}, headers=who
        )
        assert figures.status_code == expected, figures.text


async def test_sixty_bookings_and_walk_ins_through_two_replicas_take_exactly_ten_places(platform):
    """skck's 10 places of a slot: 7 online, 3 walk-in. 40 citizens book and 20 walk-ins
    ask the kiosk at the same moment, half through each replica."""
    intake, settings = platform
    day, start = queue_day(7), "14:00"
    citizens = await asyncio.gather(*(register(intake) for _ in range(40)))
    kiosk = staff(settings, "queue_kiosk")
    async with AsyncExitStack() as running:
        second = build_intake(settings, identity=httpx.ASGITransport(app=intake.identity))
        await running.enter_async_context(second.router.lifespan_context(second))
        replica = await running.enter_async_context(front_door(second, intake.identity))
        for client in (intake, replica):
            hall_of(client).clock.moved_to = at(day, "14:05")  # walk-ins: the slot under way
        clients = [intake, replica]

        async def one(i: int) -> httpx.Response:
            client = clients[i % 2]
            if i % 3 == 0:
                return await client.post(
                    "/api/v1/queue/walk-ins", json={"service": "skck"}, headers=kiosk
                )
            body = {"region": REGION, "service": "skck", "date": str(day), "start": start}
            headers = {**citizens[i - i // 3 - 1].headers, "Idempotency-Key": str(uuid.uuid4())}
            return await client.post("/api/v1/queue/bookings", json=body, headers=headers)

        began = time.perf_counter()
        answers = await asyncio.gather(*(one(i) for i in range(60)))
        elapsed = time.perf_counter() - began
    walk_ins = [a.status_code for i, a in enumerate(answers) if i % 3 == 0]
    bookings = [a.status_code for i, a in enumerate(answers) if i % 3 != 0]
    assert sorted(bookings) == [201] * 7 + [409] * 33
    assert sorted(walk_ins) == [201] * 3 + [409] * 17
    titles = {a.json()["title"] for a in answers if a.status_code == 409}
    assert titles == {
        "Slot sudah penuh / Slot fully booked",
        "Kuota datang langsung penuh / Walk-in places taken",
    }
    db = intake.app.state.runtime.db
    slot = await db["queue_slots"].find_one({"_id": f"{REGION}:skck:{day}:{start}"})
    assert (slot["online_taken"], slot["walkin_taken"]) == (7, 3)
    print(f"\n60 bookings and walk-ins on two replicas: {60 / elapsed:.0f} requests/s")
