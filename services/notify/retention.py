"""Notify's retention sweeps (the periods and reasons: :mod:`shared.retention_policy`).

Notices in the in-app inbox, finished deliveries (to citizens and to supervisors) and
survey invitations go after the notices' period. The anonymous SKM answers and the IKM
totals name no one and are kept; the answered-survey tokens are one-way and carry no
time. One-time code sends and rate windows expire by their TTL indexes.
"""

from pymongo.asynchronous.database import AsyncDatabase

from shared.retention_sweep import Sweep, plan_sweeps

__all__ = ["create_retention_indexes", "retention_sweeps"]


def retention_sweeps(_db: AsyncDatabase) -> list[Sweep]:
    return plan_sweeps("notify", {})


async def create_retention_indexes(db: AsyncDatabase) -> None:
    await db["notifications"].create_index("created_at")
    await db["deliveries"].create_index([("status", 1), ("created_at", 1)])
    await db["surveys"].create_index("invited_at")
