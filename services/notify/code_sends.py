"""The ``code_sends`` collection: the only module that writes it.

One document per message sent straight to an address (a one-time code, a frozen
account's notice, a replaced contact's notice), keyed by the event id and channel,
without the code or the address. It makes a redelivered event a no-op once sent, and
its lease stops two processes sending the same message at once
(:mod:`services.notify.codes` sends).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

__all__ = ["CodeSends", "Send"]


@dataclass(frozen=True)
class Send:
    """One message to one address, with no code or address kept: ``id`` is the event
    id (and the channel, when one event makes several sends)."""

    id: str
    citizen_id: str
    purpose: str
    channel: str
    expires_at: datetime


class CodeSends:
    """How each direct send went; a document expires an hour after its message."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._sends = db["code_sends"]

    async def create_indexes(self) -> None:
        await self._sends.create_index("expires_at", expireAfterSeconds=3600)

    async def claim(self, send: Send, now: datetime, lease: datetime) -> bool:
        """Whether this process makes ``send``: not sent yet, or sent by a process
        whose lease ran out (it died mid-send); the lease is this process's now."""
        try:
            await self._sends.insert_one(
                {
                    "_id": send.id,
                    "citizen_id": send.citizen_id,
                    "purpose": send.purpose,
                    "channel": send.channel,
                    "status": "sending",
                    "attempts": 0,
                    "lease_until": lease,
                    "created_at": now,
                    "expires_at": send.expires_at,
                }
            )
            return True
        except DuplicateKeyError:
            taken = await self._sends.update_one(
                {"_id": send.id, "status": "sending", "lease_until": {"$lte": now}},
                {"$set": {"lease_until": lease}},
            )
            return taken.modified_count == 1

    async def record(self, send_id: str, fields: dict[str, Any]) -> None:
        """How the send went so far (status, attempts, last error, lease)."""
        await self._sends.update_one({"_id": send_id}, {"$set": fields})
