"""The audit log at 100,000 records: a verification request after a thousand new records
costs what a thousand records cost, not what the log does; the full verification job
walks everything and still catches a record changed long before the verified
position."""

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo import AsyncMongoClient

from bench.audit import events
from services.audit.chain import GENESIS
from services.audit.checkpoints import Checkpoints
from services.audit.incremental import verify_increment
from services.audit.jobs import VerificationJobs
from services.audit.log import AuditLog, chained, identify, received_now
from services.audit.signing import Signer
from shared.topics import Topics
from tests.integration.test_audit_store import consumed
from tests.scale.conftest import measured

RECORDS = 100_000
NEW = 1_000
STEP = 20_000  # MPP_AUDIT_VERIFY_STEP
_SEED_BATCH = 5_000


@pytest.fixture(scope="module")
async def log_db(stack: Any) -> AsyncIterator[tuple[Any, Signer, Checkpoints]]:
    """A log of ``RECORDS`` records, seeded with bulk inserts as the benchmark seeds it."""
    client = AsyncMongoClient(stack.mongo_uri, tz_aware=True, socketTimeoutMS=120_000)
    db = client[f"scale-audit-{time.time_ns()}"]
    signer = Signer(Ed25519PrivateKey.generate())
    checkpoints = Checkpoints(db, signer, 1000)
    seq, prev_hash, batch = 0, GENESIS, []
    for offset, (_application, value) in enumerate(events(RECORDS)):
        batch.append(ConsumerRecord(Topics().replay, 0, offset, 0, 0, None, value, None, 0, 0, []))
        if len(batch) == _SEED_BATCH:
            documents = chained(identify(batch, Topics()), seq, prev_hash, received_now())
            await db["records"].insert_many(documents, ordered=True)
            first = seq + 1
            seq, prev_hash = int(documents[-1]["seq"]), str(documents[-1]["hash"])
            await checkpoints.after_append(first, seq, prev_hash)
            batch = []
    await AuditLog(db, checkpoints).create_indexes()  # as the service has them
    yield db, signer, checkpoints
    await client.drop_database(db.name)
    await client.close()


@pytest.mark.timeout(900)
async def test_a_request_after_new_records_verifies_those_while_the_job_walks_all(log_db):
    db, signer, checkpoints = log_db
    jobs = VerificationJobs(db, signer)

    started = time.perf_counter()
    job = await jobs.create(started_by="scale test")
    assert job["total"] == RECORDS
    assert (await jobs.run(job["_id"])).ok
    full = time.perf_counter() - started
    assert (await jobs.get(job["_id"]))["verified"] == RECORDS

    # a thousand new records since the job's verified position
    log = AuditLog(db, checkpoints)
    for start in range(0, NEW, 100):
        await log.append([consumed(f"scale-new-{n}") for n in range(start, start + 100)])
    started = time.perf_counter()
    answer = (await verify_increment(db, signer, STEP)).as_dict()
    incremental = time.perf_counter() - started
    assert (answer["ok"], answer["new"], answer["complete"]) == (True, NEW, True)

    started = time.perf_counter()
    quiet = (await verify_increment(db, signer, STEP)).as_dict()
    nothing_new = time.perf_counter() - started
    assert (quiet["ok"], quiet["new"]) == (True, 0)

    # from no position at all, requests walk the log in bounded steps
    await db["verification"].delete_many({})
    steps, started = [], time.perf_counter()
    while True:
        step_started = time.perf_counter()
        answer = (await verify_increment(db, signer, STEP)).as_dict()
        steps.append(round(time.perf_counter() - step_started, 2))
        assert answer["ok"]
        if answer["complete"]:
            break
    assert len(steps) == -(-(RECORDS + NEW) // STEP)

    # a record changed far behind the position: only the full job sees it
    await db["records"].update_one({"_id": 1234}, {"$set": {"offset": -1}})
    assert (await verify_increment(db, signer, STEP)).verdict.ok
    job = await jobs.create(started_by="scale test")
    caught = await jobs.run(job["_id"])
    assert (caught.ok, caught.first_invalid) == (False, 1234)
    assert (await verify_increment(db, signer, STEP)).verdict.first_invalid == 1234

    measured(
        f"audit verification at {RECORDS + NEW:,} records",
        full_job_s=round(full, 2),
        incremental_after_1000_new_ms=round(incremental * 1000, 1),
        incremental_nothing_new_ms=round(nothing_new * 1000, 1),
        step_s=f"{STEP:,} records per request: {steps}",
    )
