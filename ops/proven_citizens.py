"""Citizens who may submit, for load runs and test set-up.

Submitting needs a proven email, phone and NIK (docs/intake.md). A load run measures
submissions, not the codes and Dukcapil checks before them, so its citizens are marked
proven directly in intake's database — in the shape a counter proof leaves (method
``counter``, the run's name as the operator). Never used by the services themselves.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo import AsyncMongoClient

from shared.settings import Settings

__all__ = ["mark_contacts_confirmed", "mark_proven"]


async def mark_proven(settings: Settings, account_ids: Sequence[str], operator: str) -> None:
    mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    try:
        db = mongo[settings.database_name("identity")]
        now = datetime.now(UTC)
        proof = {"method": "counter", "at": now, "operator_id": operator}
        found = db["accounts"].find({"_id": {"$in": list(account_ids)}}, {"nik_index": 1})
        async for account in found:
            await db["nik_owners"].update_one(
                {"_id": account["nik_index"]},
                {"$setOnInsert": {"account_id": account["_id"], "method": "counter", "at": now}},
                upsert=True,
            )
        await db["accounts"].update_many(
            {"_id": {"$in": list(account_ids)}},
            {"$set": {"email_verified": True, "phone_verified": True, "nik_verification": proof}},
        )
    finally:
        await mongo.close()


async def mark_contacts_confirmed(settings: Settings, account_ids: Sequence[str]) -> None:
    """Email and phone confirmed, the NIK left to prove (a benchmark of NIK proofs)."""
    mongo: AsyncMongoClient = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    try:
        await mongo[settings.database_name("identity")]["accounts"].update_many(
            {"_id": {"$in": list(account_ids)}},
            {"$set": {"email_verified": True, "phone_verified": True}},
        )
    finally:
        await mongo.close()
