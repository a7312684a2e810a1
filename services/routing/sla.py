"""The SLA clock's sweep: applications past their due date without a decision.

A background task looks, every ``MPP_SLA_SWEEP_SECONDS``, for open applications whose
due date has passed and that have not been escalated yet (an index on
``sla_breached`` and ``sla_due_at``). Each one is marked and an ``SlaBreached`` event
naming the agency's supervisor is staged in the same transaction, so a breach is
announced once even with several routing processes sweeping.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from prometheus_client import Counter
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.catalogue import Catalogue
from shared.events import EscalationData, SlaBreached, utcnow
from shared.mongo import in_transaction
from shared.outbox import Outbox
from shared.settings import Settings
from shared.topics import Topics

__all__ = ["DECIDED", "SlaClock"]

log = structlog.get_logger(__name__)

DECIDED = ("approved", "rejected", "completed", "cancelled")
"""Statuses in which the agency has decided: the clock has stopped."""

_BATCH = 200


@dataclass
class SlaClock:
    settings: Settings
    catalogue: Catalogue
    mongo: AsyncMongoClient
    db: AsyncDatabase
    outbox: Outbox
    topics: Topics
    breaches: Counter | None = None
    """Counts each escalated breach by agency (``mpp_sla_breaches_total``)."""
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def create_indexes(self) -> None:
        await self.db["applications"].create_index(
            [("sla_breached", ASCENDING), ("sla_due_at", ASCENDING)]
        )

    async def sweep_once(self, now: datetime | None = None) -> int:
        """Escalate every overdue open application once; returns how many were escalated."""
        now = now or utcnow()
        overdue = (
            await self.db["applications"]
            .find(
                {
                    "sla_breached": False,
                    "sla_due_at": {"$lt": now},
                    "agency": {"$ne": None},
                    "status": {"$nin": list(DECIDED)},
                }
            )
            .limit(_BATCH)
            .to_list(_BATCH)
        )
        escalated = 0
        for application in overdue:
            escalated += await self._escalate(application, now)
        if escalated:
            self.outbox.wake()
            log.info("SLA breaches escalated", count=escalated)
        return escalated

    async def _escalate(self, application: dict, now: datetime) -> int:
        agency = self.catalogue.agency(application["agency"])
        escalate_to = [agency.supervisor_email] if agency else []
        if self.settings.escalation_cc_email:
            escalate_to.append(self.settings.escalation_cc_email)
        breached = SlaBreached(
            source="routing",
            subject=application["_id"],
            region=application["region"],
            correlation_id=application.get("correlation_id") or application["_id"],
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

        async def work(session: AsyncClientSession) -> int:
            marked = await self.db["applications"].update_one(
                {"_id": application["_id"], "sla_breached": False},
                {"$set": {"sla_breached": True, "sla_breached_at": now}},
                session=session,
            )
            if marked.modified_count == 0:  # another sweeper got there first
                return 0
            await self.outbox.stage([(self.topics.escalations, breached)], session)
            return 1

        escalated = await in_transaction(self.mongo, work)
        if escalated and self.breaches is not None:
            self.breaches.labels(agency=application["agency"]).inc()
        return escalated

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("SLA sweep failed; will retry", error=str(exc)[:200])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=self.settings.sla_sweep_seconds
                )

    def stop(self) -> None:
        self._stopping.set()
