"""How long bills and settlement records stay: the payments package's retention sweeps.

The period and its reason are the ``payment-records`` class of
:mod:`shared.retention_policy` (``MPP_RETAIN_PAYMENT_RECORDS_DAYS``, ten years by
default: docs/payments.md says why). A bill goes once it is finished (paid, expired or
failed) and unchanged for the period, a refund once the bank answered it; a settlement
import and each of its findings go on the same period from the import. The bills outlive
the applications they were made for (five years at most by default), because the revenue
books they support are kept longer;
a bill holds no personal data, only ids, the tracking number, amounts, codes and receipts.

Routing's one sweeper runs these beside its application sweeps
(:func:`services.routing.composition.build_parts`), so ``mpp privacy retention`` reports
and runs them too.
"""

from pymongo.asynchronous.database import AsyncDatabase

from shared.retention_policy import PAYMENT_RECORDS
from shared.retention_sweep import Sweep, plan_sweeps

__all__ = ["create_payment_retention_indexes", "payment_record_sweeps"]


def payment_record_sweeps() -> list[Sweep]:
    """Routing's sweeps of bills, settlement imports and findings."""
    return plan_sweeps("routing", {}, only=lambda name: name == PAYMENT_RECORDS)


async def create_payment_retention_indexes(db: AsyncDatabase) -> None:
    """The sweep's queries read an index, not every bill of ten years."""
    await db["bills"].create_index([("state", 1), ("updated_at", 1)], name="finished_by_age")
    # refunds: the totals' index on (state, updated_at) serves the sweep too
    await db["reconciliation_runs"].create_index("at", name="by_import")
    await db["reconciliation_findings"].create_index("found_at", name="by_found")
