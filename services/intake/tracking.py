"""The citizen's view of an application, built from ``mpp.applications.status``."""

from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import Event, StatusChanged

__all__ = ["apply_status_change"]


async def apply_status_change(db: AsyncDatabase, event: Event, _record: ConsumerRecord) -> None:
    """Move the read model forward; a redelivered or older change matches nothing."""
    assert isinstance(event, StatusChanged)
    change = event.data
    updates = {"status": change.to_status, "last_sequence": change.sequence}
    if change.agency is not None:
        updates["agency"] = change.agency
    if change.sla_due_at is not None:
        updates["sla_due_at"] = change.sla_due_at
    await db["applications"].update_one(
        {"_id": change.application_id, "last_sequence": {"$lt": change.sequence}},
        {
            "$set": updates,
            "$push": {
                "timeline": {
                    "status": change.to_status,
                    "at": event.time,
                    "note": change.note,
                    "sequence": change.sequence,
                    "requested_fields": change.requested_fields,
                }
            },
        },
    )
