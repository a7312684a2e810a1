"""Identity's retention sweep (the period and reason: :mod:`shared.retention_policy`).

A closed account goes after its grace period with its sign-in sessions and their
refresh tokens; its drafts expire in intake by their own TTL index.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.retention_sweep import Sweep, plan_sweeps

__all__ = ["create_retention_indexes", "retention_sweeps"]


def retention_sweeps(db: AsyncDatabase) -> list[Sweep]:
    async def account_dependents(ids: list[Any]) -> None:
        families = await db["sessions"].distinct("_id", {"account_id": {"$in": ids}})
        if families:
            await db["refresh_tokens"].delete_many({"family_id": {"$in": families}})
        await db["sessions"].delete_many({"account_id": {"$in": ids}})

    return plan_sweeps("identity", {("accounts", "accounts"): {"cascade": account_dependents}})


async def create_retention_indexes(db: AsyncDatabase) -> None:
    """What the sweep looks up: closed accounts by age."""
    await db["accounts"].create_index("closed_at", sparse=True)
