"""Auditor API keys: random, shown once when issued, stored only as their SHA-256.

Keys are 256-bit random tokens, so a plain SHA-256 is enough to make a stolen copy of
the collection useless (no dictionary to try); a slow password hash would only slow
down every request. Keys are read-only by construction: the auditor API has no writes.
"""

import hashlib
import secrets

from pymongo.asynchronous.database import AsyncDatabase

from shared.events import utcnow

__all__ = ["auditor_for", "issue_key"]

_PREFIX = "mppa_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def issue_key(db: AsyncDatabase, name: str) -> str:
    """Create a key for the auditor ``name``; the key itself is returned only here."""
    key = _PREFIX + secrets.token_urlsafe(32)
    await db["auditor_keys"].insert_one({"_id": _digest(key), "name": name, "created_at": utcnow()})
    return key


async def auditor_for(db: AsyncDatabase, presented: str) -> str | None:
    """The auditor's name for a presented key, or None."""
    if not presented.startswith(_PREFIX):
        return None
    found = await db["auditor_keys"].find_one({"_id": _digest(presented)}, {"name": 1})
    return found["name"] if found else None
