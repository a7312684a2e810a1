"""Which of a citizen's uploads a complaint names (``complaint_files``), so they are kept
with the complaint.

A complaint's attachments are the citizen's own uploads in intake's GridFS; routing keeps
only their references. Intake's ``documents`` sweep removes an upload no application names
once it is older than its period — an attachment of an open complaint would go too. So
intake writes one row per complaint and attached file (owner and sha256) when it
publishes the filing, the sweep keeps every file a row names, and a row goes, like the
complaint, :data:`~shared.retention_policy.COMPLAINT_DAYS` after the complaint closed:
intake reads ``complaint.closed`` and a TTL index on ``closed_at`` removes it; the file is
then swept as any upload no one names.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import DocumentRef
from shared.retention_policy import COMPLAINT_DAYS

__all__ = ["ComplaintFiles"]


class ComplaintFiles:
    """The one writer of ``complaint_files``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db["complaint_files"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("owner", 1), ("sha256", 1)])
        await self.collection.create_index("complaint_id")
        await self.collection.create_index(
            "closed_at", expireAfterSeconds=COMPLAINT_DAYS * 86400, name="complaint_retention"
        )

    async def record(
        self,
        complaint_id: str,
        owner: str,
        documents: Sequence[DocumentRef],
        at: datetime,
        session: AsyncClientSession | None = None,
    ) -> None:
        """The complaint's attachments (a replayed filing records nothing new)."""
        for document in documents:
            await self.collection.update_one(
                {"_id": f"{complaint_id}:{document.sha256}"},
                {
                    "$setOnInsert": {
                        "complaint_id": complaint_id,
                        "owner": owner,
                        "sha256": document.sha256,
                        "filed_at": at,
                        "closed_at": None,
                    }
                },
                upsert=True,
                session=session,
            )

    async def closed(self, complaint_id: str, at: datetime) -> None:
        """The complaint closed: its attachments' period runs from ``at``."""
        await self.collection.update_many(
            {"complaint_id": complaint_id, "closed_at": None}, {"$set": {"closed_at": at}}
        )

    async def named(self, owners: Iterable[str], hashes: Iterable[str]) -> set[tuple[str, str]]:
        """Which (owner, sha256) pairs a kept complaint names."""
        found = self.collection.find(
            {"owner": {"$in": sorted(set(owners))}, "sha256": {"$in": sorted(set(hashes))}},
            {"owner": 1, "sha256": 1},
        )
        return {(row["owner"], row["sha256"]) async for row in found}
