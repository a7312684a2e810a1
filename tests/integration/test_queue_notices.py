"""Notices of the MPP's queue, against the real broker and database, a real messaging
provider and two notify replicas on one namespace: a booking's reminders go out the
evening before (18:00 in the region's zone) and an hour before the slot, once each,
in Bahasa Indonesia then English with the time in WITA; a cancelled or checked-in
booking is not reminded; a served ticket's citizen is offered the SKM survey, once.

Queue events are published on the queue topic as intake writes them; the reminders'
clock is moved by calling :meth:`QueueNotices.send_due` with the moment, never slept
through."""

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from shared.catalogue import load_catalogue
from shared.events import (
    QueueBooked,
    QueueBookingCancelled,
    QueueCheckedIn,
    QueueData,
    QueueServed,
    encode,
)
from shared.retention_policy import QUEUE_DAYS
from shared.settings import Settings
from tests.e2e.helpers import eventually, register
from tests.integration.test_queue_building import ZONE, book, queue_day, staff
from tests.notify_receivers import ProviderReceiver, channel_env, contacts_changed
from tests.regions import eastern_catalogue, serve_catalogue

REGION = "7371"  # Kota Makassar, WITA (UTC+8)
WITA = ZoneInfo("Asia/Makassar")
DAY = "2027-03-09"  # a Tuesday
PHONE = "+6281200007371"


@pytest.fixture
def provider():
    receiver = ProviderReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def settings(stack_env, monkeypatch, provider) -> Settings:
    env = {**stack_env, "MPP_PORTAL_URL": "https://mpp.example.go.id"}
    env |= {k: v for k, v in channel_env(provider, provider).items() if "SMTP" not in k}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


@pytest.fixture
async def replicas(service_app, settings, monkeypatch):
    """Two notify processes' apps on one namespace and consumer group, serving the
    catalogue with Kota Makassar's MPP."""
    catalogue = eastern_catalogue()
    serve_catalogue(monkeypatch, catalogue)
    # A notice names the catalogue its process serves; this test process also holds the
    # catalogues of other tests' services, some newer and without Makassar.
    monkeypatch.setattr("services.notify.queue_messages.served_catalogue", lambda: catalogue)
    return [await service_app("notify"), await service_app("notify")]


def makassar_mpp(body: str) -> str:
    """The MPP's name in ``body``: "MPP Makassar" in the test catalogue, "MPP Kota
    Makassar" in the example package, which another test of the same process may have
    published (a process's notices name the newest catalogue it applied)."""
    return "MPP Kota Makassar" if "MPP Kota Makassar" in body else "MPP Makassar"


def mojokerto(day: date, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZONE)


def wita(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=WITA)


async def publish(notify, *events) -> None:
    runtime = notify.app.state.runtime
    for event in events:
        topic = runtime.topics.queue if event.type.startswith("queue") else runtime.topics.accounts
        await runtime.broker.publish(encode(event), topic, key=event.subject.encode())


def queue_event(kind, subject: str, citizen: str | None, **fields) -> object:
    data = QueueData(region=REGION, service="ktp-el", day=DAY, citizen_id=citizen, **fields)
    return kind(source="intake", subject=subject, region=REGION, correlation_id=subject, data=data)


async def with_sms_contacts(notify, citizen: str, phone: str = PHONE) -> None:
    await publish(notify, contacts_changed(citizen, channels=["sms"], phone=phone))
    contacts = notify.app.state.runtime.db["contacts"]
    await eventually(lambda: contacts.find_one({"_id": citizen}), timeout=15, until=bool)


async def reminders_of(notify, booking: str) -> list[dict]:
    found = notify.app.state.runtime.db["queue_reminders"].find({"booking": booking})
    return await found.sort("due_at", 1).to_list()


async def due_everywhere(replicas, moment: datetime) -> int:
    """Both replicas look for due reminders at the same moment; how many were sent."""
    sent = await asyncio.gather(*(r.app.state.notify.queue.send_due(moment) for r in replicas))
    return sum(sent)


async def test_a_booking_is_reminded_at_six_the_evening_before_and_an_hour_before_in_wita_once(
    replicas, provider
):
    one, _ = replicas
    await with_sms_contacts(one, "c-remind")
    booked = queue_event(QueueBooked, "MKS2345A", "c-remind", slot="09:00", booking="MKS2345A")
    await publish(one, booked, booked)  # delivered twice: still two reminders
    stored = await eventually(lambda: reminders_of(one, "MKS2345A"), 15, lambda r: len(r) == 2)
    # 18:00 WITA the day before is 10:00 UTC; an hour before 09:00 WITA is 00:00 UTC.
    assert [r["due_at"].replace(tzinfo=UTC) for r in stored] == [
        datetime(2027, 3, 8, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 9, 0, 0, tzinfo=UTC),
    ]

    indexes = await one.app.state.runtime.db["queue_reminders"].index_information()
    kept = [
        i.get("expireAfterSeconds") for i in indexes.values() if i["key"] == [("created_at", 1)]
    ]
    assert kept == [QUEUE_DAYS * 86400]  # reminders expire with the queue's period

    assert await due_everywhere(replicas, wita("2027-03-08", "17:59")) == 0
    assert await due_everywhere(replicas, wita("2027-03-08", "18:00")) == 1  # one of two
    [sms] = await eventually(lambda: asyncio.sleep(0, provider.accepted_for("sms", PHONE)), 15, len)
    body = sms["body"]
    assert body.index("Pengingat antrean: besok") < body.index("Queue reminder: tomorrow")
    assert "Selasa, 9 Maret 2027 pukul 09.00 WITA" in body
    assert "Tuesday, 9 March 2027 at 09:00 WITA" in body
    mpp = makassar_mpp(body)
    assert body.count(mpp) == 2
    assert body.count("MKS2345A") == 2
    ktp_el = load_catalogue().service("ktp-el")
    assert f"layanan {ktp_el.name.id} di {mpp}" in body
    assert f"{ktp_el.name.en} at {mpp}" in body

    assert await due_everywhere(replicas, wita(DAY, "07:59")) == 0
    assert await due_everywhere(replicas, wita(DAY, "08:00")) == 1
    assert await due_everywhere(replicas, wita(DAY, "08:01")) == 0  # each sent once
    sent = await eventually(
        lambda: asyncio.sleep(0, provider.accepted_for("sms", PHONE)), 15, lambda s: len(s) == 2
    )
    assert "Queue reminder: in one hour" in sent[1]["body"]
    inbox = one.app.state.runtime.db["notifications"]
    assert await inbox.count_documents({"citizen_id": "c-remind"}) == 2
    await asyncio.sleep(1)  # nothing else arrives
    assert len(provider.accepted_for("sms", PHONE)) == 2


async def test_a_cancelled_or_checked_in_booking_is_not_reminded(replicas, provider):
    one, _ = replicas
    phone = "+6281200007372"
    await with_sms_contacts(one, "c-cancel", phone)
    for code, ended in (("MKSCANC1", QueueBookingCancelled), ("MKSCHEK1", QueueCheckedIn)):
        fields = {"slot": "10:00", "booking": code}
        await publish(one, queue_event(QueueBooked, code, "c-cancel", **fields))
        await eventually(lambda code=code: reminders_of(one, code), 15, lambda r: len(r) == 2)
        await publish(one, queue_event(ended, code, "c-cancel", **fields))
        await eventually(
            lambda code=code: reminders_of(one, code),
            15,
            lambda found: {r["status"] for r in found} == {"stopped"},
        )
    assert await due_everywhere(replicas, wita(DAY, "10:00")) == 0
    await asyncio.sleep(1)
    assert provider.accepted_for("sms", phone) == []


async def test_a_served_citizen_is_offered_the_survey_once_and_a_walk_in_without_account_not(
    replicas, provider
):
    one, _ = replicas
    phone = "+6281200007373"
    await with_sms_contacts(one, "c-served", phone)
    ticket = f"{REGION}-{DAY}-A-007"
    served = queue_event(QueueServed, ticket, "c-served", ticket=ticket, number="A-007")
    walk_in = f"{REGION}-{DAY}-A-008"
    alone = queue_event(QueueServed, walk_in, None, ticket=walk_in, number="A-008")
    await publish(one, served, alone, served)  # the served ticket delivered twice
    [sms] = await eventually(lambda: asyncio.sleep(0, provider.accepted_for("sms", phone)), 20, len)
    link = re.search(r"https://mpp\.example\.go\.id/surveys/\S+", sms["body"])
    assert link is not None, sms["body"]
    assert "A-007" in sms["body"]
    assert makassar_mpp(sms["body"]) in sms["body"]
    address = urlsplit(link.group(0))
    assert address.path == f"/surveys/{ticket}"

    opened = await one.get(f"{address.path}?{address.query}")  # signed out, by the link
    assert opened.status_code == 303
    form = await one.get(address.path)
    assert form.status_code == 200
    assert 'name="u9"' in form.text
    answer = {f"u{i}": "3" for i in range(1, 10)} | {"csrf": one.cookies["mpp_csrf"]}
    assert (await one.post(address.path, data=answer)).status_code == 303
    ikm = (await one.get("/api/v1/ikm", params={"group_by": "region"})).json()["items"]
    assert [(row["region"], row["respondents"]) for row in ikm] == [(REGION, 1)]

    surveys = one.app.state.runtime.db["surveys"]
    assert await surveys.find_one({"_id": walk_in}) is None  # nobody to invite
    await asyncio.sleep(1)
    assert len(provider.accepted_for("sms", phone)) == 1


async def test_a_booking_made_at_intake_is_reminded_and_its_served_ticket_offers_the_survey(
    service_app, settings
):
    """Intake's own events, through its outbox and the broker: book on the phone, the
    reminder at 18:00 WIB the evening before, check in, called, served, survey offered."""
    intake = await service_app("intake")
    notify = await service_app("notify")
    queue = notify.app.state.notify.queue
    day, hall = queue_day(1), intake.app.state.intake.hall
    citizen = await register(intake)
    code = await book(intake, citizen, "ktp-el", day, "09:00")
    await eventually(lambda: reminders_of(notify, code), 20, lambda found: len(found) == 2)

    evening = mojokerto(day - timedelta(days=1), "18:00")
    assert await queue.send_due(evening - timedelta(minutes=1)) == 0
    assert await queue.send_due(evening) == 1
    inbox = notify.app.state.runtime.db["notifications"]
    [reminder] = await inbox.find({"citizen_id": citizen.id}).to_list()
    assert "pukul 09.00 WIB" in reminder["body"]
    assert code in reminder["body"]

    hall.clock.moved_to = mojokerto(day, "08:45")
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    checked = await intake.post("/api/v1/queue/check-ins", json={"code": code}, headers=kiosk)
    assert checked.status_code == 201, checked.text
    ticket = checked.json()["id"]
    await eventually(
        lambda: reminders_of(notify, code),
        20,
        lambda found: [r["status"] for r in found] == ["sent", "stopped"],
    )
    assert await queue.send_due(mojokerto(day, "08:50")) == 0  # checked in: no hour-before
    body = {"counter": "loket-1", "services": ["ktp-el"]}
    assert (await intake.post("/api/v1/queue/calls", json=body, headers=officer)).json()["id"] == (
        ticket
    )
    served = await intake.post(f"/api/v1/queue/tickets/{ticket}/served", headers=officer)
    assert served.status_code == 200

    surveys = notify.app.state.runtime.db["surveys"]
    invited = await eventually(lambda: surveys.find_one({"_id": ticket}), 20, bool)
    assert invited["citizen_id"] == citizen.id
    offered = await eventually(
        lambda: inbox.find_one({"_id": f"queue:{ticket}:served:in_app"}), 20, bool
    )
    assert f"/surveys/{ticket}?t=" in offered["body"]
    mine = await notify.get(f"/api/v1/surveys/{ticket}", headers=citizen.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["answered"] is False
