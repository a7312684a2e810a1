"""Wrong one-time codes counted per account, across codes, so a code cannot be guessed.

Each code dies after a few wrong tries, but a citizen may ask for a new one every few
minutes: counted per code only, that allowed about 1,440 guesses a day at a password
reset, and one right guess takes the account. Here every try at a code of one account
and purpose counts, whichever code it aims at and whichever client sends it: after
``free`` failures each further try waits — ``base`` seconds, doubling per failure, at
most ``cap`` — and is answered 429 with ``Retry-After`` until then. A right code clears
the count; failures are forgotten a day after the last.

A try counts as a failure from the moment it starts (as in
:mod:`services.identity.throttle`) and is forgiven when it succeeds, so guesses sent at
once get no more than the free ones. The count lives in identity's database, not in the
process: every replica sees the same count, so more replicas do not mean more guesses.
Two tries of one account writing at the same moment are told apart by a version
number; the one that loses is refused for a second rather than left uncounted.

A key names an account by its id, or — for a reset asked for a username that has no
account — by an HMAC of the username, so the limit answers alike whether an account
exists and the database never holds the username.
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.identity.throttle import backoff_seconds
from shared.events import utcnow

__all__ = ["FORGET_AFTER", "CodeAttempts", "TooManyTries"]

FORGET_AFTER = timedelta(days=1)
"""Failures are forgotten this long after the last try."""


class TooManyTries(Exception):
    """Too many wrong codes for this account: ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many wrong codes for this account")
        self.retry_after = retry_after


class CodeAttempts:
    def __init__(self, db: AsyncDatabase, *, free: int, base: float, cap: float) -> None:
        self.rows = db["code_attempts"]
        self.free = free
        self.base = base
        self.cap = cap

    async def create_indexes(self) -> None:
        await self.rows.create_index("expires_at", expireAfterSeconds=0)

    async def start(self, key: str) -> None:
        """Count one try at a code for ``key``; raises :class:`TooManyTries` while the
        key must wait (the try is then not counted)."""
        for _ in range(3):
            now = utcnow()
            row = await self.rows.find_one({"_id": key})
            failures = _live_failures(row, now)
            if row is not None and failures and now < row["wait_until"]:
                raise TooManyTries((row["wait_until"] - now).total_seconds())
            failures += 1
            wait = backoff_seconds(failures, free=self.free, base=self.base, cap=self.cap)
            counted = {
                "failures": failures,
                "wait_until": now + timedelta(seconds=wait),
                "last_at": now,
                "expires_at": now + FORGET_AFTER + timedelta(seconds=wait),
            }
            if await self._write(key, row, counted):
                return
        raise TooManyTries(1.0)  # tries of this very key arriving at once: one at a time

    async def succeeded(self, key: str) -> None:
        await self.rows.delete_one({"_id": key})

    async def _write(self, key: str, row: dict[str, Any] | None, counted: dict[str, Any]) -> bool:
        """Write the new count unless another try wrote first (then False)."""
        if row is None:
            try:
                await self.rows.insert_one({"_id": key, "version": 1, **counted})
            except DuplicateKeyError:
                return False
            return True
        written = await self.rows.update_one(
            {"_id": key, "version": row["version"]},
            {"$set": {**counted, "version": row["version"] + 1}},
        )
        return written.modified_count == 1


def _live_failures(row: dict[str, Any] | None, now: datetime) -> int:
    if row is None or row["last_at"] + FORGET_AFTER <= now:
        return 0
    return int(row["failures"])
