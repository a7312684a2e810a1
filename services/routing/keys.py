"""Agency API keys: issued and revoked by operators, stored only as hashes.

A key reads ``mppak_<key id>_<secret>``. The key id is public (it names the key in
logs, access records and ``mpp agency revoke-key``); the secret is 256 random bits and
only its SHA-256 is stored. A slow password hash buys nothing for a secret that cannot
be guessed, and a fast one keeps every request cheap.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from shared.events import utcnow

__all__ = ["ApiKeys", "IssuedKey", "key_id_of"]

_PREFIX = "mppak_"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    agency: str
    token: str  # shown once, to the operator who issued it


def key_id_of(token: str) -> str | None:
    """The public key id a key names (not a check that the key is valid)."""
    if not token.startswith(_PREFIX):
        return None
    return token[len(_PREFIX) :].partition("_")[0] or None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys:
    def __init__(self, db: AsyncDatabase) -> None:
        self._keys = db["agency_keys"]

    async def create_indexes(self) -> None:
        await self._keys.create_index("agency")

    async def issue(self, agency: str) -> IssuedKey:
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        await self._keys.insert_one(
            {
                "_id": key_id,
                "agency": agency,
                "sha256": _digest(secret),
                "created_at": utcnow(),
                "revoked_at": None,
            }
        )
        return IssuedKey(key_id, agency, f"{_PREFIX}{key_id}_{secret}")

    async def revoke(self, key_id: str) -> str | None:
        """Revoke a key at once; returns its agency, or None when there is no such key."""
        key = await self._keys.find_one_and_update(
            {"_id": key_id}, {"$set": {"revoked_at": utcnow()}}
        )
        return key["agency"] if key else None

    async def authenticate(self, token: str) -> tuple[str, str] | None:
        """(agency, key id) for a valid, unrevoked key; None otherwise."""
        if not token.startswith(_PREFIX):
            return None
        key_id, _, secret = token[len(_PREFIX) :].partition("_")
        if not key_id or not secret:
            return None
        key = await self._keys.find_one({"_id": key_id})
        if key is None or key["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(key["sha256"], _digest(secret)):
            return None
        return key["agency"], key_id

    async def list(self, agency: str | None = None) -> list[dict]:
        query = {"agency": agency} if agency else {}
        return await self._keys.find(query, {"sha256": 0}).sort("created_at").to_list(None)
