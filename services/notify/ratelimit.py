"""Rate limit per recipient: at most N sends per window; the excess waits, never dropped.

Counters live in MongoDB, one document per recipient and window, incremented atomically,
so several notify processes share one budget and a restart forgets nothing. A send that
finds the window full is told when the next window opens and is rescheduled for then
(the dispatcher keeps it; nothing is discarded). Fixed windows let a recipient get up
to 2N across a window boundary — acceptable for a courtesy limit, and much cheaper than
a sliding log on this database. Old counters expire through a TTL index.
"""

import math
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

__all__ = ["RecipientLimiter", "window_of"]


def window_of(moment: datetime, seconds: float) -> tuple[int, datetime]:
    """The window index containing ``moment`` and the time the next window opens."""
    index = math.floor(moment.timestamp() / seconds)
    opens = datetime.fromtimestamp((index + 1) * seconds, tz=moment.tzinfo)
    return index, opens


class RecipientLimiter:
    def __init__(self, db: AsyncDatabase, per_window: int, window_seconds: float) -> None:
        self._counters = db["rate_windows"]
        self._limit = per_window
        self._seconds = window_seconds

    async def create_indexes(self) -> None:
        await self._counters.create_index("expires_at", expireAfterSeconds=0)

    async def take(self, recipient: str, now: datetime) -> datetime | None:
        """Take one send from ``recipient``'s budget: None when allowed, else the time
        the next window opens."""
        index, opens = window_of(now, self._seconds)
        for _ in range(2):  # two first sends in a new window race on the upsert
            try:
                counter = await self._counters.find_one_and_update(
                    {"_id": f"{recipient}:{index}"},
                    {
                        "$inc": {"count": 1},
                        "$setOnInsert": {"expires_at": opens + timedelta(seconds=self._seconds)},
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                break
            except DuplicateKeyError:
                continue
        else:
            return opens
        return None if counter["count"] <= self._limit else opens
