"""Opening a citizen's document is reading their data: each opening is recorded.

An officer opens a document through a signed link that names the officer and agency
(:mod:`shared.document_links`). Before intake streams the bytes, it stages an
``application.accessed`` event — the same type, on the same access topic, that routing
records when an officer reads an application — through its outbox, in a transaction: a
document is never shown without its record. Audit appends it to the log, and the citizen
sees it under "who accessed my data". The officer's name and the file name travel in the
event's data only; its headers carry the type and id, as for every event.
"""

from typing import Any

from pymongo import AsyncMongoClient

from shared.events import AccessData, DataAccessed
from shared.outbox import Outbox
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["DocumentAccess"]


class DocumentAccess:
    def __init__(
        self,
        mongo: AsyncMongoClient,
        outbox: Outbox | None,
        topics: Topics,
        *,
        units: UnitsOfWork | None = None,
    ) -> None:
        self.units = units or UnitsOfWork(mongo, outbox)
        self.topics = topics

    async def record(
        self, application: dict[str, Any], file_name: str, agency: str, officer: str
    ) -> DataAccessed:
        """Stage the access event and commit; the caller streams the document after."""
        what = file_name or "dokumen"
        accessed = DataAccessed(
            source="intake",
            subject=application["_id"],
            region=application.get("region"),
            correlation_id=application["_id"],
            data=AccessData(
                application_id=application["_id"],
                actor_kind="officer",
                actor_id=f"{agency}/{officer or 'workbench'}",
                agency=agency,
                purpose=f"membuka dokumen {what} / opened the document {what}",
            ),
        )

        async def write(tx: Transaction) -> None:
            tx.emit(self.topics.access, accessed)

        await self.units.run(write)
        return accessed
