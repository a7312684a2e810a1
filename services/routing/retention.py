"""Routing's retention sweeps (the periods and reasons: :mod:`shared.retention_policy`).

A decided or withdrawn application goes with what hangs on it: its webhook deliveries,
the officers' workbench notes and the bytes of its result documents. The public register
row of a result (code, agency, service, dates, hash; no personal data) stays, so a paper
already handed out still verifies as issued. Webhook deliveries that failed for good are
dead letters, kept for an operator's redelivery, then swept on their own period.
Seen-event ids and agency idempotency keys expire by their TTL indexes.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.retention_sweep import Sweep, plan_sweeps

__all__ = ["create_retention_indexes", "retention_sweeps"]


def retention_sweeps(db: AsyncDatabase) -> list[Sweep]:
    async def application_dependents(ids: list[Any]) -> None:
        await db["deliveries"].delete_many({"application_id": {"$in": ids}})
        await db["workbench_notes"].delete_many({"application_id": {"$in": ids}})
        files = await db["results"].distinct(
            "file_id", {"application_id": {"$in": ids}, "file_id": {"$ne": None}}
        )
        if files:
            await db["results.chunks"].delete_many({"files_id": {"$in": files}})
            await db["results.files"].delete_many({"_id": {"$in": files}})
            await db["results"].update_many(
                {"application_id": {"$in": ids}}, {"$set": {"file_id": None}}
            )

    hooks = {"cascade": application_dependents}
    return plan_sweeps(
        "routing",
        {
            ("applications-decided", "applications"): hooks,
            ("applications-withdrawn", "applications"): hooks,
        },
    )


async def create_retention_indexes(db: AsyncDatabase) -> None:
    await db["applications"].create_index([("status", 1), ("updated_at", 1)])
    await db["deliveries"].create_index([("state", 1), ("finished_at", 1)])
    await db["workbench_notes"].create_index("application_id")
    await db["results"].create_index("application_id")
