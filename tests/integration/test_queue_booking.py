"""Booking a slot at the MPP from the phone, against the real database and broker: free
slots in the region's time, a code and QR code, one booking per service and day, the
quota never over-booked by two replicas at once, walk-ins keeping their share."""

import asyncio
import re
import time
import uuid
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta

import httpx
import pytest
from pymongo import AsyncMongoClient

from services.intake.app import build as build_intake
from services.intake.queue.ledger import QueueLedger, slot_id
from shared.catalogue import load_catalogue
from shared.events import utcnow
from tests.e2e.helpers import register, running_intake
from tests.front_door import front_door

REGION = "3576"  # Kota Mojokerto (WIB): ktp-el has 7 places a slot, 5 online and 2 walk-in
CODE = re.compile(r"^[2-9A-HJ-NP-Z]{8}$")


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


def service_day(skip: int = 0) -> date:
    """A working day of the region at least two days ahead (``skip`` more after it)."""
    calendar = load_catalogue().calendar_for(REGION)
    day = utcnow().astimezone(calendar.zone).date() + timedelta(days=2)
    while not calendar.is_working_day(day) or day.weekday() > 3:  # Mon–Thu: 14 slots
        day += timedelta(days=1)
    for _ in range(skip):
        day += timedelta(days=1)
        while not calendar.is_working_day(day) or day.weekday() > 3:
            day += timedelta(days=1)
    return day


async def book(client, citizen, service="ktp-el", day=None, start="08:00", key=None, **more):
    body = {
        "region": REGION,
        "service": service,
        "date": (day or service_day()).isoformat(),
        "start": start,
        **more,
    }
    headers = {**citizen.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    answer = await client.post("/api/v1/queue/bookings", json=body, headers=headers)
    for _ in range(3):  # a 503 (the database slow to answer) is retried with the same key,
        if answer.status_code != 503:  # as the phone does: it ends booked or refused
            break
        await asyncio.sleep(0.5)
        answer = await client.post("/api/v1/queue/bookings", json=body, headers=headers)
    return answer


async def slots(client, service, day) -> dict[str, int]:
    answer = await client.get(
        "/api/v1/queue/slots", params={"region": REGION, "service": service, "date": str(day)}
    )
    assert answer.status_code == 200, answer.text
    return {slot["start"][11:16]: slot["free"] for slot in answer.json()["slots"]}


async def test_a_citizen_books_a_free_slot_and_gets_a_code_and_a_qr_code(intake):
    day = service_day()
    listed = await intake.get(
        "/api/v1/queue/slots", params={"region": REGION, "service": "skck", "date": str(day)}
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["zone"] == "WIB"
    first = listed.json()["slots"][0]
    assert first["start"] == f"{day}T08:00:00+07:00"  # local time, with its offset
    assert first["end"] == f"{day}T08:30:00+07:00"
    assert first["free"] == 7  # 10 places, 3 kept for walk-ins
    assert len(listed.json()["slots"]) == 14  # 08:00–15:00 in 30 minutes

    citizen = await register(intake)
    key = str(uuid.uuid4())
    booked = await book(intake, citizen, "skck", day, "09:30", key=key)
    assert booked.status_code == 201, booked.text
    code = booked.json()["code"]
    assert CODE.match(code)
    assert booked.json()["start"] == f"{day}T09:30:00+07:00"
    assert booked.headers["location"].endswith(f"/api/v1/queue/bookings/{code}")
    assert (await slots(intake, "skck", day))["09:30"] == 6

    again = await book(intake, citizen, "skck", day, "09:30", key=key)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == booked.json()
    assert (await slots(intake, "skck", day))["09:30"] == 6  # the retry took no place

    qr = await intake.get(booked.json()["qr_svg"], headers=citizen.headers)
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/svg+xml"
    assert qr.text.startswith("<svg")
    assert f"Antrean MPP {code}" in qr.text

    mine = await intake.get("/api/v1/queue/bookings", headers=citizen.headers)
    assert [(b["code"], b["status"]) for b in mine.json()] == [(code, "active")]


async def test_fifty_citizens_on_two_replicas_get_exactly_the_five_online_places(intake):
    day, start = service_day(skip=1), "10:00"
    citizens = await asyncio.gather(*(register(intake) for _ in range(50)))
    async with AsyncExitStack() as running:
        second = build_intake(
            intake.app.state.intake.runtime.settings,
            identity=httpx.ASGITransport(app=intake.identity),
        )
        await running.enter_async_context(second.router.lifespan_context(second))
        replica = await running.enter_async_context(front_door(second, intake.identity))
        clients = [intake, replica]
        began = time.perf_counter()
        answers = await asyncio.gather(
            *(book(clients[i % 2], c, "ktp-el", day, start) for i, c in enumerate(citizens))
        )
        elapsed = time.perf_counter() - began
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 5 + [409] * 45
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Slot sudah penuh / Slot fully booked" in refused.json()["title"]
    print(f"\n50 bookings of one slot over two replicas: {50 / elapsed:.0f} bookings/s")

    db = intake.app.state.runtime.db
    ledger = await db["queue_slots"].find_one(
        {"_id": slot_id(REGION, "ktp-el", day, datetime.strptime(start, "%H:%M").time())}
    )
    assert (ledger["online_taken"], ledger["walkin_taken"]) == (5, 0)
    assert await db["queue_bookings"].count_documents({"slot": ledger["_id"]}) == 5
    assert (await slots(intake, "ktp-el", day))[start] == 0


async def test_walk_ins_take_only_their_own_share_and_bookings_never_take_it(intake):
    day, start = service_day(skip=2), datetime.strptime("11:00", "%H:%M").time()
    ledger = intake.app.state.intake.ledger
    rules = load_catalogue().queue_rules(REGION, "ktp-el")
    taken = [await ledger.take_walkin(rules, day, start) for _ in range(3)]
    assert taken == [True, True, False]  # 2 places kept for walk-ins, and no more
    assert (await slots(intake, "ktp-el", day))["11:00"] == 5  # online places untouched

    for _ in range(5):
        assert (
            await book(intake, await register(intake), "ktp-el", day, "11:00")
        ).status_code == 201
    late = await book(intake, await register(intake), "ktp-el", day, "11:00")
    assert late.status_code == 409
    count = await ledger.slot(slot_id(REGION, "ktp-el", day, start))
    assert (count.online_taken, count.walkin_taken) == (5, 2)


async def test_sixty_bookings_and_walk_ins_racing_on_two_replicas_take_exactly_ten(intake):
    """skck: 10 places a slot, 7 online and 3 kept for walk-ins; two ledgers, each with
    its own connection to the database, as two replicas have."""
    settings = intake.app.state.intake.runtime.settings
    other = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    try:
        ledgers = [
            intake.app.state.intake.ledger,
            QueueLedger(other[settings.database_name("intake")]),
        ]
        rules = load_catalogue().queue_rules(REGION, "skck")
        day, start = service_day(skip=7), datetime.strptime("14:00", "%H:%M").time()
        races = [
            (ledgers[i % 2].take_walkin if i % 3 == 0 else ledgers[i % 2].take_online)(
                rules, day, start
            )
            for i in range(60)
        ]
        began = time.perf_counter()
        taken = await asyncio.gather(*races)
        elapsed = time.perf_counter() - began
    finally:
        await other.close()
    walk_ins = [ok for i, ok in enumerate(taken) if i % 3 == 0]  # 20 walk-ins, 40 online
    online = [ok for i, ok in enumerate(taken) if i % 3 != 0]
    assert (sum(online), sum(walk_ins)) == (7, 3)
    print(f"\n60 takes of one slot's places on two connections: {60 / elapsed:.0f} takes/s")
    count = await ledgers[0].slot(slot_id(REGION, "skck", day, start))
    assert (count.online_taken, count.walkin_taken) == (7, 3)


async def test_a_citizen_holds_one_booking_per_service_and_day(intake):
    day = service_day(skip=3)
    citizen = await register(intake)
    first = await book(intake, citizen, "kartu-keluarga", day, "08:00")
    assert first.status_code == 201, first.text
    second = await book(intake, citizen, "kartu-keluarga", day, "13:00")
    assert second.status_code == 409
    assert "Sudah punya antrean hari itu / Already booked for that day" in second.json()["title"]
    assert first.json()["code"] in second.json()["detail"]
    assert (await slots(intake, "kartu-keluarga", day))["13:00"] == 5  # no place was kept
    other_service = await book(intake, citizen, "skck", day, "13:00")
    assert other_service.status_code == 201
    next_day = await book(intake, citizen, "kartu-keluarga", service_day(skip=4), "08:00")
    assert next_day.status_code == 201


async def test_cancelling_gives_the_place_back_and_only_its_owner_can(intake):
    day = service_day(skip=5)
    owner, stranger = await register(intake), await register(intake)
    booked = await book(intake, owner, "perpanjangan-sim", day, "14:30")
    assert booked.status_code == 201, booked.text
    code = booked.json()["code"]
    assert (await slots(intake, "perpanjangan-sim", day))["14:30"] == 2  # 4 places, 1 taken

    path = f"/api/v1/queue/bookings/{code}"
    assert (await intake.delete(path, headers=stranger.headers)).status_code == 404
    assert (await intake.get(f"{path}/qr.svg", headers=stranger.headers)).status_code == 404
    assert (await slots(intake, "perpanjangan-sim", day))["14:30"] == 2  # still taken

    cancelled = await intake.delete(path, headers=owner.headers)
    assert cancelled.status_code == 204
    assert (await slots(intake, "perpanjangan-sim", day))["14:30"] == 3
    twice = await intake.delete(path, headers=owner.headers)
    assert twice.status_code == 404
    assert twice.headers["content-type"] == "application/problem+json"
    assert (await slots(intake, "perpanjangan-sim", day))["14:30"] == 3  # given back once

    mine = await intake.get("/api/v1/queue/bookings", headers=owner.headers)
    assert [b["status"] for b in mine.json()] == ["cancelled"]
    rebooked = await book(intake, owner, "perpanjangan-sim", day, "08:00")
    assert rebooked.status_code == 201  # the day is free for the owner again


async def test_a_past_slot_and_a_holiday_are_refused(intake):
    citizen = await register(intake)
    calendar = load_catalogue().calendar_for(REGION)
    past = utcnow().astimezone(calendar.zone).date() - timedelta(days=1)
    while not calendar.is_working_day(past) or past.weekday() > 3:
        past -= timedelta(days=1)
    gone = await book(intake, citizen, "skck", past, "08:00")
    assert gone.status_code == 422
    assert "Waktu sudah lewat / Slot already started" in gone.json()["title"]
    assert await slots(intake, "skck", past) == {}  # none listed in the past

    new_year = date(2027, 1, 1)  # a national holiday
    closed = await book(intake, citizen, "skck", new_year, "08:00")
    assert closed.status_code == 422
    assert "Bukan hari layanan / Not a service day" in closed.json()["title"]
    listed = await intake.get(
        "/api/v1/queue/slots", params={"region": REGION, "service": "skck", "date": "2027-01-01"}
    )
    assert listed.status_code == 422
    not_a_slot = await book(intake, citizen, "skck", service_day(), "08:10")
    assert not_a_slot.status_code == 422


async def test_an_unknown_region_or_service_cannot_be_booked(intake):
    citizen = await register(intake)
    day = str(service_day())
    for region, service in (("3576", "no-such-service"), ("3514", "ktp-el"), ("3576", "pbg")):
        listed = await intake.get(
            "/api/v1/queue/slots", params={"region": region, "service": service, "date": day}
        )
        assert listed.status_code == 404, (region, service)
        assert "Tidak bisa dipesan / Cannot be booked" in listed.json()["title"]
    unknown = await book(intake, citizen, "no-such-service")
    assert unknown.status_code == 404
    malformed = await intake.get(
        "/api/v1/queue/slots", params={"region": "mojokerto", "service": "ktp-el", "date": day}
    )
    assert malformed.status_code == 422


async def test_an_unproven_account_and_a_missing_key_cannot_book(intake):
    unproven = await register(intake, proven=False)
    refused = await book(intake, unproven, "skck", service_day(), "10:30")
    assert refused.status_code == 403
    assert "Akun belum terverifikasi" in refused.json()["title"]
    citizen = await register(intake)
    body = {"region": REGION, "service": "skck", "date": str(service_day()), "start": "10:30"}
    no_key = await intake.post("/api/v1/queue/bookings", json=body, headers=citizen.headers)
    assert no_key.status_code == 400
    assert (await slots(intake, "skck", service_day()))["10:30"] == 7


async def test_a_booking_carries_only_the_citizens_own_application(intake):
    owner, stranger = await register(intake), await register(intake)
    submitted = await intake.post(
        "/api/v1/applications",
        json={
            "service": "ktp-el",
            "region": REGION,
            "data": {"reason": "baru"},
            "channel": "mobile",
        },
        headers={**owner.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert submitted.status_code == 202, submitted.text
    application_id = submitted.json()["id"]
    day = service_day(skip=6)
    theirs = await book(intake, stranger, "ktp-el", day, "08:30", application_id=application_id)
    assert theirs.status_code == 404
    own = await book(intake, owner, "ktp-el", day, "08:30", application_id=application_id)
    assert own.status_code == 201, own.text
    assert own.json()["application_id"] == application_id
