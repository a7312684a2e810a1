"""Identity's retention sweep (the period and reason: :mod:`shared.retention_policy`).

A closed account goes after its grace period with its sign-in sessions and their
refresh tokens; its drafts expire in intake by their own TTL index.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.identity.sessions import forget_sessions_of
from shared.retention_sweep import Sweep, plan_sweeps

__all__ = ["create_retention_indexes", "retention_sweeps"]


def retention_sweeps(db: AsyncDatabase) -> list[Sweep]:
    async def account_dependents(ids: list[Any]) -> None:
        await forget_sessions_of(db, ids)

    return plan_sweeps("identity", {("accounts", "accounts"): {"cascade": account_dependents}})


async def create_retention_indexes(db: AsyncDatabase) -> None:
    """What the sweep looks up: closed accounts by age."""
    await db["accounts"].create_index("closed_at", sparse=True)
