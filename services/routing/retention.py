"""Routing's retention sweeps (the periods and reasons: :mod:`shared.retention_policy`).

A decided or withdrawn application goes with what hangs on it: its webhook deliveries,
the officers' workbench notes and the bytes of its result documents. The public register
row of a result (code, agency, service, dates, hash; no personal data) stays, so a paper
already handed out still verifies as issued. Webhook deliveries that failed for good are
dead letters, kept for an operator's redelivery, then swept on their own period.
Seen-event ids and agency idempotency keys expire by their TTL indexes. Bills and
settlement records are the payments package's own
(:mod:`services.routing.payments.retention`), on their own period.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.routing.payments.retention import create_payment_retention_indexes
from services.routing.results import drop_result_files
from services.routing.web.desk import WorkbenchNotes
from services.routing.webhooks import forget_deliveries
from shared.retention_policy import PAYMENT_RECORDS
from shared.retention_sweep import Sweep, plan_sweeps

__all__ = ["create_retention_indexes", "retention_sweeps"]


def retention_sweeps(db: AsyncDatabase) -> list[Sweep]:
    async def application_dependents(ids: list[Any]) -> None:
        """Each dependent collection is emptied by the module that owns it."""
        await forget_deliveries(db, ids)
        await WorkbenchNotes(db).forget(ids)
        await drop_result_files(db, ids)

    hooks = {"cascade": application_dependents}
    return plan_sweeps(
        "routing",
        {
            ("applications-decided", "applications"): hooks,
            ("applications-withdrawn", "applications"): hooks,
        },
        only=lambda name: name != PAYMENT_RECORDS,
    )


async def create_retention_indexes(db: AsyncDatabase) -> None:
    await db["applications"].create_index([("status", 1), ("updated_at", 1)])
    await db["deliveries"].create_index([("state", 1), ("finished_at", 1)])
    await db["workbench_notes"].create_index("application_id")
    await db["results"].create_index("application_id")
    await create_payment_retention_indexes(db)
