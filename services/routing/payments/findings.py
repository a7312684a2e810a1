"""A region's finance officer works the reconciliation findings: which settlement days
were imported for the region, and marking a finding handled with a note.

Marking is recorded on the finding (``handled``: who, when, the note) and announced as
a ``payment.finding_handled`` event in the same transaction (routing's outbox), so the
audit log keeps who handled what and how, whatever later happens to the finding. A
finding is marked once: a second mark is refused, so a note never silently replaces
another officer's.
"""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.routing.announcements import envelope
from services.routing.payments.reconciliation import Reconciler
from shared.errors import Rejected
from shared.events import FindingHandled, FindingHandledData
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["FindingAlreadyHandled", "FindingNotFound", "Findings"]

NOTE_LIMIT = 2000


class FindingNotFound(Rejected):
    """No finding with this id among the region's (another region's is not told apart)."""


class FindingAlreadyHandled(Rejected):
    """Another mark came first; its note stands."""


class Findings:
    """The finance officer's side of ``reconciliation_findings`` and ``reconciliation_runs``."""

    def __init__(self, db: AsyncDatabase, units: UnitsOfWork, topic: str) -> None:
        self.reconciler = Reconciler(db)
        self.runs = db["reconciliation_runs"]
        self.units = units
        self.topic = topic

    async def imported_days(self, region: str, limit: int = 31) -> list[str]:
        """The settlement days imported for ``region`` (its own imports and the
        platform-wide ones), newest first."""
        query = {"region": {"$in": [region, None]}}
        days = await self.runs.distinct("day", query)
        return sorted(days, reverse=True)[:limit]

    async def handle(
        self, finding_id: str, region: str, by: str, note: str, now: datetime
    ) -> dict[str, Any]:
        """Mark the region's finding handled with ``note``; the finding as it is now."""

        async def write(tx: Transaction) -> dict[str, Any]:
            handled = {"by": by, "at": now, "note": note[:NOTE_LIMIT]}
            found, first = await self.reconciler.mark_handled(
                finding_id, region, handled, tx.session
            )
            if found is None:
                raise FindingNotFound(finding_id)
            if not first:
                raise FindingAlreadyHandled(finding_id)
            tx.emit(self.topic, _handled_event({**found, "handled": handled}))
            return {**found, "handled": handled}

        return await self.units.run(write)


def _handled_event(finding: dict[str, Any]) -> FindingHandled:
    subject = {
        "_id": finding.get("application_id") or finding["_id"],
        "region": finding.get("region"),
    }
    handled = finding["handled"]
    return FindingHandled(
        **envelope(subject),
        data=FindingHandledData(
            finding_id=finding["_id"],
            day=finding["day"],
            kind=finding["kind"],
            reason=finding["reason"],
            channel=finding["channel"],
            billing_code=finding.get("billing_code"),
            receipt=finding.get("receipt"),
            bill_id=finding.get("bill_id"),
            handled_by=handled["by"],
            note=handled["note"],
        ),
    )
