"""The ``deliveries`` collection: the only module that writes it.

A delivery's stored shape is written down once, :func:`delivery_document`; notices and
escalations add them (:mod:`services.notify.notices`), the dispatcher
claims, holds and finishes them (:mod:`services.notify.deliveries`). Both reach the
collection through this store, so what may change a delivery, and under which guard,
is read in one place.
"""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.templates import Rendered
from shared.events import utcnow

__all__ = ["DUE_ORDER", "DeliveryStore", "delivery_document"]

DUE_ORDER = [("due_at", ASCENDING), ("created_at", ASCENDING), ("status_sequence", ASCENDING)]
"""Oldest first; one application's notices stored in the same batch (the same
millisecond) or held until the same window keep the order of their status changes."""


def delivery_document(
    *,
    delivery_id: str,
    kind: str,
    channel: str,
    application_id: str,
    region: str | None,
    correlation_id: str,
    causation_id: str,
    status_sequence: int,
    rendered: Rendered,
    citizen_id: str | None = None,
    address: str | None = None,
    fallback_from: str | None = None,
) -> dict[str, Any]:
    now = utcnow()
    return {
        "_id": delivery_id,
        "kind": kind,
        "channel": channel,
        "application_id": application_id,
        "region": region,
        "correlation_id": correlation_id,
        "causation_id": causation_id,
        "status_sequence": status_sequence,
        "citizen_id": citizen_id,
        "address": address,  # operators only; citizens' addresses are looked up at send time
        "recipient": f"{citizen_id}:{channel}" if citizen_id else f"operator:{address}",
        "rendered": {
            "template": rendered.template,
            "version": rendered.version,
            "language": rendered.language,
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
            "link": rendered.link,
        },
        "status": "created",
        "attempts": 0,
        "due_at": now,
        "fallback_from": fallback_from,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
    }


class DeliveryStore:
    """Notify's outside-channel sends, one document per change and channel."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._deliveries = db["deliveries"]

    async def create_indexes(self) -> None:
        await self._deliveries.create_index(DUE_ORDER)
        await self._deliveries.create_index([("application_id", ASCENDING)])

    async def add(self, deliveries: list[dict[str, Any]], session: AsyncClientSession) -> None:
        """New deliveries, inside the transaction that raises their ``created`` events
        (a delivery stored already aborts it with a duplicate key)."""
        await self._deliveries.insert_many(deliveries, session=session)

    async def add_if_new(self, delivery: dict[str, Any], session: AsyncClientSession) -> bool:
        """A fallback delivery, unless one with its id exists (a fallback is made once
        per change and channel); whether it was added."""
        exists = await self._deliveries.find_one(
            {"_id": delivery["_id"]}, {"_id": 1}, session=session
        )
        if exists is not None:
            return False
        await self._deliveries.insert_one(delivery, session=session)
        return True

    async def due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Deliveries due to be sent at ``now``, oldest first."""
        found = self._deliveries.find({"due_at": {"$lte": now}}).sort(DUE_ORDER)
        return await found.to_list(limit)

    async def claim(self, delivery: dict[str, Any], lease: datetime) -> bool:
        """Take a due delivery for one lease; False when another process took it, or it
        changed since it was read (its ``due_at`` is the guard)."""
        claimed = await self._deliveries.find_one_and_update(
            {"_id": delivery["_id"], "due_at": delivery["due_at"]}, {"$set": {"due_at": lease}}
        )
        return claimed is not None

    async def hold(self, delivery_id: str, until: datetime, now: datetime) -> None:
        """Put a send off until the recipient's rate window allows it."""
        await self._deliveries.update_one(
            {"_id": delivery_id}, {"$set": {"due_at": until, "updated_at": now}}
        )

    async def change(
        self, delivery_id: str, update: dict[str, Any], session: AsyncClientSession
    ) -> None:
        """A delivery's new status, inside the transaction that raises its event."""
        await self._deliveries.update_one({"_id": delivery_id}, update, session=session)
