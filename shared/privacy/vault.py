"""One data key per citizen, kept wrapped in the key vault; destroying it shreds.

Every personal value the platform stores or publishes about a citizen is sealed under
that citizen's data key (:mod:`shared.privacy.personal`). The keys live in their own
database (``<namespace>_keys``, collection ``citizen_keys``: ``_id`` the citizen id,
``wrapped`` the key under the master key), which the four services read and only
intake writes. Erasing an account deletes its document: from then on every copy of the
citizen's personal data — in any service's database, on any topic, in the audit log,
in a backup — is ciphertext nobody can open, while the stored bytes (and so the audit
chain's hashes) stay as they were. Backups of the key vault are kept for at most the
erasure grace period (docs/privacy.md), or a restored vault would bring keys back.

Unwrapped keys are cached in the process for ``MPP_DATA_KEY_CACHE_SECONDS`` (60), so a
busy consumer does not read the vault per value; a destroyed key stops opening anything
in every process within that time, and at once in the process that destroyed it.
"""

import os
import time

from bson import Binary
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from shared.events import utcnow
from shared.privacy.kms import MasterKey, master_key_from_settings
from shared.settings import Settings

__all__ = ["KeyVault"]

_KEY_BYTES = 32


class KeyVault:
    def __init__(
        self, mongo: AsyncMongoClient, database: str, master: MasterKey, cache_seconds: float
    ) -> None:
        self.keys = mongo[database]["citizen_keys"]
        self.master = master
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, bytes]] = {}

    @classmethod
    def from_settings(cls, mongo: AsyncMongoClient, settings: Settings) -> "KeyVault":
        return cls(
            mongo,
            settings.database_name("keys"),
            master_key_from_settings(settings),
            settings.data_key_cache_seconds,
        )

    async def data_key(self, citizen_id: str) -> bytes | None:
        """The citizen's data key, or None when there is none (never made, or destroyed)."""
        cached = self._cache.get(citizen_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        found = await self.keys.find_one({"_id": citizen_id})
        if found is None:
            self._cache.pop(citizen_id, None)
            return None
        key = self.master.unwrap(bytes(found["wrapped"]), citizen_id)
        self._remember(citizen_id, key)
        return key

    async def create(self, citizen_id: str) -> bytes:
        """The citizen's data key, made now when they have none yet (two callers racing
        get the same key)."""
        existing = await self.data_key(citizen_id)
        if existing is not None:
            return existing
        key = os.urandom(_KEY_BYTES)
        document = {
            "_id": citizen_id,
            "wrapped": Binary(self.master.wrap(key, citizen_id)),
            "master_key": self.master.key_id,
            "created_at": utcnow(),
        }
        try:
            await self.keys.insert_one(document)
        except DuplicateKeyError:
            raced = await self.data_key(citizen_id)
            if raced is None:  # destroyed in between: the citizen is gone
                raise
            return raced
        self._remember(citizen_id, key)
        return key

    async def destroy(self, citizen_id: str) -> bool:
        """Crypto-shred: delete the citizen's key; True when there was one."""
        self._cache.pop(citizen_id, None)
        result = await self.keys.delete_one({"_id": citizen_id})
        return result.deleted_count == 1

    def forget(self, citizen_id: str) -> None:
        """Drop the cached key (another process destroyed it)."""
        self._cache.pop(citizen_id, None)

    def _remember(self, citizen_id: str, key: bytes) -> None:
        if self.cache_seconds > 0:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[citizen_id] = (time.monotonic() + self.cache_seconds, key)
