"""One-time work on what was stored before a change of shape, in the background at start.

* ``seen_events`` rows stored without ``seen_at`` get it (now): the TTL index then
  forgets them a full dedupe window after the upgrade (:mod:`services.routing.seen`).
* Applications routed before the dashboard's counters existed are counted, and those
  whose SLA clock runs are marked ``sla_open`` for the sweep
  (:mod:`services.routing.dashboard_counts`, :mod:`services.routing.sla`).

A job runs until it is done, retrying after a failure, and is then recorded in
``migrations`` so that later starts skip it. Several routing processes may run one at
the same time: the first is a single idempotent update, and the second counts each
application in the transaction that marks it ``counted``, reading it again there, so an
application is counted once however many processes walk past it. Until the counting is
done the dashboard says so.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.applications import ApplicationRepository
from services.routing.dashboard_counts import DashboardCounts, contribution, summed
from services.routing.seen import SeenEvents
from services.routing.sla import clock_running
from shared.events import utcnow
from shared.polling import stop_if_cancelled
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["COUNTING", "Backfill", "done", "run_once"]

log = structlog.get_logger(__name__)

COUNTING = "dashboard_counts"
"""The back-fill the dashboard waits for."""

_SEEN_AT = "seen_events.seen_at"


async def done(db: AsyncDatabase, name: str) -> bool:
    return await db["migrations"].find_one({"_id": name}, {"_id": 1}) is not None


async def run_once(db: AsyncDatabase, name: str, job: Callable[[], Awaitable[int]]) -> bool:
    """Run ``job`` unless it finished before; returns whether it ran now."""
    if await done(db, name):
        return False
    changed = await job()
    await db["migrations"].update_one(
        {"_id": name}, {"$set": {"done_at": utcnow(), "changed": changed}}, upsert=True
    )
    log.info("back-fill done", job=name, changed=changed)
    return True


class Backfill:
    def __init__(
        self,
        units: UnitsOfWork,
        db: AsyncDatabase,
        seen: SeenEvents,
        counts: DashboardCounts,
        page_size: int = 500,
        retry_seconds: float = 5.0,
    ) -> None:
        self._units, self._db = units, db
        self._applications = ApplicationRepository(db)
        self._seen, self._counts = seen, counts
        self.page_size = page_size
        self._retry_seconds = retry_seconds
        self._stopping = asyncio.Event()
        self._jobs: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            (_SEEN_AT, seen.backfill),
            (COUNTING, self.count_applications),
        ]

    async def run(self) -> None:
        for name, job in self._jobs:
            while not self._stopping.is_set():
                stop_if_cancelled()
                try:
                    await run_once(self._db, name, job)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("back-fill failed; will retry", job=name, error=str(exc)[:200])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._retry_seconds)

    def stop(self) -> None:
        self._stopping.set()

    async def count_applications(self) -> int:
        """Count every application not counted yet, a page at a time in ``_id`` order;
        returns how many were counted now."""
        counted = 0
        cursor = self._applications.ids_matching({"counted": {"$ne": True}}, self.page_size)
        try:
            while page := await cursor.to_list(self.page_size):
                counted += await self._count([a["_id"] for a in page])
        finally:
            await cursor.close()
        return counted

    async def _count(self, ids: list[str]) -> int:
        applications = self._applications

        async def write(tx: Transaction) -> int:
            found = await applications.many(ids, tx.session, lean=True)
            fresh = [a for a in found if not a.get("counted")]
            running = [a["_id"] for a in fresh if clock_running(a)]
            stopped = [a["_id"] for a in fresh if not clock_running(a)]
            await applications.mark(running, {"counted": True, "sla_open": True}, tx.session)
            await applications.mark(stopped, {"counted": True}, tx.session)
            await self._counts.add(summed(contribution(a) for a in fresh), tx.session)
            return len(fresh)

        return await self._units.run(write)
