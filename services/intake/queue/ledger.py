"""The quota ledger: one document per region, service, day and slot, shared by bookings
from the phone and walk-in tickets at the kiosk.

Each place is taken with one conditional update (``find_one_and_update`` whose filter
says "a place is still free", ``$inc`` taking it), never a read then a write, so two
replicas booking the last place at the same moment cannot both get it: the database
applies one update at a time to a document, and the second no longer matches. A slot's
document is created on its first use with its limits (``$setOnInsert``), so the limits a
slot started its day with are the ones it keeps when the region's package changes later.

The online limit and the walk-in limit are separate counters: a booking never takes a
place kept for walk-ins, and a walk-in never takes a place kept for bookings.
"""

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, time
from typing import Any, Literal

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.catalogue import QueueRules
from shared.events import utcnow

__all__ = ["QueueLedger", "SlotCount", "slot_id"]

Kind = Literal["online", "walkin"]


def slot_id(region: str, service: str, day: date, start: time) -> str:
    """The ledger document of one slot: ``3576:ktp-el:2026-12-11:08:30``."""
    return f"{region}:{service}:{day.isoformat()}:{start.strftime('%H:%M')}"


@dataclass(frozen=True)
class SlotCount:
    """What the ledger says of one slot."""

    start: time
    online_limit: int
    online_taken: int
    walkin_limit: int
    walkin_taken: int

    @property
    def online_free(self) -> int:
        return max(0, self.online_limit - self.online_taken)


class QueueLedger:
    """``queue_slots``: the places taken in each slot. The only writer of the collection."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.ledger = db["queue_slots"]

    async def create_indexes(self) -> None:
        await self.ledger.create_index([("region", 1), ("service", 1), ("day", 1)])

    async def _open(self, rules: QueueRules, day: date, start: time) -> str:
        """The slot's document, created with its limits when it is first used. Two
        replicas creating it at once: one inserts, the other's upsert fails on the id,
        which is then there — either way the document exists afterwards."""
        key = slot_id(rules.region, rules.service, day, start)
        opening = {
            "region": rules.region,
            "service": rules.service,
            "day": day.isoformat(),
            "start": start.strftime("%H:%M"),
            "online_limit": rules.online_limit,
            "walkin_limit": rules.walkin_limit,
            "online_taken": 0,
            "walkin_taken": 0,
            "opened_at": utcnow(),
        }
        with suppress(DuplicateKeyError):  # another replica opened it first
            await self.ledger.update_one({"_id": key}, {"$setOnInsert": opening}, upsert=True)
        return key

    async def _take(self, rules: QueueRules, day: date, start: time, kind: Kind) -> bool:
        key = await self._open(rules, day, start)
        taken, limit = f"{kind}_taken", f"{kind}_limit"
        found = await self.ledger.find_one_and_update(
            {"_id": key, "$expr": {"$lt": [f"${taken}", f"${limit}"]}},
            {"$inc": {taken: 1}},
            projection={"_id": 1},
            return_document=ReturnDocument.AFTER,
        )
        return found is not None

    async def take_online(self, rules: QueueRules, day: date, start: time) -> bool:
        """Take one of the slot's online places; False when none is left."""
        return await self._take(rules, day, start, "online")

    async def take_walkin(self, rules: QueueRules, day: date, start: time) -> bool:
        """Take one of the slot's walk-in places; False when none is left."""
        return await self._take(rules, day, start, "walkin")

    async def give_back(self, key: str, kind: Kind) -> bool:
        """Return one place of ``kind`` to slot ``key`` (a cancelled booking); never below
        zero, so a place returned twice is returned once."""
        taken = f"{kind}_taken"
        result = await self.ledger.update_one(
            {"_id": key, taken: {"$gt": 0}}, {"$inc": {taken: -1}}
        )
        return result.modified_count == 1

    async def release_to_walkins(self, key: str, session: AsyncClientSession) -> bool:
        """Move one taken online place of slot ``key`` to its walk-in share (a booking
        released after its grace period): the online side has one place fewer, taken
        or free, and walk-ins one more."""
        result = await self.ledger.update_one(
            {"_id": key, "online_taken": {"$gt": 0}},
            {"$inc": {"online_taken": -1, "online_limit": -1, "walkin_limit": 1}},
            session=session,
        )
        return result.modified_count == 1

    async def day(self, rules: QueueRules, day: date) -> dict[str, SlotCount]:
        """Every slot of the day the ledger has opened, by start (``HH:MM``)."""
        found = self.ledger.find(
            {"region": rules.region, "service": rules.service, "day": day.isoformat()}
        )
        return {document["start"]: _count(document) async for document in found}

    async def slot(self, key: str) -> SlotCount | None:
        document = await self.ledger.find_one({"_id": key})
        return None if document is None else _count(document)


def _count(document: dict[str, Any]) -> SlotCount:
    return SlotCount(
        start=time.fromisoformat(document["start"]),
        online_limit=document["online_limit"],
        online_taken=document["online_taken"],
        walkin_limit=document["walkin_limit"],
        walkin_taken=document["walkin_taken"],
    )
