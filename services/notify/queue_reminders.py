"""Reminders of a queue booking: the evening before and an hour before the slot.

When notify reads ``queue.booked`` it stores two reminders in ``queue_reminders`` (this
module is the collection's one writer): one at 18:00 local time of the region on the
day before the slot — the evening before, when a citizen plans the next day, rather
than 24 hours before an 08:00 slot, which would arrive at the start of the previous
working day — and one an hour before the slot starts. A reminder whose time has already
passed when the booking is made is not stored (a booking made at 08:30 for 09:00 gets
neither). ``queue.cancelled``, ``queue.released`` and ``queue.checked_in`` stop the
booking's reminders not sent yet.

A reminder is sent by :class:`services.notify.queue_notices.QueueNotices` when the
queue's clock passes its ``due_at``: it is claimed by one conditional update from
``scheduled`` to ``sent`` inside the transaction that writes its notice, so two notify
replicas, or a redelivered booking, send it once.
"""

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.catalogue.live import served_catalogue
from shared.events import QueueData, utcnow
from shared.retention_policy import QUEUE_DAYS

__all__ = ["EVENING", "ReminderKind", "ReminderStore", "reminder_times", "slot_start"]

ReminderKind = Literal["day_before", "hour_before"]
EVENING = time(18, 0)
"""The day-before reminder's local time."""
HOUR_BEFORE = timedelta(hours=1)


def slot_start(data: QueueData) -> datetime:
    """The booked slot's start, in the region's zone."""
    zone = served_catalogue().zone_of(data.region)
    return datetime.combine(date.fromisoformat(data.day), time.fromisoformat(data.slot or ""), zone)


def reminder_times(data: QueueData, booked_at: datetime) -> dict[ReminderKind, datetime]:
    """When each reminder of a booking made at ``booked_at`` is due; a time already
    passed is left out."""
    start = slot_start(data)
    evening = datetime.combine(start.date() - timedelta(days=1), EVENING, start.tzinfo)
    times: dict[ReminderKind, datetime] = {
        "day_before": evening,
        "hour_before": start - HOUR_BEFORE,
    }
    return {kind: due for kind, due in times.items() if due > booked_at}


class ReminderStore:
    """``queue_reminders``: one document per booking and reminder."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._reminders = db["queue_reminders"]

    async def create_indexes(self) -> None:
        await self._reminders.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self._reminders.create_index([("booking", ASCENDING)])
        await self._reminders.create_index(
            "created_at", expireAfterSeconds=QUEUE_DAYS * 86400
        )  # retention

    async def schedule(self, data: QueueData, booked_at: datetime) -> int:
        """Store the booking's reminders (a redelivered booking changes nothing, and
        never brings back a stopped one); how many are due later."""
        due = reminder_times(data, booked_at)
        for kind, at in due.items():
            await self._reminders.update_one(
                {"_id": f"{data.booking}:{kind}"},
                {"$setOnInsert": _reminder(data, kind, at)},
                upsert=True,
            )
        return len(due)

    async def stop(self, booking: str) -> None:
        """The booking was cancelled, released or checked in: its reminders not sent
        yet are not sent."""
        await self._reminders.update_many(
            {"booking": booking, "status": "scheduled"},
            {"$set": {"status": "stopped", "updated_at": utcnow()}},
        )

    async def due(self, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        found = self._reminders.find({"status": "scheduled", "due_at": {"$lte": now}})
        return await found.sort("due_at", ASCENDING).to_list(limit)

    async def claim(self, reminder_id: str, session: AsyncClientSession) -> bool:
        """Mark one due reminder sent, inside the transaction writing its notice; False
        when another process sent it or the booking stopped it meanwhile."""
        claimed = await self._reminders.find_one_and_update(
            {"_id": reminder_id, "status": "scheduled"},
            {"$set": {"status": "sent", "updated_at": utcnow()}},
            session=session,
        )
        return claimed is not None


def _reminder(data: QueueData, kind: ReminderKind, due_at: datetime) -> dict[str, Any]:
    return {
        "booking": data.booking,
        "kind": kind,
        "citizen_id": data.citizen_id,
        "region": data.region,
        "service": data.service,
        "day": data.day,
        "slot": data.slot,
        "due_at": due_at,
        "status": "scheduled",
        "created_at": utcnow(),
    }
