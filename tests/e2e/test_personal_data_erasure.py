"""A citizen's personal data under UU PDP, through the four services as processes on the
real broker and database: sealed at rest and on every topic, read by the agency through
its recorded API, copied to the citizen on request (theirs only), and unreadable
everywhere once they erase their account — while the audit chain still verifies and
another citizen's data is untouched."""

import asyncio
import json
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient

from services.routing.keys import ApiKeys
from tests.conftest import Platform
from tests.e2e.helpers import Citizen, eventually, new_nik, register

SERVICE = "izin-praktik-nakes"  # dinkes-3576's workbench; declares NIK and name
FORM = {"profession": "bidan", "str_number": "STR-7781", "practice_address": "Jl. Melati 3"}
PNG = b"\x89PNG\r\n\x1a\n"


def secrets_of(citizen: Citizen, name: str, phone: str) -> list[str]:
    """What must not be readable anywhere once the citizen is erased."""
    return [citizen.nik, name, citizen.email, phone, "+62" + phone[1:]]


async def apply(client: httpx.AsyncClient, citizen: Citizen) -> str:
    uploaded = await client.post(
        "/api/v1/documents",
        files={"file": ("str.png", PNG + citizen.nik.encode() + b" surat tanda registrasi")},
        headers=citizen.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    accepted = await client.post(
        "/api/v1/applications",
        json={
            "service": SERVICE,
            "region": "3576",
            "data": FORM,
            "channel": "web",
            "documents": [uploaded.json()["sha256"]],
        },
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["id"])


async def agency_reads(routing: httpx.AsyncClient, id: str) -> dict:
    answer = await eventually(
        lambda: routing.get(f"/api/v1/agency/applications/{id}"),
        timeout=40,
        until=lambda found: found.status_code == 200,
    )
    return dict(answer.json())


async def everything_stored(mongo_uri: str, namespace: str) -> str:
    """Every document of every database of the platform (the key vault too), raw."""
    client: AsyncMongoClient = AsyncMongoClient(mongo_uri)
    dumped: list[str] = []
    try:
        for database in await client.list_database_names():
            if not database.startswith(f"{namespace}_"):
                continue
            db = client[database]
            for collection in await db.list_collection_names():
                async for document in db[collection].find():
                    dumped.append(repr(document))
    finally:
        await client.close()
    return "\n".join(dumped)


async def everything_published(bootstrap: str, namespace: str) -> str:
    """Every record (key, headers, value) of every topic of the platform, raw."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    seen: list[str] = []
    try:
        topics = [t for t in await consumer.topics() if t.startswith(f"{namespace}.")]
        consumer.subscribe(topics)
        idle = 0
        while idle < 3:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            idle = idle + 1 if not batch else 0
            for records in batch.values():
                for record in records:
                    seen.append(repr((record.key, record.headers, record.value)))
    finally:
        await consumer.stop()
    return "\n".join(seen)


def mpp(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops", *args],
        env={**env, "PYTHONPATH": "."},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def found_in(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


@pytest.fixture
async def world(platform: Any) -> Any:
    # Each process keeps an unwrapped key this long: a destroyed key stops opening
    # anything everywhere within it (60 s by default).
    running: Platform = platform("routing", "notify", "audit", MPP_DATA_KEY_CACHE_SECONDS="2")
    running.env["MPP_NOTIFY_PORT"] = str(running.processes["notify"].port)
    running.env["MPP_AUDIT_PORT"] = str(running.processes["audit"].port)
    running.start("intake")
    mongo: AsyncMongoClient = AsyncMongoClient(running.env["MPP_MONGO_URI"])
    namespace = running.env["MPP_NAMESPACE"]
    key = (await ApiKeys(mongo[f"{namespace}_routing"]).issue("dinkes-3576")).token
    await mongo.close()
    async with (
        httpx.AsyncClient(base_url=running.url("intake"), timeout=30) as intake,
        httpx.AsyncClient(
            base_url=running.url("routing"), headers={"Authorization": f"Bearer {key}"}
        ) as routing,
    ):
        yield running, intake, routing


@pytest.mark.timeout(300)  # five services and the agency as processes, then a full erasure
async def test_an_erased_citizens_data_is_unreadable_everywhere_and_the_audit_still_verifies(
    world: Any,
) -> None:
    running, intake, routing = world
    env = running.env
    wulan_name, wulan_phone = "Wulan Kusumawardani", "0813" + str(uuid.uuid4().int)[:8]
    wulan = await register(intake, nik=new_nik(female=True), name=wulan_name, phone=wulan_phone)
    bayu_name, bayu_phone = "Bayu Prasetyanto", "0857" + str(uuid.uuid4().int)[:8]
    bayu = await register(intake, nik=new_nik(), name=bayu_name, phone=bayu_phone)
    wulans, bayus = await apply(intake, wulan), await apply(intake, bayu)

    # The agency reads who applied through its API (recorded), and nothing else does.
    assert (await agency_reads(routing, wulans))["applicant"] == {
        "nik": wulan.nik,
        "name": wulan_name,
    }
    assert (await agency_reads(routing, bayus))["applicant"]["name"] == bayu_name
    wulan_secrets = secrets_of(wulan, wulan_name, wulan_phone)
    bayu_secrets = secrets_of(bayu, bayu_name, bayu_phone)
    stored = await everything_stored(env["MPP_MONGO_URI"], env["MPP_NAMESPACE"])
    assert found_in(stored, wulan_secrets + bayu_secrets) == []  # sealed at rest

    # "Download my data": everything about Wulan from the services, nothing about Bayu.
    async def access_log_has_the_reading() -> dict:
        made = await intake.post("/api/v1/me/data-export", headers=wulan.headers)
        assert made.status_code == 201, made.text
        copy = await intake.get(made.json()["download"], headers=wulan.headers)
        assert copy.status_code == 200, copy.text
        return dict(copy.json())

    export = await eventually(
        access_log_has_the_reading,
        timeout=40,
        until=lambda found: bool(found["audit"]["access_log"]["items"]),
    )
    held = json.dumps(export)
    assert export["intake"]["profile"]["name"] == wulan_name
    assert export["intake"]["profile"]["nik"] == wulan.nik
    assert [a["_id"] for a in export["intake"]["applications"]] == [wulans]
    assert export["intake"]["applications"][0]["applicant"]["nik"] == wulan.nik
    assert export["intake"]["documents"][0]["name"] == "str.png"
    assert export["notify"]["notices"]["items"]  # "diteruskan" and the like
    assert "dinkes-3576" in json.dumps(export["audit"]["access_log"])
    assert found_in(held, [*bayu_secrets, bayus, bayu.id]) == []
    link = (await intake.post("/api/v1/me/data-export", headers=wulan.headers)).json()
    # The address is no credential: alone, or with another citizen's token, it opens nothing.
    assert (await intake.get(link["download"])).status_code == 401
    assert (await intake.get(link["download"], headers=bayu.headers)).status_code == 404

    # Erasure: the wrong password changes nothing; the right one erases.
    refused = await intake.post(
        "/api/v1/me/erasure", json={"password": "bukan-ini"}, headers=wulan.headers
    )
    assert refused.status_code == 403
    erased = await intake.post(
        "/api/v1/me/erasure", json={"password": wulan.password}, headers=wulan.headers
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["kept"]
    assert (await intake.get("/api/v1/me", headers=wulan.headers)).status_code == 401
    signed_in = await intake.post(
        "/api/v1/auth/token", data={"username": wulan.email, "password": wulan.password}
    )
    assert signed_in.status_code == 401
    # The copy is fetched only with the citizen's token, and no token of theirs works now.
    assert (await intake.get(link["download"], headers=wulan.headers)).status_code == 401

    # The key is gone: nothing of Wulan's can be read in any database, topic or log...
    async def erasure_recorded() -> str:
        return await everything_published(env["MPP_KAFKA_BOOTSTRAP"], env["MPP_NAMESPACE"])

    published = await eventually(
        erasure_recorded,
        timeout=40,
        until=lambda text: "account.data_right_exercised" in text and '"erasure"' in text,
    )
    await asyncio.sleep(2)  # the audit log records the erasure too
    stored = await everything_stored(env["MPP_MONGO_URI"], env["MPP_NAMESPACE"])
    assert found_in(stored, wulan_secrets) == []
    assert found_in(published, wulan_secrets) == []
    assert found_in(running.logs(), wulan_secrets + bayu_secrets) == []
    erased_view = await eventually(
        lambda: agency_reads(routing, wulans),
        timeout=15,
        until=lambda view: view["applicant_erased"],
    )
    assert erased_view["applicant"] is None

    # ... while the audit chain, hashing the stored bytes, still verifies ...
    verified = await asyncio.to_thread(mpp, env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    replayed = await asyncio.to_thread(
        mpp,
        env,
        "audit",
        "replay",
        "--since",
        "2000-01-01T00:00:00Z",
        "--application",
        wulans,
        "--readable",
        "--purpose",
        "memeriksa penghapusan data",
        "--auditor",
        "inspektorat-e2e",
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "[erased]" in replayed.stdout
    assert found_in(replayed.stdout, wulan_secrets) == []

    # ... and Bayu's data is as it was.
    assert (await agency_reads(routing, bayus))["applicant"]["nik"] == bayu.nik
    me = (await intake.get("/api/v1/me", headers=bayu.headers)).json()
    assert (me["name"], me["email"]) == (bayu_name, bayu.email)
