"""Tickets at the MPP's building: ``queue_tickets`` (one per ticket handed out) and
``queue_sequences`` (the last number of each lane, per region and day). The only writer
of both.

A ticket's number is drawn with one ``$inc`` on its lane's sequence (created on first
use with ``$setOnInsert``), never a read then a write, so two kiosks never draw the same
number; a number drawn by a check-in that then finds its booking checked in already is
left unused (a gap in the numbers, never a number given twice).

Calling the next ticket is one ``find_one_and_update`` whose filter says "waiting" and
whose sort says which first (the priority lane, then the slot, then the number): two
officers calling at once each get a different ticket, since the database changes a
document for one update at a time and the second no longer finds it waiting.
"""

from contextlib import suppress
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.retention_policy import QUEUE_DAYS

__all__ = ["CALL_ORDER", "TicketStore", "ticket_id"]

CALL_ORDER = [("rank", ASCENDING), ("slot", ASCENDING), ("seq", ASCENDING), ("_id", ASCENDING)]
"""Priority lane first (rank 0), then the earliest slot, then the lowest number."""
_DRAWS = 3


def ticket_id(region: str, day: str, number: str) -> str:
    """``3576-2026-12-09-A-017``: unique, as a lane's numbers are per region and day."""
    return f"{region}-{day}-{number}"


class TicketStore:
    """``queue_tickets`` and ``queue_sequences``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.tickets = db["queue_tickets"]
        self.sequences = db["queue_sequences"]

    async def create_indexes(self) -> None:
        await self.tickets.create_index(
            [("region", 1), ("day", 1), ("status", 1), ("service", 1), *CALL_ORDER[:3]]
        )
        await self.tickets.create_index(
            "checked_in_at", expireAfterSeconds=QUEUE_DAYS * 86400
        )  # retention

    async def draw(self, region: str, day: str, lane: str) -> int:
        """The next number of ``lane`` on ``day``: one ``$inc`` on the lane's sequence.
        The sequence is created on first use with ``$setOnInsert``, as the ledger opens a
        slot (two kiosks creating it at once both end with the one document)."""
        key = f"{region}:{day}:{lane}"
        for _ in range(_DRAWS):
            with suppress(DuplicateKeyError):  # another kiosk created it first
                await self.sequences.update_one(
                    {"_id": key}, {"$setOnInsert": {"last": 0}}, upsert=True
                )
            found = await self.sequences.find_one_and_update(
                {"_id": key}, {"$inc": {"last": 1}}, return_document=ReturnDocument.AFTER
            )
            if found is not None:
                return int(found["last"])
        raise RuntimeError("the lane's sequence could not be drawn")

    async def add(self, ticket: dict[str, Any], session: AsyncClientSession) -> None:
        await self.tickets.insert_one(ticket, session=session)

    async def find(self, region: str, ticket: str) -> dict[str, Any] | None:
        """The ticket, when it is of ``region``'s MPP (another region's is not found)."""
        return await self.tickets.find_one({"_id": ticket, "region": region})

    async def call_next(
        self,
        where: tuple[str, str, list[str]],
        counter: str,
        officer: str,
        now: datetime,
        session: AsyncClientSession,
    ) -> dict[str, Any] | None:
        """The next waiting ticket of ``where`` (region, day, services), now called to
        ``counter``; None when nobody waits."""
        region, day, services = where
        return await self.tickets.find_one_and_update(
            {"region": region, "day": day, "status": "waiting", "service": {"$in": services}},
            {
                "$set": {
                    "status": "called",
                    "counter": counter,
                    "officer": officer,
                    "called_at": now,
                }
            },
            sort=CALL_ORDER,
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def move(
        self,
        key: tuple[str, str],
        from_status: list[str],
        change: dict[str, Any],
        session: AsyncClientSession,
    ) -> dict[str, Any] | None:
        """Change ticket ``key`` (region, id) while its status is one of ``from_status``;
        None when it is not (another region's, or already moved on)."""
        region, ticket = key
        return await self.tickets.find_one_and_update(
            {"_id": ticket, "region": region, "status": {"$in": from_status}},
            change,
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def last_called(self, region: str, day: str, limit: int = 10) -> list[dict[str, Any]]:
        """The tickets called most recently at ``region``'s MPP on ``day``, newest first."""
        found = self.tickets.find(
            {"region": region, "day": day, "called_at": {"$exists": True}},
            {"number": 1, "service": 1, "counter": 1, "called_at": 1, "status": 1},
        )
        return await found.sort("called_at", -1).to_list(limit)

    async def waiting(self, region: str, day: str) -> dict[str, int]:
        """How many tickets wait, per service, at ``region``'s MPP on ``day``."""
        counts = await self.tickets.aggregate(
            [
                {"$match": {"region": region, "day": day, "status": "waiting"}},
                {"$group": {"_id": "$service", "count": {"$sum": 1}}},
            ]
        )
        return {row["_id"]: row["count"] async for row in counts}

    async def day(self, region: str, day: str) -> list[dict[str, Any]]:
        """Every ticket of ``region``'s MPP on ``day`` (the figures' source)."""
        return await self.tickets.find({"region": region, "day": day}).to_list(None)
