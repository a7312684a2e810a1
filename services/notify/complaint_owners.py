"""Notify's record of whose each complaint is (``complaint_owners``).

Routing's complaint events never name the citizen (their copies reach the agency), so
notify learns a complaint's citizen from the filing itself, ``complaint.filed`` on the
citizen-actions topic that intake writes, and keeps the complaint's id, its citizen and
what a notice says of it. The first filing stored under an id is the one kept: a second
``complaint.filed`` with the same id, whoever it names, changes nothing — the same rule
routing keeps, so a notice goes to the citizen routing answers.

Kept while routing keeps the complaint: removed with the account (erasure), and by a
TTL index :data:`shared.retention_policy.COMPLAINT_DAYS` after ``complaint.closed``.
"""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events import ComplaintFiledData
from shared.retention_policy import COMPLAINT_DAYS

__all__ = ["ComplaintOwnerStore"]


class ComplaintOwnerStore:
    """The one writer of ``complaint_owners``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db["complaint_owners"]

    async def create_indexes(self) -> None:
        await self.collection.create_index("citizen_id")
        # Gone COMPLAINT_DAYS after the complaint closed, with routing's complaint.
        await self.collection.create_index(
            "closed_at", expireAfterSeconds=COMPLAINT_DAYS * 86400, name="complaint_retention"
        )

    async def record(self, filed: ComplaintFiledData, at: datetime) -> bool:
        """Keep whose the complaint is; False when its id was recorded before."""
        try:
            await self.collection.insert_one(
                {
                    "_id": filed.complaint_id,
                    "citizen_id": filed.citizen_id,
                    "kind": filed.kind,
                    "about": filed.about,
                    "application_id": filed.application_id,
                    "tracking_number": filed.tracking_number,
                    "service": filed.service,
                    "region": filed.region,
                    "filed_at": filed.filed_at,
                    "recorded_at": at,
                    "closed_at": None,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def get(self, complaint_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": complaint_id})

    async def closed(self, complaint_id: str, at: datetime) -> None:
        """The complaint closed: its retention period runs from ``at``."""
        await self.collection.update_one({"_id": complaint_id}, {"$set": {"closed_at": at}})

    async def erase(self, citizen_id: str) -> int:
        """An erased account's complaints are nobody's to tell any more."""
        return (await self.collection.delete_many({"citizen_id": citizen_id})).deleted_count
