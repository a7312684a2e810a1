"""Citizens' bookings of a slot: who holds which place, by booking code.

A booking is stored only after its place was taken in the ledger
(:class:`~services.intake.queue.ledger.QueueLedger`), and in one transaction with the
answer kept under its Idempotency-Key. While active it carries a ``hold``
(``<citizen>:<service>:<day>``) under a unique index, so a citizen holds at most one
booking per service and day even when two phones book at the same moment; cancelling
removes the hold. Each booking, cancellation, check-in and release is written in one
transaction with its event on the queue topic (:mod:`services.intake.queue.events`).
"""

import secrets
from datetime import date, datetime, time
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.idempotency import IdempotencyStore
from services.intake.queue.events import booking_event
from shared.events import utcnow
from shared.retention_policy import QUEUE_DAYS
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["CODE_ALPHABET", "BookingStore", "booking_document", "hold_of", "new_code"]

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""No 0/O or 1/I: a code read aloud or typed from a screen cannot be misread."""
CODE_LENGTH = 8


def new_code() -> str:
    """A booking code: 8 characters, 40 bits, hard to guess and easy to read out."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def hold_of(citizen_id: str, service: str, day: date) -> str:
    return f"{citizen_id}:{service}:{day.isoformat()}"


class BookingStore:
    """``queue_bookings``: every booking, active or cancelled. The only writer of it."""

    def __init__(self, db: AsyncDatabase, units: UnitsOfWork, topic: str) -> None:
        self.bookings = db["queue_bookings"]
        self._units = units
        self._topic = topic

    async def create_indexes(self) -> None:
        await self.bookings.create_index("hold", unique=True, sparse=True)
        await self.bookings.create_index([("citizen_id", 1), ("created_at", -1)])
        await self.bookings.create_index([("status", 1), ("day", 1)])
        await self.bookings.create_index(
            "created_at", expireAfterSeconds=QUEUE_DAYS * 86400
        )  # retention

    async def add(
        self, booking: dict[str, Any], record: dict[str, Any], keys: IdempotencyStore
    ) -> None:
        """Store the booking and the answer kept under its key, both or neither; a
        duplicate (a hold, the key, a code) fails it with ``DuplicateKeyError``."""

        async def work(tx: Transaction) -> None:
            await self.bookings.insert_one(booking, session=tx.session)
            await keys.add([record], tx.session)
            tx.emit(self._topic, booking_event("booked", booking))

        await self._units.run(work)

    async def held(self, citizen_id: str, service: str, day: date) -> dict[str, Any] | None:
        """The citizen's active booking of ``service`` on ``day``, if any."""
        return await self.bookings.find_one({"hold": hold_of(citizen_id, service, day)})

    async def mine(self, citizen_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The citizen's bookings, newest first."""
        found = self.bookings.find({"citizen_id": citizen_id}).sort("created_at", -1)
        return await found.to_list(limit)

    async def active_codes(self, citizen_id: str) -> list[str]:
        """The codes of the citizen's active bookings (at most one per service and day)."""
        found = self.bookings.find({"citizen_id": citizen_id, "status": "active"}, {"_id": 1})
        return [booking["_id"] async for booking in found]

    async def find(self, citizen_id: str, code: str) -> dict[str, Any] | None:
        """The citizen's booking with this code; another citizen's is not found."""
        return await self.bookings.find_one({"_id": code, "citizen_id": citizen_id})

    async def cancel(self, citizen_id: str, code: str) -> dict[str, Any] | None:
        """Cancel the citizen's active booking (once: a second cancel finds none)."""

        async def work(tx: Transaction) -> dict[str, Any] | None:
            cancelled: dict[str, Any] | None = await self.bookings.find_one_and_update(
                {"_id": code, "citizen_id": citizen_id, "status": "active"},
                {"$set": {"status": "cancelled", "cancelled_at": utcnow()}, "$unset": {"hold": ""}},
                session=tx.session,
            )
            if cancelled is not None:
                tx.emit(self._topic, booking_event("cancelled", cancelled))
            return cancelled

        return await self._units.run(work)

    async def by_code(self, code: str) -> dict[str, Any] | None:
        """Any booking with this code (the kiosk checks whose region it is)."""
        return await self.bookings.find_one({"_id": code})

    async def check_in(
        self, code: str, ticket: str, now: datetime, session: AsyncClientSession
    ) -> bool:
        """Mark the active booking checked in with ``ticket``; False when it is not
        active (checked in by another kiosk a moment ago, cancelled, released)."""
        found = await self.bookings.find_one_and_update(
            {"_id": code, "status": "active"},
            {"$set": {"status": "checked_in", "ticket": ticket, "checked_in_at": now}},
            projection={"_id": 1},
            session=session,
        )
        return found is not None

    async def release(
        self, code: str, now: datetime, session: AsyncClientSession
    ) -> dict[str, Any] | None:
        """Release the booking if it is still active (once: the sweep on two replicas
        releases it once); its hold goes, so the citizen may book that day again."""
        released: dict[str, Any] | None = await self.bookings.find_one_and_update(
            {"_id": code, "status": "active"},
            {"$set": {"status": "released", "released_at": now}, "$unset": {"hold": ""}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return released

    async def active_until(self, last_day: date, limit: int = 500) -> list[dict[str, Any]]:
        """Active bookings of ``last_day`` or before: the release sweep's candidates."""
        found = self.bookings.find({"status": "active", "day": {"$lte": last_day.isoformat()}})
        return await found.sort([("day", 1), ("start", 1)]).to_list(limit)


def booking_document(
    code: str,
    citizen_id: str,
    slot: str,
    when: tuple[str, str, date, time],
    carries: tuple[str | None, bool],
) -> dict[str, Any]:
    """The stored booking; ``when`` is (region, service, day, slot start), ``carries``
    (the citizen's application id, whether their draft comes along)."""
    region, service, day, start = when
    application_id, draft = carries
    return {
        "_id": code,
        "citizen_id": citizen_id,
        "region": region,
        "service": service,
        "day": day.isoformat(),
        "start": start.strftime("%H:%M"),
        "slot": slot,
        "application_id": application_id,
        "draft": draft,
        "status": "active",
        "hold": hold_of(citizen_id, service, day),
        "created_at": utcnow(),
    }
