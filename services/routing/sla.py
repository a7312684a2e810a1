"""The SLA clock's sweep: applications past their due date without a decision.

An application's clock runs while it has an agency and a due date and no decision:
routing marks it ``sla_open: true`` then, and removes the mark in the transaction that
decides or cancels it. Every ``MPP_SLA_SWEEP_SECONDS`` a background task reads the open
applications whose due date has passed and that were not escalated yet, through a
partial index holding only open, unescalated applications (``sla_sweep``): decided
applications are never read again, however many there are. It goes through them a page
at a time (:attr:`SlaClock.page_size`) until none is left; each page is one transaction
that marks the applications and stages an ``SlaBreached`` event naming the agency's
supervisor for each, so a breach is announced once even with several routing processes
sweeping. A second partial index (``sla_overdue``) holds the open applications already
escalated: the dashboard's overdue list.

Applications stored before ``sla_open`` existed get it once, from the back-fill
(:mod:`services.routing.backfill`).
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from prometheus_client import Counter
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from services.routing.announcements import envelope
from services.routing.applications import ApplicationRepository
from services.routing.dashboard_counts import CLOSED, DashboardCounts, difference, summed
from shared.catalogue import Catalogue
from shared.events import EscalationData, SlaBreached, utcnow
from shared.polling import sweep_every
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = [
    "OVERDUE_INDEX",
    "SWEEP_INDEX",
    "SlaClock",
    "clock_running",
    "escalated_query",
    "sweep_query",
]

log = structlog.get_logger(__name__)

SWEEP_INDEX = "sla_sweep"
OVERDUE_INDEX = "sla_overdue"
_OLD_INDEX = "sla_breached_1_sla_due_at_1"  # held every application ever escalated or not

# Large enough that a backlog of thousands takes a few transactions, small enough that
# one transaction stays short.
_PAGE = 200


def clock_running(application: Mapping[str, Any]) -> bool:
    """Whether the application's SLA clock runs (it is then marked ``sla_open``)."""
    return (
        application.get("agency") is not None
        and application.get("sla_due_at") is not None
        and application.get("status") not in CLOSED
    )


def sweep_query(now: datetime) -> dict[str, Any]:
    """Open applications past due and not escalated yet (the ``sla_sweep`` index)."""
    return {"sla_open": True, "sla_breached": False, "sla_due_at": {"$lt": now}}


def escalated_query(due_before: datetime) -> dict[str, Any]:
    """Open applications escalated as past due, due before ``due_before`` (the
    ``sla_overdue`` index)."""
    return {"sla_open": True, "sla_breached": True, "sla_due_at": {"$lt": due_before}}


async def _drop_if_present(collection: AsyncCollection, name: str) -> None:
    if name in await collection.index_information():
        await collection.drop_index(name)


@dataclass
class SlaClock:
    settings: Settings
    catalogue: Catalogue
    units: UnitsOfWork
    applications: ApplicationRepository
    topics: Topics
    counts: DashboardCounts
    page_size: int = _PAGE
    breaches: Counter | None = None
    """Counts each escalated breach by agency (``mpp_sla_breaches_total``)."""
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def create_indexes(self) -> None:
        applications = self.applications.collection
        await _drop_if_present(applications, _OLD_INDEX)
        await applications.create_index(
            [("sla_due_at", ASCENDING), ("_id", ASCENDING)],
            name=SWEEP_INDEX,
            partialFilterExpression={"sla_open": True, "sla_breached": False},
        )
        await applications.create_index(
            [("sla_due_at", ASCENDING)],
            name=OVERDUE_INDEX,
            partialFilterExpression={"sla_open": True, "sla_breached": True},
        )

    async def sweep_once(self, now: datetime | None = None) -> int:
        """Escalate every overdue open application once, a page per transaction; returns
        how many were escalated."""
        now = now or utcnow()
        escalated = 0
        # One query, read a page at a time: a query per page would read the rest of the
        # index again each time on a server that does not stop at the limit.
        cursor = self.applications.ids_matching(
            sweep_query(now), self.page_size, sort=("sla_due_at", "_id")
        )
        try:
            while page := await cursor.to_list(self.page_size):
                escalated += await self._escalate([a["_id"] for a in page], now)
        finally:
            await cursor.close()
        if escalated:
            log.info("SLA breaches escalated", count=escalated)
        return escalated

    async def _escalate(self, ids: list[str], now: datetime) -> int:
        """Mark one page and stage its events, in one transaction; returns how many it
        marked (another sweeper may have got to some first)."""
        open_unescalated = {"sla_open": True, "sla_breached": False}

        async def write(tx: Transaction) -> list[str]:
            found = await self.applications.many(ids, tx.session, lean=True)
            due = [a for a in found if a.get("sla_open") and a.get("sla_breached") is False]
            if not due:
                return []
            await self.applications.mark(
                [a["_id"] for a in due],
                {"sla_breached": True, "sla_breached_at": now},
                tx.session,
                where=open_unescalated,
            )
            await self.counts.add(
                summed(difference(a, {**a, "sla_breached": True}) for a in due if a.get("counted")),
                tx.session,
            )
            for application in due:
                tx.emit(self.topics.escalations, self._breached(application))
            return [a["agency"] for a in due]

        agencies: list[str] = await self.units.run(write)
        if self.breaches is not None:  # counted once committed
            for agency in agencies:
                self.breaches.labels(agency=agency).inc()
        return len(agencies)

    def _breached(self, application: dict) -> SlaBreached:
        agency = self.catalogue.agency(application["agency"])
        escalate_to = [agency.supervisor_email] if agency else []
        if self.settings.escalation_cc_email:
            escalate_to.append(self.settings.escalation_cc_email)
        return SlaBreached(
            **envelope(application),
            data=EscalationData(
                application_id=application["_id"],
                tracking_number=application["tracking_number"],
                service=application["service"],
                region=application["region"],
                agency=application["agency"],
                status=application["status"],
                sla_due_at=application["sla_due_at"],
                escalate_to=escalate_to,
                reason="batas waktu layanan terlewati tanpa keputusan / "
                "past the service-level due date without a decision",
            ),
        )

    async def run(self) -> None:
        await sweep_every(
            "SLA sweep", self.settings.sla_sweep_seconds, self.sweep_once, self._stopping
        )

    def stop(self) -> None:
        self._stopping.set()
