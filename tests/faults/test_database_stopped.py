"""The database stopped under intake: submissions are refused at once with 503
problem+json, nothing is half-stored, and intake recovers by itself when it returns.

This test stops the database, so it runs its own local stack. SecantusDB keeps its data
on disk, so the outage is a real stop and start of the server process.
"""

import asyncio
import shutil
import time
import uuid

import httpx

from ops.localstack import LocalStack, free_port
from ops.processes import service_process
from shared.settings import Settings
from tests.conftest import ARTIFACTS
from tests.e2e.helpers import INTAKE_DATABASES, Stores, eventually, register, submit
from tests.faults.conftest import Accounting, account, platform_env
from tests.front_door import FrontDoorServer

BODY = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}, "channel": "web"}


async def test_with_the_database_stopped_intake_answers_503_within_2_s_and_recovers_by_itself(
    tmp_path,
):
    log_dir = ARTIFACTS / "test-logs" / "faults-database-stopped"
    shutil.rmtree(log_dir, ignore_errors=True)
    local = LocalStack(
        kafka_port=free_port(),
        mongo_port=free_port(),
        data_dir=tmp_path,
        log_dir=log_dir,
        fresh_database=True,
    )
    await asyncio.to_thread(local.start)
    env = platform_env(local)
    env["MPP_IDENTITY_PORT"] = str(free_port())  # intake asks identity for the applicant
    identity = service_process("identity", env, int(env["MPP_IDENTITY_PORT"]), log_dir).start()
    intake = service_process("intake", env, free_port(), log_dir).start()
    front = FrontDoorServer(intake.url, identity.url).start()  # one origin, as behind the proxy
    settings = Settings(mongo_uri=local.mongo_uri, namespace=env["MPP_NAMESPACE"])
    INTAKE_DATABASES[front.url] = settings  # register() proves its citizens there
    stores = Stores(settings)
    try:
        await asyncio.to_thread(identity.wait_ready, 90)
        await asyncio.to_thread(intake.wait_ready, 90)
        async with httpx.AsyncClient(base_url=front.url, timeout=30) as client:
            citizen = await register(client)
            before = await submit(client, citizen)

            await asyncio.to_thread(local.stop_one, "mongo")
            started = time.monotonic()
            keys = [str(uuid.uuid4()) for _ in range(5)]
            refused, took = [], []
            for key in keys:
                began = time.monotonic()
                response = await client.post(
                    "/api/v1/applications",
                    json=BODY,
                    headers={**citizen.headers, "Idempotency-Key": key},
                )
                took.append(round(time.monotonic() - began, 2))
                refused.append(response)
            ready = await client.get("/readyz")

            local.fresh_database = False  # the same data directory, as after a restart
            await asyncio.to_thread(local.start_mongo)

            async def retried() -> list:
                answers = [
                    await client.post(
                        "/api/v1/applications",
                        json=BODY,
                        headers={**citizen.headers, "Idempotency-Key": key},
                    )
                    for key in keys
                ]
                return answers if all(a.status_code == 202 for a in answers) else []

            accepted = await eventually(retried, timeout=60, interval=0.5)
            recovered_after = time.monotonic() - started
            stored_ids = {
                document["_id"]
                async for document in stores.intake.applications.find({"citizen_id": citizen.id})
            }
            stored = len(stored_ids)
            await eventually(
                lambda: stores.intake.outbox.count_documents({}), 30, until=lambda n: n == 0
            )
    finally:
        await stores.close()
        front.stop()
        intake.stop()
        identity.stop()
        await asyncio.to_thread(local.stop)
    slowest = max(took)
    account(
        Accounting(
            "4 database stopped under intake",
            sent=len(keys) + 1,
            out=stored,
            duplicates=stored - (len(keys) + 1),
            lost=(len(keys) + 1) - stored,
            seconds=recovered_after,
            note=f"503_after={took}s readyz={ready.status_code} "
            f"kept_from_before={before['id'] in stored_ids}",
        )
    )
    assert [r.status_code for r in refused] == [503] * len(keys)
    assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
    # 2 s by configuration (one second to select a server, with heartbeat slack); the
    # bound allows a busy test machine's scheduling on top, and the figure is recorded.
    assert slowest < 3.0
    assert ready.status_code == 503
    assert len({a.json()["id"] for a in accepted}) == len(keys)
    assert before["id"] not in {a.json()["id"] for a in accepted}
    assert stored == len(keys) + 1  # the one before, and each retried key once
