"""Signed checkpoints: every ``audit_checkpoint_interval`` records, and at each export.

Checkpoints live in their own collection, ``_id`` = the sequence number they cover. An
attacker who can write the database can delete them too, which is why every export
carries them and ends with a fresh one: the auditor keeps the export, and a later
export or the live log can be checked against it.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.audit.chain import Verdict
from services.audit.signing import Signer, checkpoint_message, verify_signature
from shared.events import utcnow

__all__ = ["Checkpoints", "check_checkpoints", "new_checkpoint"]


def new_checkpoint(signer: Signer, seq: int, record_hash: str) -> dict[str, Any]:
    signed_at = utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "seq": seq,
        "hash": record_hash,
        "signed_at": signed_at,
        "key_id": signer.key_id,
        "signature": signer.sign(checkpoint_message(seq, record_hash, signed_at)),
    }


def check_checkpoints(
    checkpoints: Iterable[Mapping[str, Any]], public_key: Ed25519PublicKey
) -> tuple[dict[int, str], Verdict | None]:
    """The verified ``seq -> hash`` map, or a failing verdict naming the first checkpoint
    whose signature does not hold (it was forged or altered)."""
    verified: dict[int, str] = {}
    for checkpoint in sorted(checkpoints, key=lambda c: c["seq"]):
        seq, record_hash = checkpoint["seq"], checkpoint["hash"]
        message = checkpoint_message(seq, record_hash, checkpoint["signed_at"])
        if not verify_signature(public_key, checkpoint["signature"], message):
            return {}, Verdict(
                False, 0, seq, f"checkpoint at record {seq} is not signed by this key"
            )
        verified[seq] = record_hash
    return verified, None


class Checkpoints:
    def __init__(self, db: AsyncDatabase, signer: Signer, interval: int) -> None:
        self._collection = db["checkpoints"]
        self.signer = signer
        self._interval = interval

    async def sign(self, seq: int, record_hash: str) -> dict[str, Any]:
        """Sign and store a checkpoint; the one already stored for ``seq`` wins."""
        checkpoint = new_checkpoint(self.signer, seq, record_hash)
        try:
            await self._collection.insert_one({"_id": seq, **checkpoint})
        except DuplicateKeyError:
            stored = await self._collection.find_one({"_id": seq}, {"_id": 0})
            return stored or checkpoint
        return checkpoint

    async def after_append(self, first_seq: int, last_seq: int, last_hash: str) -> None:
        """Sign the batch's last record when the batch crossed an interval boundary."""
        if (first_seq - 1) // self._interval != last_seq // self._interval:
            await self.sign(last_seq, last_hash)

    async def all(self) -> list[dict[str, Any]]:
        cursor = self._collection.find({}, {"_id": 0}).sort("_id", ASCENDING)
        return await cursor.to_list(None)

    async def latest(self) -> dict[str, Any] | None:
        return await self._collection.find_one({}, {"_id": 0}, sort=[("_id", DESCENDING)])
