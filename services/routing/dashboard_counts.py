"""The public dashboard's figures, kept as counters while applications change.

Counting on each request read every application (and stopped at 20,000). Instead, what
one application adds to the figures is a pure function of its document
(:func:`contribution`: one to the total, to its region, agency, service, status and
channel, its time to decision, whether that was within its due date, whether it is
overdue), and every change adds ``contribution(after) - contribution(before)`` to the counters **in
the transaction that changes the application**. That transaction already recognises a
redelivered event (``seen_events``, or the application id when routing), so a counter
never moves twice for one event.

Only an application marked ``counted`` adds differences: the ones routed before the
counters existed are counted once, each in the same transaction that marks it, by the
back-fill (:mod:`services.routing.backfill`).

The counters are spread over :data:`SHARDS` documents and a transaction writes one of
them at random, so concurrent transactions seldom touch the same document (when they
do, one is retried). A request reads all of them: a fixed number of reads, whatever the
number of applications. Time to decision is a histogram of whole hours, so its median
is exact to the hour (the page shows tenths of a day). The overdue applications are
counted per due date too, so the page's list of the earliest ones reads only the days
it shows (:func:`overdue_until`).
"""

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.workflow import DECIDED, SETTLED

__all__ = [
    "CLOSED",
    "DECIDED",
    "SHARDS",
    "Counts",
    "DashboardCounts",
    "contribution",
    "decision_time",
    "difference",
    "grouped",
    "overdue_until",
    "summed",
]

Counts = dict[str, int]
"""Counter paths (``total``, ``region.3514``, ``decision_hours.48``) and their values."""

SHARDS = 8

CLOSED = SETTLED
"""The outcome is known (decided, or withdrawn by the citizen): the SLA clock has stopped."""

_DIMENSIONS = ("region", "agency", "service", "status")
_LONGEST_HOURS = 24 * 3650  # a decision after ten years is counted as ten years


def decision_time(application: Mapping[str, Any]) -> datetime | None:
    """When the application was decided; None while it is not. Before ``decided_at`` was
    stored, the last change: the decision itself at approved or rejected, an upper bound
    at completed."""
    if application.get("status") not in DECIDED:
        return None
    return application.get("decided_at") or application.get("updated_at")


def _path(value: Any) -> str:
    """A value as one segment of a field path (no dots, no leading dollar)."""
    text = str(value or "-")
    return text.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def _value(segment: str) -> str:
    return segment.replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def contribution(application: Mapping[str, Any]) -> Counts:
    """What one application, as it is now, adds to the dashboard's counters."""
    counts: Counts = {"total": 1}
    for dimension in _DIMENSIONS:
        counts[f"{dimension}.{_path(application.get(dimension))}"] = 1
    if application.get("channel"):  # routed before the channel was kept: not counted
        counts[f"channel.{_path(application['channel'])}"] = 1
    decided_at, submitted_at = decision_time(application), application.get("submitted_at")
    if decided_at is not None and submitted_at is not None:
        counts["decided"] = 1
        hours = int((decided_at - submitted_at).total_seconds() // 3600)
        counts[f"decision_hours.{min(max(hours, 0), _LONGEST_HOURS)}"] = 1
        due = application.get("sla_due_at")
        if due is not None:
            counts["with_due"] = 1
            if decided_at <= due:
                counts["in_time"] = 1
    if application.get("status") not in CLOSED and application.get("sla_breached"):
        counts["overdue"] = 1
        if application.get("sla_due_at") is not None:
            counts[f"overdue_due.{_day(application['sla_due_at'])}"] = 1
    return counts


def _day(moment: datetime) -> str:
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date().isoformat()


def overdue_until(counts: Mapping[str, int], shown: int) -> datetime | None:
    """The end of the earliest due date by which at least ``shown`` overdue applications
    fall due (all of them when fewer), or None when none is overdue: the earliest
    ``shown`` are found among those due before it."""
    total, last = 0, None
    for day, n in sorted(grouped(counts, "overdue_due").items()):
        total, last = total + n, day
        if total >= shown:
            break
    if last is None or total <= 0:
        return None
    following = datetime.fromisoformat(last).date() + timedelta(days=1)
    return datetime.combine(following, time(), tzinfo=UTC)


def difference(before: Mapping[str, Any], after: Mapping[str, Any]) -> Counts:
    """What a change from ``before`` to ``after`` adds to the counters."""
    change = Counter(contribution(after))
    change.subtract(contribution(before))
    return {path: n for path, n in change.items() if n}


def summed(many: Iterable[Counts]) -> Counts:
    total: Counter[str] = Counter()
    for counts in many:
        total.update(counts)
    return {path: n for path, n in total.items() if n}


def grouped(counts: Mapping[str, int], dimension: str) -> dict[str, int]:
    """The counters under one dimension (``region`` → ``{"3514": 12, ...}``), zeros left
    out."""
    prefix = f"{dimension}."
    return {
        _value(path[len(prefix) :]): n
        for path, n in counts.items()
        if path.startswith(prefix) and n
    }


def _flatten(document: Mapping[str, Any], prefix: str = "") -> Counts:
    flat: Counts = {}
    for name, value in document.items():
        if name == "_id" and not prefix:
            continue
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{name}."))
        elif isinstance(value, int | float):
            flat[f"{prefix}{name}"] = int(value)
    return flat


class DashboardCounts:
    """The counters in ``dashboard_counts``: :data:`SHARDS` documents summed on read."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._counts = db["dashboard_counts"]

    async def create_indexes(self) -> None:
        """Make the shard documents up front: two transactions upserting the same new
        document would collide on its key instead of being retried."""
        for shard in range(SHARDS):
            await self._counts.update_one(
                {"_id": f"shard-{shard}"}, {"$setOnInsert": {"total": 0}}, upsert=True
            )

    async def add(self, counts: Counts, session: AsyncClientSession) -> None:
        """Add ``counts`` to one shard, in the caller's transaction."""
        if not counts:
            return
        shard = random.randrange(SHARDS)
        await self._counts.update_one(
            {"_id": f"shard-{shard}"}, {"$inc": counts}, upsert=True, session=session
        )

    async def read(self) -> Counts:
        documents = await self._counts.find({}).to_list(None)
        return summed(_flatten(document) for document in documents)
