"""Full verification as a job: started, polled for its progress, read for its result.

Walking every record of a large log takes minutes (about 70 s per million records
here), longer than an HTTP request should. ``POST /api/v1/audit/verify/jobs`` starts a
job in the audit process and answers at once; ``GET /api/v1/audit/verify/jobs/{id}``
shows ``verified`` of ``total`` records and, at the end, the verdict. ``mpp audit
verify`` runs the same job in its own process and prints the progress.

A job that passes moves the verified position (:mod:`services.audit.incremental`) to
where it ended; one that finds the log broken records the failure there, so the quick
incremental requests report it too. Each job's document keeps a heartbeat: a job whose
process died shows as ``interrupted``. Only one job runs at a time; asking again while
one runs returns that one.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.chain import GENESIS, Verdict
from services.audit.incremental import VerifiedPosition
from services.audit.log import last_record
from services.audit.signing import Signer
from services.audit.verification import verify_store
from shared.events import utcnow
from shared.ids import uuid7

__all__ = ["VerificationJobs", "job_view"]

log = structlog.get_logger(__name__)

STALE = timedelta(seconds=60)
"""A running job whose heartbeat is older than this has lost its process."""


def job_view(job: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What the API shows of a job."""
    state = job["state"]
    if state == "running" and now - job["heartbeat_at"] > STALE:
        state = "interrupted"
    return {
        "id": job["_id"],
        "state": state,
        "verified": job["verified"],
        "total": job["total"],
        "started_at": job["started_at"],
        "finished_at": job.get("finished_at"),
        "started_by": job.get("started_by"),
        "result": job.get("result"),
    }


@dataclass
class VerificationJobs:
    db: AsyncDatabase
    signer: Signer
    batch_size: int = 5000
    _tasks: set[asyncio.Task[Verdict]] = field(default_factory=set)

    async def create_indexes(self) -> None:
        await self.db["verification_jobs"].create_index([("state", 1), ("started_at", -1)])

    async def get(self, job_id: str) -> dict[str, Any] | None:
        job = await self.db["verification_jobs"].find_one({"_id": job_id})
        return None if job is None else job_view(job, utcnow())

    async def _running(self) -> dict[str, Any] | None:
        job = await self.db["verification_jobs"].find_one(
            {"state": "running"}, sort=[("started_at", DESCENDING)]
        )
        if job is None or utcnow() - job["heartbeat_at"] > STALE:
            return None
        return job

    async def create(self, started_by: str) -> dict[str, Any]:
        """A new job's document (not started): the log's size now is its total."""
        now = utcnow()
        latest = await self.db["checkpoints"].find_one({}, sort=[("_id", DESCENDING)])
        known = (latest["seq"], latest["hash"]) if latest else (0, GENESIS)
        total, _ = await last_record(self.db["records"], *known)
        job = {
            "_id": uuid7(),
            "state": "running",
            "verified": 0,
            "total": total,
            "started_at": now,
            "heartbeat_at": now,
            "started_by": started_by,
        }
        await self.db["verification_jobs"].insert_one(job)
        return job

    async def start(self, started_by: str) -> tuple[dict[str, Any], bool]:
        """Start a job in the background, unless one runs; returns its view and whether
        it was started now."""
        running = await self._running()
        if running is not None:
            return job_view(running, utcnow()), False
        job = await self.create(started_by)
        task = asyncio.create_task(self.run(job["_id"]), name=f"verify-{job['_id']}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return job_view(job, utcnow()), True

    def _finished(self, task: "asyncio.Task[Verdict]") -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        if task.exception() is not None:
            log.warning("audit verification job stopped", error=str(task.exception())[:200])
            return
        verdict = task.result()
        log.info("audit log verified", ok=verdict.ok, checked=verdict.checked)

    async def run(self, job_id: str, on_progress: Callable[[int], None] | None = None) -> Verdict:
        """Walk the whole log for job ``job_id``, keeping its progress; the verdict."""
        jobs = self.db["verification_jobs"]

        async def progress(verified: int) -> None:
            await jobs.update_one(
                {"_id": job_id}, {"$set": {"verified": verified, "heartbeat_at": utcnow()}}
            )
            if on_progress is not None:
                on_progress(verified)

        try:
            verdict = await verify_store(self.db, self.signer.public_key, self.batch_size, progress)
        except Exception as exc:
            await jobs.update_one(
                {"_id": job_id},
                {"$set": {"state": "error", "finished_at": utcnow(), "error": str(exc)[:300]}},
            )
            raise
        position = VerifiedPosition(self.db, self.signer)
        if verdict.ok:
            if verdict.checked:
                last = await self.db["records"].find_one({"_id": verdict.checked}, {"hash": 1})
                await position.verified(verdict.checked, last["hash"] if last else GENESIS)
        else:
            await position.broken(verdict, job_id)
        result = {
            "ok": verdict.ok,
            "checked": verdict.checked,
            "first_invalid": verdict.first_invalid,
            "reason": verdict.reason,
        }
        await jobs.update_one(
            {"_id": job_id},
            {
                "$set": {
                    "state": "succeeded" if verdict.ok else "failed",
                    "verified": verdict.checked,
                    "finished_at": utcnow(),
                    "heartbeat_at": utcnow(),
                    "result": result,
                }
            },
        )
        return verdict

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
