"""The retention sweeper: deletes what the policy says has expired, in bounded batches.

Each service hands a :class:`RetentionSweeper` its sweeps (built from
:mod:`shared.retention_policy` in the service's ``retention.py``) and runs it as a
background task every ``MPP_RETENTION_SWEEP_SECONDS``. One pass goes through each
sweep's expired rows in ``_id`` order, ``MPP_RETENTION_BATCH`` at a time: each batch is
one ``delete_many`` of at most that many ids (never a long write), preceded by the
sweep's cascade (the rows that depend on them: a swept application's webhook
deliveries, a GridFS file's chunks). The delete repeats the expiry condition, so a row
that changed since it was read (an account reopened) stays.

Given a ``now``, a pass deletes exactly the rows expired at ``now``: tests pass one in.
Logs and the metric ``mpp_retention_removed_total`` carry counts, data classes and
collection names only, never a row's content.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import Counter
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import utcnow
from shared.polling import sweep_every
from shared.retention_policy import CLASSES, DataClass, Store
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.runtime import Runtime

__all__ = ["Finding", "RetentionSweeper", "Rows", "Sweep", "attach", "plan_sweeps"]

log = structlog.get_logger(__name__)

Rows = list[dict[str, Any]]

_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)  # as a cutoff: every row of the class


@dataclass(frozen=True)
class Sweep:
    """One store of one data class, as one service sweeps it."""

    data_class: DataClass
    store: Store
    projection: dict[str, int] = field(default_factory=lambda: {"_id": 1})
    keep: Callable[[Rows], Awaitable[set[Any]]] | None = None
    """Of expired candidates, the ids still needed (a document an application names)."""
    cascade: Callable[[list[Any]], Awaitable[None]] | None = None
    """Removes what depends on rows about to be deleted; idempotent (a pass cut short
    is finished by the next)."""

    @property
    def label(self) -> str:
        return f"{self.data_class.name}/{self.store.collection}"


@dataclass(frozen=True)
class Finding:
    """What a dry run found for one sweep."""

    sweep: Sweep
    days: int | None
    expired: int
    oldest: datetime | str | None


class RetentionSweeper:
    def __init__(
        self,
        service: str,
        db: AsyncDatabase,
        settings: Settings,
        sweeps: list[Sweep],
        removed: Counter | None = None,
    ) -> None:
        self.service = service
        self.db = db
        self.settings = settings
        self.sweeps = sweeps
        self.batch = settings.retention_batch
        self.removed = removed
        self._stopping = asyncio.Event()

    async def _expired(self, sweep: Sweep, now: datetime) -> Any:
        """Batches of expired rows (``_id`` order) that are not kept, until none is left."""
        cutoff = sweep.data_class.cutoff(self.settings, now)
        if cutoff is None:
            return
        query = sweep.store.query(cutoff)
        collection = self.db[sweep.store.collection]
        last: Any = None
        while True:
            page_query = query if last is None else {"$and": [query, {"_id": {"$gt": last}}]}
            rows = (
                await collection.find(page_query, sweep.projection)
                .sort("_id", 1)
                .limit(self.batch)
                .to_list(self.batch)
            )
            if not rows:
                return
            last = rows[-1]["_id"]
            kept = await sweep.keep(rows) if sweep.keep is not None else set()
            yield query, [row for row in rows if row["_id"] not in kept]
            if len(rows) < self.batch:
                return

    async def sweep_once(self, now: datetime | None = None) -> dict[str, int]:
        """One pass over every deleting sweep; how many rows each removed."""
        now = now or utcnow()
        counts: dict[str, int] = {}
        for sweep in self.sweeps:
            if not sweep.store.deletes:
                continue
            removed = 0
            collection = self.db[sweep.store.collection]
            async for query, rows in self._expired(sweep, now):
                ids = [row["_id"] for row in rows]
                if not ids:
                    continue
                if sweep.cascade is not None:
                    await sweep.cascade(ids)
                result = await collection.delete_many({"$and": [query, {"_id": {"$in": ids}}]})
                removed += result.deleted_count
            counts[sweep.label] = removed
            if removed:
                if self.removed is not None:
                    self.removed.labels(
                        data_class=sweep.data_class.name, collection=sweep.store.collection
                    ).inc(removed)
                log.info(
                    "retention sweep removed expired rows",
                    data_class=sweep.data_class.name,
                    collection=sweep.store.collection,
                    count=removed,
                )
        return counts

    async def survey(self, now: datetime | None = None) -> list[Finding]:
        """The dry run: per sweep, how many rows a pass would remove now and the oldest
        one's age field (kept stores are counted too: the report says they stay)."""
        now = now or utcnow()
        findings = []
        for sweep in self.sweeps:
            expired, oldest = 0, None
            async for _query, rows in self._expired(sweep, now):
                expired += len(rows)
            days = sweep.data_class.days(self.settings)
            found = (
                await self.db[sweep.store.collection]
                .find(sweep.store.query(_END_OF_TIME), {sweep.store.age_field: 1})
                .sort(sweep.store.age_field, 1)
                .limit(1)
                .to_list(1)
            )
            if found:
                oldest = _field(found[0], sweep.store.age_field)
            findings.append(Finding(sweep, days, expired, oldest))
        return findings

    async def run(self) -> None:
        """A pass every ``MPP_RETENTION_SWEEP_SECONDS``, the first one interval after the
        start: a service that restarts often does not sweep at every start, and one
        stopping is never held by a pass it just began."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._stopping.wait(), timeout=self.settings.retention_sweep_seconds
            )
        await sweep_every(
            "retention sweep",
            self.settings.retention_sweep_seconds,
            self.sweep_once,
            self._stopping,
        )

    def stop(self) -> None:
        self._stopping.set()


def _field(row: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        row = row.get(part) if isinstance(row, dict) else None  # type: ignore[assignment]
    return row


def plan_sweeps(
    service: str,
    hooks: dict[tuple[str, str], dict[str, Any]],
    only: Callable[[str], bool] = lambda _name: True,
) -> list[Sweep]:
    """Every store of ``service`` in the policy, as a sweep; ``hooks`` adds a sweep's
    ``keep``/``cascade``/``projection``, keyed by (data class, collection). ``only``
    picks the classes by name, when one package of the service owns some of them."""
    return [
        Sweep(entry, store, **hooks.get((entry.name, store.collection), {}))
        for entry in CLASSES
        if only(entry.name)
        for store in entry.stores_of(service)
    ]


def attach(runtime: "Runtime", sweeps: list[Sweep]) -> RetentionSweeper:
    """The service's sweeper, run in the background with the service and counted in its
    metrics (``mpp_retention_removed_total``)."""
    sweeper = RetentionSweeper(
        runtime.name,
        runtime.db,
        runtime.settings,
        sweeps,
        removed=runtime.metrics.counter(
            "mpp_retention_removed_total",
            "Rows the retention sweeper deleted as expired, by data class and collection.",
            ["data_class", "collection"],
        ),
    )
    runtime.background.append(sweeper.run)
    runtime.on_stop.append(sweeper.stop)
    return sweeper
