"""Routing's ``complaints`` collection: the one module that knows how a complaint is
stored.

One document per complaint (its ``_id`` the complaint id intake derived from the
citizen and the filing's ``Idempotency-Key``, so a replayed filing finds the one already
stored): what it is about, its agency and that agency's handler kind, the thread of
words (the citizen's and the agency's, in order), its state on the SP4N-LAPOR! timeline
with each due time, and what SP4N-LAPOR! knows of it (``lapor``). Every change is guarded
by the state it was read in, so two writers (an officer and the sweep) cannot both move
it.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import ComplaintFiled
from shared.retention_policy import COMPLAINT_DAYS

__all__ = ["ComplaintStore", "filed_document"]

Session = AsyncClientSession | None


def filed_document(
    event: ComplaintFiled,
    *,
    agency: str,
    handler_kind: str | None,
    forward_due_at: datetime,
    answer_due_at: datetime,
) -> dict[str, Any]:
    """A complaint as routing first stores it: before its agency, waiting for SP4N-LAPOR!."""
    filed = event.data
    return {
        "_id": filed.complaint_id,
        "kind": filed.kind,
        "about": filed.about,
        "application_id": filed.application_id,
        "tracking_number": filed.tracking_number,
        "service": filed.service,
        "region": filed.region,
        "agency": agency,
        "handler_kind": handler_kind,
        "citizen_id": filed.citizen_id,
        "confidential": filed.confidential,
        "state": "filed",
        "filed_at": filed.filed_at,
        "reached_at": filed.filed_at,
        "forwarded_at": None,
        "forward_due_at": forward_due_at,
        "answer_due_at": answer_due_at,
        "close_due_at": None,
        "closed_at": None,
        "escalated": [],
        "thread": [
            {
                "by": "citizen",
                "text": filed.text,
                "at": filed.filed_at,
                "documents": [d.model_dump() for d in filed.documents],
            }
        ],
        "lapor": {"tracking_id": None, "status": None, "attempts": 0, "next_try_at": None},
        "correlation_id": event.correlation_id,
        "updated_at": filed.filed_at,
    }


class ComplaintStore:
    """Reads and writes of routing's complaints, each in the caller's session."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db["complaints"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("application_id", ASCENDING), ("filed_at", 1)])
        await self.collection.create_index([("citizen_id", ASCENDING), ("filed_at", 1)])
        await self.collection.create_index([("agency", ASCENDING), ("state", 1), ("filed_at", 1)])
        await self.collection.create_index(
            [("state", ASCENDING), ("answer_due_at", 1)], name="complaint_timers"
        )
        await self.collection.create_index(
            [("lapor.next_try_at", ASCENDING)],
            name="lapor_pending",
            partialFilterExpression={"lapor.tracking_id": None},
        )
        # A closed complaint goes COMPLAINT_DAYS after its closing (an open one has no
        # closed_at date, which a TTL index never expires).
        await self.collection.create_index(
            "closed_at", expireAfterSeconds=COMPLAINT_DAYS * 86400, name="complaint_retention"
        )

    async def insert_new(self, document: Mapping[str, Any], session: Session = None) -> bool:
        """Store ``document`` unless a complaint with its id exists: True when stored."""
        answer = await self.collection.update_one(
            {"_id": document["_id"]}, {"$setOnInsert": dict(document)}, upsert=True, session=session
        )
        return answer.upserted_id is not None

    async def get(self, complaint_id: str, session: Session = None) -> dict | None:
        return await self.collection.find_one({"_id": complaint_id}, session=session)

    async def of_application(self, application_id: str) -> list[dict]:
        rows = self.collection.find({"application_id": application_id}).sort("filed_at", 1)
        return await rows.to_list(100)

    async def of_citizen(self, citizen_id: str, limit: int = 200) -> list[dict]:
        """The citizen's complaints, newest first."""
        rows = self.collection.find({"citizen_id": citizen_id}).sort("filed_at", -1)
        return await rows.to_list(limit)

    async def of_agency(self, agency: str, limit: int = 200) -> list[dict]:
        """The agency's complaints, the open ones first, then by filing time."""
        rows = self.collection.find({"agency": agency}).sort([("state", 1), ("filed_at", 1)])
        return await rows.to_list(limit)

    async def move(
        self,
        complaint: Mapping[str, Any],
        changes: Mapping[str, Any],
        session: Session = None,
        *,
        said: Mapping[str, Any] | None = None,
        escalated: str | None = None,
    ) -> bool:
        """Write ``changes`` to the complaint as it was read (guarded by its state and its
        thread's length): False when another writer moved it first. ``said`` joins the
        thread; ``escalated`` names a step escalated."""
        guard = {
            "_id": complaint["_id"],
            "state": complaint["state"],
            "thread": {"$size": len(complaint["thread"])},
            "escalated": list(complaint.get("escalated") or []),
        }
        update: dict[str, Any] = {"$set": dict(changes)}
        if said is not None:
            update["$push"] = {"thread": dict(said)}
        if escalated is not None:
            update["$addToSet"] = {"escalated": escalated}
        moved = await self.collection.update_one(guard, update, session=session)
        return moved.matched_count == 1

    def due(self, now: datetime, page: int) -> Any:
        """Complaints some timer may be owed on at ``now`` (the sweep checks each)."""
        return self.collection.find(
            {
                "$or": [
                    {"state": {"$in": ["filed", "forwarded"]}, "answer_due_at": {"$lt": now}},
                    {
                        "state": {"$ne": "closed"},
                        "forwarded_at": None,
                        "forward_due_at": {"$lt": now},
                    },
                    {"state": "answered", "close_due_at": {"$lt": now}},
                ]
            },
            batch_size=page,
        )

    async def waiting_for_lapor(self, now: datetime, limit: int) -> list[dict]:
        """Complaints SP4N-LAPOR! has not recorded yet, whose next try is due."""
        rows = self.collection.find(
            {
                "lapor.tracking_id": None,
                "$or": [{"lapor.next_try_at": None}, {"lapor.next_try_at": {"$lte": now}}],
            }
        ).sort("filed_at", 1)
        return await rows.to_list(limit)

    async def tracked_open(self, limit: int) -> list[dict]:
        """Complaints SP4N-LAPOR! tracks that are not closed: their status is asked."""
        rows = self.collection.find(
            {"lapor.tracking_id": {"$ne": None}, "state": {"$ne": "closed"}}
        ).sort("filed_at", 1)
        return await rows.to_list(limit)

    async def note_lapor(
        self, complaint_id: str, changes: Mapping[str, Any], session: Session = None
    ) -> None:
        """Record what the adapter learnt (a try that failed, a status) outside the guard:
        it never moves the complaint's state."""
        await self.collection.update_one(
            {"_id": complaint_id},
            {"$set": {f"lapor.{k}": v for k, v in changes.items()}},
            session=session,
        )

    async def record_tracking(
        self, complaint_id: str, tracking_id: str, status: str, at: datetime, session: Session
    ) -> bool:
        """LAPOR! recorded the complaint: its tracking id stored once, and a complaint
        still ``filed`` is now ``forwarded``. False when it was recorded already."""
        stored = await self.collection.update_one(
            {"_id": complaint_id, "lapor.tracking_id": None},
            {
                "$set": {
                    "lapor.tracking_id": tracking_id,
                    "lapor.status": status,
                    "forwarded_at": at,
                    "updated_at": at,
                }
            },
            session=session,
        )
        if stored.matched_count != 1:
            return False
        await self.collection.update_one(
            {"_id": complaint_id, "state": "filed"},
            {"$set": {"state": "forwarded"}},
            session=session,
        )
        return True
