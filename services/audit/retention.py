"""What the retention report reads in audit's database; nothing here deletes.

The audit log is an append-only hash chain: removing a record would break every hash
after it. The access records and dead letters it holds are listed by the policy
(:mod:`shared.retention_policy`) so ``mpp privacy retention`` can say how many are past
their class's period; a citizen's personal data in the chain is erased by destroying
the key it is encrypted under (crypto-shredding), not by deleting records.
"""

from pymongo.asynchronous.database import AsyncDatabase

from shared.retention_sweep import Sweep, plan_sweeps

__all__ = ["retention_sweeps"]


def retention_sweeps(_db: AsyncDatabase) -> list[Sweep]:
    return plan_sweeps("audit", {})
