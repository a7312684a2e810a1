"""Notices of a complaint's moves, on the real broker and database with routing and
notify in one process and the SP4N-LAPOR! simulator over real HTTP: the citizen is told
by SMS when the agency answers, when LAPOR! moves the complaint on, when a late step goes
to the supervisor and when it closes — in Bahasa Indonesia then English, with the time in
words and its zone. A confidential complaint's notice reaches its citizen; a move of one
citizen's complaint never tells another, and a replayed event tells once."""

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ops.simulators import lapor
from shared.events import (
    ComplaintAnswered,
    ComplaintAnsweredData,
    DataRightData,
    DataRightExercised,
    encode,
)
from shared.ids import uuid7
from shared.retention_policy import COMPLAINT_DAYS
from shared.settings import Settings
from tests.e2e.helpers import eventually
from tests.integration.routing_support import http_server, publish, submitted
from tests.integration.test_complaints import bearer, filing, routed, stored
from tests.notify_receivers import ProviderReceiver, channel_env, contacts_changed

TOKEN = "test-lapor-token"
PHONE_A, PHONE_B = "+6281200003001", "+6281200003002"
CLOSED_AT = [("closed_at", 1)]
ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}")


@pytest.fixture
async def lapor_url() -> AsyncIterator[str]:
    async with http_server(lapor.create_app(TOKEN)) as url:
        yield url


@pytest.fixture
def provider():
    receiver = ProviderReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def settings(stack_env, monkeypatch, provider, lapor_url) -> Settings:
    env = {**stack_env, "MPP_PORTAL_URL": "https://mpp.example.go.id"}
    env |= {k: v for k, v in channel_env(provider, provider).items() if "SMTP" not in k}
    env |= {
        "MPP_LAPOR_URL": lapor_url,
        "MPP_LAPOR_TOKEN": TOKEN,
        "MPP_LAPOR_TIMEOUT_SECONDS": "0.5",
        "MPP_LAPOR_BACKOFF_SECONDS": "0.01",
        "MPP_LAPOR_SYNC_SECONDS": "3600",
        "MPP_COMPLAINT_SWEEP_SECONDS": "3600",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


@pytest.fixture
async def stack(service_app):
    return await service_app("routing"), await service_app("notify")


def texts(provider: ProviderReceiver, phone: str) -> list[str]:
    """The complaint notices sent to ``phone`` (the applications' own status notices
    go to the same phone)."""
    sent = [sms["body"] for sms in provider.accepted_for("sms", phone)]
    return [body for body in sent if "Lihat percakapannya" in body]


async def sms(provider: ProviderReceiver, phone: str, count: int) -> list[str]:
    async def read() -> list[str]:
        return texts(provider, phone)

    return await eventually(read, timeout=20, until=lambda found: len(found) >= count)


def application_of(citizen: str):
    """A submitted KTP-el application of ``citizen`` in Kabupaten Pasuruan (WIB)."""
    application = submitted("ktp-el", "3514")
    data = application.data.model_copy(update={"citizen_id": citizen})
    return application.model_copy(update={"data": data})


async def with_sms(notify, citizen: str, phone: str) -> None:
    runtime = notify.app.state.runtime
    event = contacts_changed(citizen, channels=["sms"], phone=phone)
    await publish(runtime, runtime.topics.accounts, event)
    contacts = runtime.db["contacts"]
    await eventually(lambda: contacts.find_one({"_id": citizen}), timeout=15, until=bool)


async def filed(routing, notify, event) -> None:
    """The filing stored by routing, and notify knowing whose it is."""
    runtime = routing.app.state.runtime
    await publish(runtime, runtime.topics.citizen_actions, event)
    await stored(runtime, event.subject)
    owners = notify.app.state.runtime.db["complaint_owners"]
    await eventually(lambda: owners.find_one({"_id": event.subject}), timeout=20, until=bool)


async def answer(routing, complaint_id: str, words: str) -> None:
    headers = await bearer(routing.app.state.runtime, "disdukcapil-3514")
    url = f"/api/v1/agency/complaints/{complaint_id}/answers"
    answered = await routing.post(url, json={"answer": words}, headers=headers)
    assert answered.status_code == 200, answered.text


async def test_a_confidential_complainant_is_told_of_the_answer_lapor_and_closing_and_nobody_else(
    stack, provider, lapor_url
):
    routing, notify = stack
    runtime = routing.app.state.runtime
    for citizen, phone in (("c-notice-a", PHONE_A), ("c-notice-b", PHONE_B)):
        await with_sms(notify, citizen, phone)
    of_a, of_b = application_of("c-notice-a"), application_of("c-notice-b")
    await routed(runtime, of_a)
    await routed(runtime, of_b)
    secret = filing(of_a, citizen="c-notice-a", confidential=True)
    other = filing(of_b, citizen="c-notice-b")
    await filed(routing, notify, secret)
    await filed(routing, notify, other)

    # LAPOR! records both: its receipt is shown in the thread, not sent.
    assert await routing.app.state.parts.lapor.sync_once() == 2
    await answer(routing, other.subject, "KTP-el Anda sudah dicetak.")
    [told_b] = await sms(provider, PHONE_B, 1)
    assert "KTP-el Anda sudah dicetak." in told_b
    await asyncio.sleep(1)
    assert texts(provider, PHONE_A) == []  # another citizen's answer tells nobody else

    await answer(routing, secret.subject, "Berkas Anda sedang kami periksa.")
    [answered] = await sms(provider, PHONE_A, 1)
    assert answered.index("sudah dijawab instansi") < answered.index("was answered by the agency")
    assert answered.count("Berkas Anda sedang kami periksa.") == 2
    assert "pukul" in answered
    assert "WIB" in answered
    assert not ISO.search(answered), answered
    assert f"https://mpp.example.go.id/portal/applications/{of_a.subject}" in answered

    # LAPOR! moves A's complaint on: A is told, with LAPOR!'s number.
    tracking = (await stored(runtime, secret.subject))["lapor"]["tracking_id"]
    async with httpx.AsyncClient(
        base_url=lapor_url, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as simulator:
        await simulator.post(f"/v1/laporan/{tracking}/status", json={"status": "selesai"})
    await routing.app.state.parts.lapor.sync_once()
    lapor_said = (await sms(provider, PHONE_A, 2))[1]
    assert "dinyatakan selesai oleh SP4N-LAPOR!" in lapor_said
    assert tracking in lapor_said

    # Ten working days after the answers nobody replied: both close, each told once.
    clock = routing.app.state.parts.complaint_clock
    await clock.sweep_once(datetime.now(UTC) + timedelta(days=30))
    closed = (await sms(provider, PHONE_A, 3))[2]
    assert closed.index("ditutup pada") < closed.index("closed on")
    assert not ISO.search(closed), closed
    await sms(provider, PHONE_B, 2)
    await asyncio.sleep(1)
    assert len(texts(provider, PHONE_A)) == 3
    assert len(texts(provider, PHONE_B)) == 2
    # Both copies go COMPLAINT_DAYS after the closing, by TTL indexes on closed_at.
    owners = notify.app.state.runtime.db["complaint_owners"]
    assert (await owners.find_one({"_id": secret.subject}))["closed_at"] is not None
    for collection in (runtime.db["complaints"], owners):
        indexes = await collection.index_information()
        kept = [i.get("expireAfterSeconds") for i in indexes.values() if i["key"] == CLOSED_AT]
        assert kept == [COMPLAINT_DAYS * 86400]
    inbox = notify.app.state.runtime.db["notifications"]
    notices = await inbox.find({"citizen_id": "c-notice-a"}).to_list()
    assert sorted(n["template"] for n in notices if n["template"].startswith("complaint.")) == [
        "complaint.answered",
        "complaint.closed",
        "complaint.tracked",
    ]


async def test_a_late_step_tells_the_citizen_and_a_replayed_move_tells_once(stack, provider):
    routing, notify = stack
    runtime = routing.app.state.runtime
    await with_sms(notify, "c-notice-late", PHONE_A)
    application = application_of("c-notice-late")
    await routed(runtime, application)
    late = filing(application, citizen="c-notice-late", at=datetime.now(UTC) - timedelta(days=20))
    await filed(routing, notify, late)
    escalated = await routing.app.state.parts.complaint_clock.sweep_once(datetime.now(UTC))
    assert sorted(step for _, step in escalated) == ["answer", "forward"]
    told = await sms(provider, PHONE_A, 2)
    assert any("belum dijawab instansi" in body for body in told)
    assert all("melaporkannya ke atasan instansi" in body for body in told)
    assert all(body.index("Pengaduan Anda") < body.index("Your complaint") for body in told)

    moved = ComplaintAnswered(
        source="routing",
        subject=late.subject,
        region="3514",
        correlation_id=late.correlation_id,
        data=ComplaintAnsweredData(
            complaint_id=late.subject,
            agency="disdukcapil-3514",
            answer="Mohon maaf atas keterlambatan.",
            answered_by="officer-1",
            answered_at=datetime.now(UTC),
            close_due_at=datetime.now(UTC) + timedelta(days=14),
        ),
    )
    for _ in range(2):
        await runtime.broker.publish(
            encode(moved), runtime.topics.complaints, key=moved.subject.encode()
        )
    await sms(provider, PHONE_A, 3)
    await asyncio.sleep(1.5)
    assert [b for b in texts(provider, PHONE_A) if "Mohon maaf atas keterlambatan." in b] != []
    assert len(texts(provider, PHONE_A)) == 3


async def test_a_second_filing_under_the_same_id_naming_another_citizen_is_never_told(
    stack, provider
):
    routing, notify = stack
    runtime = routing.app.state.runtime
    await with_sms(notify, "c-owner", PHONE_A)
    await with_sms(notify, "c-intruder", PHONE_B)
    application = application_of("c-owner")
    await routed(runtime, application)
    first = filing(application, citizen="c-owner")
    await filed(routing, notify, first)
    hijack = first.model_copy(
        update={
            "id": uuid7(),
            "data": first.data.model_copy(update={"citizen_id": "c-intruder"}),
        }
    )
    await publish(runtime, runtime.topics.citizen_actions, hijack)
    await asyncio.sleep(1)
    owner = await notify.app.state.runtime.db["complaint_owners"].find_one({"_id": first.subject})
    assert owner["citizen_id"] == "c-owner"

    await answer(routing, first.subject, "Sudah kami tindak lanjuti.")
    await sms(provider, PHONE_A, 1)
    await asyncio.sleep(1)
    assert texts(provider, PHONE_B) == []


async def test_an_erased_citizen_s_complaints_are_forgotten_and_their_answers_tell_nobody(
    stack, provider
):
    routing, notify = stack
    runtime = routing.app.state.runtime
    await with_sms(notify, "c-erased", PHONE_B)
    application = application_of("c-erased")
    await routed(runtime, application)
    complaint = filing(application, citizen="c-erased")
    await filed(routing, notify, complaint)

    erased = DataRightExercised(
        source="intake",
        subject="c-erased",
        correlation_id=uuid7(),
        data=DataRightData(citizen_id="c-erased", right="erasure"),
    )
    await publish(notify.app.state.runtime, runtime.topics.accounts, erased)
    owners = notify.app.state.runtime.db["complaint_owners"]
    await eventually(lambda: owners.find_one({"citizen_id": "c-erased"}), 20, lambda o: o is None)
    contacts = notify.app.state.runtime.db["contacts"]
    assert await contacts.find_one({"_id": "c-erased"}) is None  # notify's own erasure too

    await answer(routing, complaint.subject, "Sudah kami tindak lanjuti.")
    await asyncio.sleep(2)
    assert texts(provider, PHONE_B) == []
