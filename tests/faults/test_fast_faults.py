"""The fast fault scenarios, each service its own process on the local stack: intake killed
between commit and publish, poison on every consumed topic, one Idempotency-Key sent 20
times at once, and tampered audit records. They run in ``make test`` and ``make
test-faults``, in this order, on one platform start."""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from shared.catalogue import load_catalogue
from shared.events import ApplicationSubmitted, DeadLettered, StatusChanged, encode
from shared.settings import Settings
from shared.topics import FLOWS, Topics
from tests.e2e.helpers import Stores, eventually, read_topic, register, submit
from tests.faults.conftest import Accounting, account
from tests.integration.routing_support import submitted

PLATFORM = {"intake", "routing", "notify", "audit"}


@pytest.fixture(scope="module")
def settings_of(running) -> Settings:
    return Settings(
        kafka_bootstrap=running.env["MPP_KAFKA_BOOTSTRAP"],
        mongo_uri=running.env["MPP_MONGO_URI"],
        namespace=running.env["MPP_NAMESPACE"],
    )


@pytest.fixture
async def stores(settings_of):
    views = Stores(settings_of)
    yield views
    await views.close()


async def routed_ids(stores: Stores, ids: list[str]) -> set[str]:
    found = await stores.routing.applications.find({"_id": {"$in": ids}}, {"_id": 1}).to_list()
    return {document["_id"] for document in found}


async def status_changes(settings: Settings, until: int) -> list[StatusChanged]:
    events = await read_topic(settings.kafka_bootstrap, Topics(settings.namespace).status, until)
    return [e for e in events if isinstance(e, StatusChanged)]


async def test_intake_killed_between_commit_and_publish_loses_and_repeats_nothing(
    running, stack, stores, settings_of
):
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=running.url("intake"), timeout=10) as client:
        citizen = await register(client)
        outbox = stores.intake.outbox
        await eventually(lambda: outbox.count_documents({}), 20, until=lambda n: n == 0)
        # The broker frozen: intake commits each submission with its event in the outbox,
        # and the relay cannot publish. Then intake dies with no chance to flush.
        stack.pause("kafka")
        try:
            accepted = [await submit(client, citizen) for _ in range(30)]
            stranded = await outbox.count_documents({})
            running.kill("intake")
        finally:
            stack.resume("kafka")
    assert stranded >= 30
    await asyncio.to_thread(running.start, "intake")
    ids = [a["id"] for a in accepted]
    await eventually(lambda: routed_ids(stores, ids), 60, until=lambda found: len(found) == 30)
    await eventually(lambda: outbox.count_documents({}), 20, until=lambda n: n == 0)
    topic = Topics(settings_of.namespace).submitted
    events = await read_topic(settings_of.kafka_bootstrap, topic, until=31)
    delivered = [e.subject for e in events if isinstance(e, ApplicationSubmitted)]
    routed_changes = Counter(
        change.subject
        for change in await status_changes(settings_of, until=30)
        if change.data.to_status == "routed" and change.subject in set(ids)
    )
    account(
        Accounting(
            "1 intake SIGKILL between commit and publish",
            sent=len(ids),
            out=len(routed_changes),
            duplicates=sum(routed_changes.values()) - len(routed_changes),
            lost=len(set(ids) - set(routed_changes)),
            seconds=time.monotonic() - started,
            note=f"stranded_in_outbox={stranded} redelivered_records="
            f"{sum(1 for i in delivered if i in set(ids)) - len(ids)}",
        )
    )
    assert sorted(routed_changes) == sorted(ids)
    assert set(routed_changes.values()) == {1}


def poison_records() -> dict[str, bytes]:
    """Three kinds of record no consumer can use."""
    valid = orjson.loads(encode(submitted()))
    unknown = {**valid, "type": "application.teleported", "id": str(uuid.uuid4())}
    invalid = {**valid, "id": str(uuid.uuid4()), "data": {"application_id": 42}}
    return {
        "not JSON": b"\x00\xffthis is not json{",
        "unknown type": orjson.dumps(unknown),
        "invalid data": orjson.dumps(invalid),
    }


def consumed_topics(topics: Topics, by: set[str]) -> list[str]:
    """Every topic one of the services ``by`` reads, except the dead-letter topic itself."""
    agencies = load_catalogue().kafka_inboxes()
    names = []
    for kind, flow in FLOWS.items():
        if kind == "deadletter" or not flow["consumers"] & by:
            continue
        if kind.startswith("agency_"):
            names += [getattr(topics, kind)(agency) for agency in agencies]
        else:
            names.append(getattr(topics, kind))
    return names


def poison_kind(letter: DeadLettered) -> str:
    if letter.data.reason.startswith("not JSON"):
        return "not JSON"
    return "unknown type" if "teleported" in letter.data.payload else "invalid data"


async def test_poison_on_every_consumed_topic_is_dead_lettered_with_a_reason_and_work_goes_on(
    running, stores, settings_of
):
    """Routing, notify and intake dead-letter what they cannot read; audit, whose log keeps
    every record, chains the poison as an unreadable entry instead of rejecting it."""
    topics = Topics(settings_of.namespace)
    targets = consumed_topics(topics, PLATFORM)
    rejecting = consumed_topics(topics, PLATFORM - {"audit"})
    started = time.monotonic()
    producer = AIOKafkaProducer(bootstrap_servers=settings_of.kafka_bootstrap)
    await producer.start()
    try:
        for topic in targets:
            for kind, value in poison_records().items():
                await producer.send_and_wait(topic, value, key=f"poison-{kind}".encode())
    finally:
        await producer.stop()
    sent = len(targets) * 3

    async with httpx.AsyncClient(base_url=running.url("intake"), timeout=10) as client:
        citizen = await register(client)
        after = await submit(client, citizen)

        async def received() -> bool:
            view = await client.get(f"/api/v1/applications/{after['id']}", headers=citizen.headers)
            return view.json()["status"] == "received"

        await eventually(received, timeout=30)

    letters: list[DeadLettered] = []

    async def covered() -> set[tuple[str, str]]:
        found = await read_topic(settings_of.kafka_bootstrap, topics.deadletter, until=1)
        letters[:] = [
            letter
            for letter in found
            if isinstance(letter, DeadLettered) and letter.data.topic in rejecting
        ]
        return {(letter.data.topic, poison_kind(letter)) for letter in letters}

    expected = len(rejecting) * 3
    dead_lettered = await eventually(covered, timeout=60, until=lambda c: len(c) >= expected)

    async def audited() -> set[str]:
        raw = stores.audit.records.find({"event_id": {"$regex": "^raw:"}}, {"event_id": 1})
        return {document["event_id"].split(":")[1] async for document in raw}

    chained = await eventually(audited, timeout=30, until=lambda found: found >= set(targets))
    account(
        Accounting(
            "5 poison on every consumed topic",
            sent=sent,
            out=len(dead_lettered),
            duplicates=0,
            lost=expected - len(dead_lettered),
            seconds=time.monotonic() - started,
            note=f"topics={len(targets)} dead_letters={len(letters)} (one per consuming group) "
            f"audit_unreadable_entries_on={len(chained & set(targets))}_topics",
        )
    )
    assert all(letter.data.reason and letter.data.consumer_group for letter in letters)
    assert {kind for _, kind in dead_lettered} == {"not JSON", "unknown type", "invalid data"}


async def test_one_idempotency_key_sent_20_times_at_once_makes_one_application(running, stores):
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=running.url("intake"), timeout=30) as client:
        citizen = await register(client)
        key = str(uuid.uuid4())
        body = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}, "channel": "web"}
        headers = {**citizen.headers, "Idempotency-Key": key}
        responses = await asyncio.gather(
            *[client.post("/api/v1/applications", json=body, headers=headers) for _ in range(20)]
        )
    codes = Counter(r.status_code for r in responses)
    ids = {r.json()["id"] for r in responses if r.status_code == 202}
    stored = await stores.intake.applications.count_documents({"citizen_id": citizen.id})
    await eventually(lambda: routed_ids(stores, list(ids)), 20, until=lambda found: found == ids)
    routed = await stores.routing.applications.count_documents({"citizen_id": citizen.id})
    account(
        Accounting(
            "6 one Idempotency-Key x20 concurrently",
            sent=20,
            out=stored,
            duplicates=stored - 1,
            lost=1 - min(stored, 1),
            seconds=time.monotonic() - started,
            note=f"responses={dict(codes)} routed={routed}",
        )
    )
    assert set(codes) <= {202, 409}
    assert codes[202] >= 1
    assert len(ids) == 1
    assert stored == 1
    assert routed == 1


async def test_tampered_audit_records_are_named_by_mpp_audit_verify(running, stores):
    records = stores.audit.records
    await eventually(lambda: records.count_documents({}), 30, until=lambda n: n >= 40)

    def verify() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ops", "audit", "verify"],
            env={**os.environ, **running.env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    intact = await asyncio.to_thread(verify)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    started = time.monotonic()
    await records.update_one({"_id": 17}, {"$set": {"event": '{"forged":true}'}})
    await records.delete_one({"_id": 29})
    tampered = await asyncio.to_thread(verify)
    account(
        Accounting(
            "7 audit records tampered (17 changed, 29 deleted)",
            sent=2,
            out=1,
            duplicates=0,
            lost=0,
            seconds=time.monotonic() - started,
            note=f"verify said: {tampered.stdout.strip()[:80]!r}",
        )
    )
    assert tampered.returncode == 1
    assert "INVALID at record 17" in tampered.stdout
