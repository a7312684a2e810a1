"""Verifying a growing log against the real database: a request verifies only what was
added since the last verified position, in bounded steps; the full verification runs as
a job whose progress an auditor polls; tampering is caught — after the position by the
next request, before it by the full job, whose failure every request then reports."""

import asyncio
import time
from datetime import timedelta

import pytest
from pymongo import AsyncMongoClient

from ops.cli import main as mpp
from services.audit.checkpoints import Checkpoints
from services.audit.incremental import verify_increment
from services.audit.jobs import VerificationJobs
from services.audit.keys import issue_key
from services.audit.log import AuditLog
from services.audit.signing import load_signer
from shared.events import utcnow
from tests.e2e.helpers import eventually
from tests.integration.test_audit_store import consumed

STEP = 25


@pytest.fixture
async def audit(settings):
    client = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    db = client[settings.database_name("audit")]
    signer = load_signer(settings)
    log = AuditLog(db, Checkpoints(db, signer, interval=10))
    await log.create_indexes()
    yield db, signer, log
    await client.close()


async def _append(log: AuditLog, count: int, prefix: str) -> None:
    for start in range(0, count, 10):
        await log.append([consumed(f"{prefix}-{n}") for n in range(start, min(start + 10, count))])


async def test_each_request_verifies_only_the_records_added_since_the_last_one(audit):
    db, signer, log = audit
    await _append(log, 60, "first")
    steps = [(await verify_increment(db, signer, STEP)).as_dict() for _ in range(3)]
    assert [(s["new"], s["verified_through"], s["complete"]) for s in steps] == [
        (25, 25, False),
        (25, 50, False),
        (10, 60, True),
    ]
    assert all(s["ok"] for s in steps)

    await _append(log, 7, "later")
    later = (await verify_increment(db, signer, STEP)).as_dict()
    assert (later["ok"], later["new"], later["checked"], later["complete"]) == (True, 7, 67, True)
    quiet = (await verify_increment(db, signer, STEP)).as_dict()
    assert (quiet["ok"], quiet["new"]) == (True, 0)


async def test_a_record_changed_after_the_position_is_caught_by_the_next_request(audit):
    db, signer, log = audit
    await _append(log, 20, "a")
    assert (await verify_increment(db, signer, STEP)).verdict.ok
    await _append(log, 20, "b")
    await db["records"].update_one({"_id": 33}, {"$set": {"event": '{"forged":true}'}})
    found = (await verify_increment(db, signer, STEP)).as_dict()
    assert (found["ok"], found["first_invalid"], found["checked"]) == (False, 33, 32)
    # the position did not move past the broken record: every request says so
    assert (await verify_increment(db, signer, STEP)).verdict.first_invalid == 33


async def test_a_record_changed_before_the_position_is_caught_by_the_full_job_then_by_every_request(
    audit,
):
    db, signer, log = audit
    await _append(log, 40, "a")
    assert (await verify_increment(db, signer, 100)).verdict.ok
    original = await db["records"].find_one({"_id": 12})
    await db["records"].update_one({"_id": 12}, {"$set": {"offset": 99999}})
    # incremental trusts the signed position: the change is behind it
    assert (await verify_increment(db, signer, 100)).verdict.ok

    jobs = VerificationJobs(db, signer)
    job = await jobs.create(started_by="test")
    verdict = await jobs.run(job["_id"])
    assert (verdict.ok, verdict.first_invalid) == (False, 12)
    stored = await jobs.get(job["_id"])
    assert stored["state"] == "failed"
    assert stored["result"]["first_invalid"] == 12
    after = (await verify_increment(db, signer, 100)).as_dict()
    assert (after["ok"], after["first_invalid"]) == (False, 12)
    assert "full verification" in after["reason"]

    await db["records"].replace_one({"_id": 12}, original)  # restored from a backup
    job = await jobs.create(started_by="test")
    assert (await jobs.run(job["_id"])).ok
    assert (await verify_increment(db, signer, 100)).verdict.ok


async def test_a_forged_position_or_records_cut_from_the_end_fail_the_request(audit):
    db, signer, log = audit
    await _append(log, 30, "a")
    assert (await verify_increment(db, signer, 100)).verdict.ok
    # someone with the database but not the key moves the position on
    await db["verification"].update_one({"_id": "position"}, {"$set": {"seq": 29}})
    forged = (await verify_increment(db, signer, 100)).as_dict()
    assert not forged["ok"]
    assert "not signed" in forged["reason"]
    await db["verification"].delete_one({"_id": "position"})  # starts again from record 1
    assert (await verify_increment(db, signer, 100)).verdict.ok

    await _append(log, 10, "b")  # records 31..40, a signed checkpoint at 40
    await db["records"].delete_many({"_id": {"$gte": 36}})
    cut = (await verify_increment(db, signer, 100)).as_dict()
    assert (cut["ok"], cut["first_invalid"]) == (False, 36)


async def test_an_auditor_starts_a_full_verification_and_polls_its_progress(service_app, settings):
    audit = await service_app("audit")
    db = audit.app.state.runtime.db
    log = AuditLog(db, Checkpoints(db, load_signer(settings), interval=10))
    await _append(log, 45, "job")
    key = await issue_key(db, "bpk-verifier")
    auditor = {"Authorization": f"Bearer {key}"}

    started = await audit.post("/api/v1/audit/verify/jobs", headers=auditor)
    assert started.status_code == 202
    job = started.json()
    assert job["state"] == "running"
    assert started.headers["Location"].endswith(f"/api/v1/audit/verify/jobs/{job['id']}")
    done = await eventually(
        lambda: audit.get(f"/api/v1/audit/verify/jobs/{job['id']}", headers=auditor),
        timeout=30,
        until=lambda r: r.json()["state"] != "running",
    )
    finished = done.json()
    assert finished["state"] == "succeeded"
    assert finished["verified"] == finished["total"] == 45
    assert finished["result"] == {"ok": True, "checked": 45, "first_invalid": None, "reason": None}
    assert finished["started_by"] == "bpk-verifier"
    # the job moved the verified position: the next request has nothing new
    quick = (await audit.get("/api/v1/audit/verify", headers=auditor)).json()
    assert (quick["ok"], quick["new"], quick["checked"], quick["mode"]) == (
        True,
        0,
        45,
        "incremental",
    )
    missing = await audit.get("/api/v1/audit/verify/jobs/no-such-job", headers=auditor)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert (await audit.post("/api/v1/audit/verify/jobs")).status_code == 401


async def test_one_job_runs_at_a_time_and_a_job_whose_process_died_shows_as_interrupted(
    service_app,
):
    audit = await service_app("audit")
    db = audit.app.state.runtime.db
    key = await issue_key(db, "bpk-verifier")
    auditor = {"Authorization": f"Bearer {key}"}
    now = utcnow()
    running = {"state": "running", "verified": 10, "total": 100, "started_by": "someone"}
    await db["verification_jobs"].insert_many(
        [
            {"_id": "alive", **running, "started_at": now, "heartbeat_at": now},
            {
                "_id": "dead",
                **running,
                "started_at": now - timedelta(hours=1),
                "heartbeat_at": now - timedelta(minutes=30),
            },
        ]
    )
    again = await audit.post("/api/v1/audit/verify/jobs", headers=auditor)
    assert (again.status_code, again.json()["id"]) == (200, "alive")
    dead = await audit.get("/api/v1/audit/verify/jobs/dead", headers=auditor)
    assert dead.json()["state"] == "interrupted"


async def test_mpp_audit_verify_prints_its_progress_and_verifies_incrementally_on_request(
    audit, capsys
):
    db, _signer, log = audit
    await _append(log, 30, "cli")

    def cli(*argv: str) -> int:
        with pytest.raises(SystemExit) as exited:
            mpp(list(argv))
        return exited.value.code

    started = time.monotonic()
    assert await asyncio.to_thread(cli, "audit", "verify") == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["OK: 30 records intact"]  # as before: one line
    assert "verified 30 of 30 records (100%)" in out.err
    assert time.monotonic() - started < 60
    job = await db["verification_jobs"].find_one({"started_by": "mpp audit verify"})
    assert (job["state"], job["verified"], job["total"]) == ("succeeded", 30, 30)

    await _append(log, 5, "cli-later")
    assert await asyncio.to_thread(cli, "audit", "verify", "--incremental") == 0
    assert "OK: records 1..35 intact (5 verified now)" in capsys.readouterr().out
    await db["records"].update_one({"_id": 3}, {"$set": {"offset": 1}})
    assert await asyncio.to_thread(cli, "audit", "verify") == 1
    assert "INVALID at record 3" in capsys.readouterr().out
    assert await asyncio.to_thread(cli, "audit", "verify", "--incremental") == 1
