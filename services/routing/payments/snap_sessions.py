"""What the SNAP door remembers: the access tokens given to the bank, and each day's
``X-EXTERNAL-ID``s with the answer given, in routing's database so every replica agrees.

A token lives ``MPP_SNAP_TOKEN_SECONDS``. An external id is the bank's name for one
call, unique per partner per day: the same id with the same body is the bank retrying,
and gets the first answer again; the same id with another body is a conflict.
"""

import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

__all__ = ["SnapSessions"]


class SnapSessions:
    def __init__(self, db: AsyncDatabase, token_seconds: int) -> None:
        self.tokens = db["snap_tokens"]
        self.calls = db["snap_calls"]
        self.token_seconds = token_seconds

    async def create_indexes(self) -> None:
        await self.tokens.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        await self.calls.create_index([("at", ASCENDING)], expireAfterSeconds=3 * 86400)

    async def issue(self, client_key: str, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        await self.tokens.insert_one(
            {
                "_id": hashlib.sha256(token.encode()).hexdigest(),
                "client_key": client_key,
                "expires_at": now + timedelta(seconds=self.token_seconds),
            }
        )
        return token

    async def valid(self, token: str, client_key: str, now: datetime) -> bool:
        found = await self.tokens.find_one({"_id": hashlib.sha256(token.encode()).hexdigest()})
        return (
            found is not None
            and found["client_key"] == client_key
            and found["expires_at"].replace(tzinfo=now.tzinfo) > now
        )

    async def answered(
        self, partner: str, external_id: str, body: bytes, now: datetime
    ) -> dict[str, Any] | None:
        """The answer given to this call before (the bank retrying), or None for a first
        call; a conflict (another body under the same id) answers ``{"conflict": True}``."""
        found = await self.calls.find_one({"_id": _key(partner, external_id, now)})
        if found is None:
            return None
        if found["body"] != hashlib.sha256(body).hexdigest():
            return {"conflict": True}
        return found["answer"]

    async def remember(
        self, partner: str, external_id: str, body: bytes, answer: dict[str, Any], now: datetime
    ) -> None:
        # Two retries at once are both answered alike from the bill; one row is enough.
        with contextlib.suppress(DuplicateKeyError):
            await self.calls.insert_one(
                {
                    "_id": _key(partner, external_id, now),
                    "body": hashlib.sha256(body).hexdigest(),
                    "answer": answer,
                    "at": now,
                }
            )


_WIB = timezone(timedelta(hours=7))


def _key(partner: str, external_id: str, now: datetime) -> str:
    """Unique per partner per day, the day counted in Jakarta (WIB) as SNAP does."""
    return f"{partner}:{now.astimezone(_WIB):%Y-%m-%d}:{external_id}"
