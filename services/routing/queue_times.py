"""The MPP queue's times, as routing's public dashboard shows them: a small projection of
the queue's events (``<ns>.queue``, produced by intake, docs/queue.md) into routing's
own ``queue_times``, one document per ticket with the moments it was given, called and
finished, its counter and its service.

Why a projection and not intake's figures API: the dashboard is public and routing's,
services never import each other, and intake's ``GET /api/v1/queue/figures`` answers only
the region's queue staff. The events already say everything the figures need (the
moment of each step is in ``data.at``) and nothing about the citizen, so routing reads
them in its own consumer group (``<ns>.routing.queue``; the bus commits a poll only
after its handlers succeeded, ``AckPolicy.NACK_ON_ERROR``) and the dashboard reads a
day of one MPP in one indexed query.

Each event is applied once: the update's filter says the event's id is not among the
ticket's ``events`` yet, so a redelivered event matches nothing (and its upsert meets
the ticket's ``_id``: a duplicate key, taken as already applied). A ticket's events
share its key, hence its partition, so they arrive in order.
"""

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events import (
    QueueBooked,
    QueueBookingCancelled,
    QueueCalled,
    QueueChanged,
    QueueCheckedIn,
    QueueNoShow,
    QueueReleased,
    QueueServed,
    QueueTransferred,
    QueueWalkedIn,
)
from shared.messagebus import HandlerTable
from shared.retention_policy import QUEUE_DAYS

__all__ = ["QueueTimes", "queue_handlers"]

_KEPT_SECONDS = QUEUE_DAYS * 86400


class QueueTimes:
    """``queue_times``: what the dashboard needs of each ticket, and nothing more."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._times = db["queue_times"]

    async def create_indexes(self) -> None:
        await self._times.create_index([("region", ASCENDING), ("day", ASCENDING)])
        # Kept as long as intake keeps the tickets themselves (docs/retention.md).
        await self._times.create_index("checked_in_at", expireAfterSeconds=_KEPT_SECONDS)

    async def apply(self, event: QueueChanged) -> bool:
        """Apply one ticket step; False when this event was applied before."""
        data = event.data
        if data.ticket is None:
            return False
        at = data.at or event.time
        change = _change(event.type, data.service, data.counter, at)
        change.setdefault("$set", {}).update(region=data.region, day=data.day)
        change["$addToSet"] = {"events": event.id}
        try:
            done = await self._times.update_one(
                {"_id": data.ticket, "events": {"$ne": event.id}}, change, upsert=True
            )
        except DuplicateKeyError:  # the ticket holds this event already
            return False
        return done.modified_count == 1 or done.upserted_id is not None

    async def day(self, region: str, day: str) -> list[dict[str, Any]]:
        """Every ticket of ``region``'s MPP on ``day`` (its local day, YYYY-MM-DD)."""
        fields = {"events": 0}
        return await self._times.find({"region": region, "day": day}, fields).to_list(None)


def _change(kind: str, service: str, counter: str | None, at: datetime) -> dict[str, Any]:
    """The ticket's record after a step, as intake's own ticket changes with it."""
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    if kind in ("queue.checked_in", "queue.walked_in"):
        return {"$set": {"status": "waiting", "service": service, "checked_in_at": at}}
    if kind == "queue.called":
        return {"$set": {"status": "called", "counter": counter, "called_at": at}}
    if kind in ("queue.served", "queue.no_show"):
        status = "served" if kind == "queue.served" else "no_show"
        return {"$set": {"status": status, "finished_at": at}}
    # transferred: waits again in the other service's lane, keeping when it was given
    return {
        "$set": {"status": "waiting", "service": service},
        "$unset": {"counter": "", "called_at": ""},
    }


def queue_handlers(db: AsyncDatabase) -> HandlerTable:
    """Routing's subscription to the queue topic: each ticket's steps into ``queue_times``;
    a booking's own steps (booked, cancelled, released) say nothing about waiting."""
    times = QueueTimes(db)

    async def on_ticket_step(event: QueueChanged, uow: Any) -> None:
        await times.apply(event)

    async def on_booking_step(event: QueueChanged, uow: Any) -> None:
        return None

    ticket_steps = (QueueCheckedIn, QueueWalkedIn, QueueCalled, QueueServed, QueueNoShow)
    table: dict[type, Any] = {kind: on_ticket_step for kind in (*ticket_steps, QueueTransferred)}
    for kind in (QueueBooked, QueueBookingCancelled, QueueReleased):
        table[kind] = on_booking_step
    return table
