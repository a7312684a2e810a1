"""The queue's hardening, against the real database and broker with intake and audit on
one namespace: a kiosk retrying a walk-in with the same Idempotency-Key gets the same
ticket and takes no second place; a disabled officer or kiosk is refused within seconds,
before the token expires; erasing an account cancels its active bookings; bookings and
tickets expire after the queue's period."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from shared.events import StaffAccessRevoked, StaffRevocationData, encode
from shared.retention_policy import QUEUE_DAYS
from shared.topics import Topics
from tests.e2e.helpers import eventually, read_topic, register
from tests.integration.test_queue_building import (  # the module's platform and helpers
    REGION,
    at,
    book,
    hall_of,
    platform,
    queue_day,
    staff,
)
from tests.integration.test_staff_accounts import mpp

__all__ = ["platform"]


async def walk_ins_taken(intake, day, start: str) -> int:
    db = intake.app.state.runtime.db
    slot = await db["queue_slots"].find_one({"_id": f"{REGION}:skck:{day}:{start}"})
    return int(slot["walkin_taken"]) if slot else 0


async def test_a_walk_in_retried_with_the_same_key_gets_the_same_ticket_and_no_second_place(
    platform,
):
    intake, settings = platform
    day, hall = queue_day(6), hall_of(intake)
    hall.clock.moved_to = at(day, "09:10")  # the 09:00 slot is under way
    kiosk = staff(settings, "queue_kiosk")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"service": "skck"}
    first = await intake.post("/api/v1/queue/walk-ins", json=body, headers=kiosk | key)
    assert first.status_code == 201, first.text
    again = await intake.post("/api/v1/queue/walk-ins", json=body, headers=kiosk | key)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await walk_ins_taken(intake, day, "09:00") == 1

    # Two retries racing with a fresh key: one ticket, one place.
    racing = {"Idempotency-Key": str(uuid.uuid4())}
    both = await asyncio.gather(
        *(intake.post("/api/v1/queue/walk-ins", json=body, headers=kiosk | racing) for _ in "ab")
    )
    answered = [a for a in both if a.status_code == 201]
    assert {a.json()["id"] for a in answered} != {first.json()["id"]}
    assert len({a.json()["id"] for a in answered}) == 1
    assert all(a.status_code in (201, 409) for a in both)  # 409: the same key in flight
    assert await walk_ins_taken(intake, day, "09:00") == 2

    # The key answered another request: refused, no place taken.
    other = await intake.post(
        "/api/v1/queue/walk-ins", json={"service": "skck", "priority": True}, headers=kiosk | key
    )
    assert other.status_code == 422, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    # Another kiosk's same key is its own: a ticket of its own.
    second_kiosk = staff(settings, "queue_kiosk", name="kiosk-2.3576")
    own = await intake.post("/api/v1/queue/walk-ins", json=body, headers=second_kiosk | key)
    assert own.status_code == 201
    assert own.json()["id"] != first.json()["id"]
    assert await walk_ins_taken(intake, day, "09:00") == 3


def revoked(username: str, role: str, *, disabled: bool, after: datetime) -> StaffAccessRevoked:
    data = StaffRevocationData(
        username=username,
        role=role,
        region=REGION,
        tokens_valid_after=after,
        disabled=disabled,
        by="admin.3576",
    )
    return StaffAccessRevoked(
        source="identity", subject=username, correlation_id=username, data=data
    )


async def test_a_disabled_officer_and_a_reset_kiosk_are_refused_within_seconds_and_others_not(
    platform,
):
    intake, settings = platform
    day, hall = queue_day(7), hall_of(intake)
    hall.clock.moved_to = at(day, "09:10")
    gone = staff(settings, "counter_officer", name="officer.gone.3576")
    other = staff(settings, "counter_officer", name="officer.stays.3576")
    kiosk = staff(settings, "queue_kiosk", name="kiosk.reset.3576")
    body = {"counter": "loket-2", "services": ["skck"]}
    assert (await intake.post("/api/v1/queue/calls", json=body, headers=gone)).status_code == 204

    runtime = intake.app.state.runtime
    now = datetime.now(UTC)
    for event in (
        revoked("officer.gone.3576", "counter_officer", disabled=True, after=now),
        # A password reset: the tokens issued before it are refused.
        revoked(
            "kiosk.reset.3576", "queue_kiosk", disabled=False, after=now + timedelta(seconds=5)
        ),
    ):
        await runtime.broker.publish(
            encode(event), runtime.topics.staff, key=event.subject.encode()
        )

    async def call() -> httpx.Response:
        return await intake.post("/api/v1/queue/calls", json=body, headers=gone)

    refused = await eventually(call, timeout=10, until=lambda a: a.status_code == 401)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "Akses petugas dicabut / Staff access revoked" in refused.json()["title"]

    async def ticket() -> httpx.Response:  # the reset's event may come on another partition
        return await intake.post("/api/v1/queue/walk-ins", json={"service": "skck"}, headers=kiosk)

    assert (await eventually(ticket, timeout=10, until=lambda a: a.status_code == 401)).json()
    still = await intake.post("/api/v1/queue/calls", json=body, headers=other)
    assert still.status_code in (200, 204)


async def test_erasing_an_account_cancels_its_active_bookings_and_gives_their_places_back(
    platform,
):
    intake, settings = platform
    day = queue_day(8)
    citizen = await register(intake)
    code = await book(intake, citizen, "skck", day, "10:00")
    stranger = await register(intake)
    kept = await book(intake, stranger, "skck", day, "10:00")

    erased = await intake.post(
        "/api/v1/me/erasure", json={"password": citizen.password}, headers=citizen.headers
    )
    assert erased.status_code == 200, erased.text
    db = intake.app.state.runtime.db
    booking = await db["queue_bookings"].find_one({"_id": code})
    assert booking["status"] == "cancelled"
    assert (await db["queue_bookings"].find_one({"_id": kept}))["status"] == "active"
    slot = await db["queue_slots"].find_one({"_id": f"{REGION}:skck:{day}:10:00"})
    assert slot["online_taken"] == 1  # the erased citizen's place went back
    events = await read_topic(settings.kafka_bootstrap, Topics(settings.namespace).queue, 1)
    assert any(e.type == "queue.cancelled" and e.subject == code for e in events)


async def test_bookings_and_tickets_expire_after_the_queues_period_by_ttl_indexes(platform):
    intake, _ = platform
    db = intake.app.state.runtime.db
    period = QUEUE_DAYS * 86400
    for collection, field in (("queue_bookings", "created_at"), ("queue_tickets", "checked_in_at")):
        indexes = await db[collection].index_information()
        ttl = [i for i in indexes.values() if i["key"] == [(field, 1)]]
        assert [i.get("expireAfterSeconds") for i in ttl] == [period], indexes


async def test_mpp_staff_disable_refuses_a_counter_officer_the_moment_the_command_ends(
    platform,
):
    intake, settings = platform
    env = {
        "MPP_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "MPP_MONGO_URI": settings.mongo_uri,
        "MPP_NAMESPACE": settings.namespace,
    }
    username = f"loket.{uuid.uuid4().hex[:8]}"
    added = await mpp(
        env,
        *("staff", "add", username, "--role", "counter_officer", "--region", REGION),
        "--password-stdin",
        stdin="kata-sandi-loket-yang-panjang\n",
    )
    assert added[0] == 0, added[1]
    officer = staff(settings, "counter_officer", name=username)
    body = {"counter": "loket-4", "services": ["skck"]}
    hall_of(intake).clock.moved_to = at(queue_day(9), "09:10")
    assert (await intake.post("/api/v1/queue/calls", json=body, headers=officer)).status_code == 204

    disabled = await mpp(env, "staff", "disable", username)
    assert disabled[0] == 0, disabled[1]
    refused = await intake.post("/api/v1/queue/calls", json=body, headers=officer)
    assert refused.status_code == 401  # at once: the command wrote intake's record itself
