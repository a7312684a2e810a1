"""The complaints' timers: one sweep, run every ``MPP_COMPLAINT_SWEEP_SECONDS`` and given
its clock (``sweep_once(now)``), so a test moves time instead of waiting for it.

For each complaint a timer is owed on (:func:`~services.routing.complaints.timeline.overdue`)
the sweep, in one transaction per complaint guarded by the state it read, either
escalates a step past its due time — ``complaint.escalated`` naming the agency's
supervisor, once per step — or closes an answer left 10 working days without a reply
(``complaint.closed``). Several routing processes sweeping announce each step once: the
second writer's guarded write matches nothing.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from services.routing.announcements import envelope
from services.routing.complaints.store import ComplaintStore
from services.routing.complaints.timeline import Due, overdue
from shared.catalogue import Catalogue
from shared.events import (
    ComplaintClosed,
    ComplaintClosedData,
    ComplaintEscalated,
    ComplaintEscalatedData,
    utcnow,
)
from shared.polling import sweep_every
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["ComplaintClock"]

log = structlog.get_logger(__name__)

_REASONS = {
    "forward": "pengaduan belum diteruskan dalam 3 hari kerja / "
    "the complaint was not forwarded within 3 working days",
    "answer": "pengaduan belum dijawab dalam 5 hari kerja / "
    "the complaint was not answered within 5 working days",
}
_CLOSED = (
    "ditutup otomatis: tidak ada tanggapan warga 10 hari kerja setelah jawaban / "
    "closed: no reply from the citizen 10 working days after the answer"
)


@dataclass
class ComplaintClock:
    settings: Settings
    catalogue: Catalogue
    units: UnitsOfWork
    complaints: ComplaintStore
    topics: Topics
    page_size: int = 200
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def sweep_once(self, now: datetime | None = None) -> list[tuple[str, Due]]:
        """Every timer owed at ``now`` (the wall clock unless given), each acted on once;
        returns what was done, as (complaint id, step)."""
        now = now or utcnow()
        done: list[tuple[str, Due]] = []
        cursor = self.complaints.due(now, self.page_size)
        try:
            async for complaint in cursor:
                for step in overdue(complaint, now):
                    if await self._act(complaint["_id"], step, now):
                        done.append((complaint["_id"], step))
        finally:
            await cursor.close()
        if done:
            log.info("complaint timers fired", count=len(done))
        return done

    async def _act(self, complaint_id: str, step: Due, now: datetime) -> bool:
        """Escalate or close one complaint, read again inside the transaction."""

        async def write(tx: Transaction) -> bool:
            complaint = await self.complaints.get(complaint_id, tx.session)
            if complaint is None or step not in overdue(complaint, now):
                return False
            if step == "close":
                changes = {"state": "closed", "closed_at": now, "updated_at": now}
                if not await self.complaints.move(complaint, changes, tx.session):
                    return False
                tx.emit(self.topics.complaints, self._closed(complaint, now))
                return True
            if not await self.complaints.move(
                complaint, {"updated_at": now}, tx.session, escalated=step
            ):
                return False
            tx.emit(self.topics.complaints, self._escalated(complaint, step))
            return True

        return bool(await self.units.run(write))

    def _escalated(self, complaint: dict[str, Any], step: Due) -> ComplaintEscalated:
        agency = self.catalogue.agency(complaint["agency"])
        escalate_to = [agency.supervisor_email] if agency else []
        if self.settings.escalation_cc_email:
            escalate_to.append(self.settings.escalation_cc_email)
        due = complaint["forward_due_at"] if step == "forward" else complaint["answer_due_at"]
        return ComplaintEscalated(
            **_around(complaint),
            data=ComplaintEscalatedData(
                complaint_id=complaint["_id"],
                agency=complaint["agency"],
                region=complaint["region"],
                step=step,  # type: ignore[arg-type]
                due_at=due,
                escalate_to=escalate_to,
                reason=_REASONS[step],
            ),
        )

    def _closed(self, complaint: dict[str, Any], now: datetime) -> ComplaintClosed:
        return ComplaintClosed(
            **_around(complaint),
            data=ComplaintClosedData(
                complaint_id=complaint["_id"],
                agency=complaint["agency"],
                reason=_CLOSED,
                closed_at=now,
            ),
        )

    async def run(self) -> None:
        await sweep_every(
            "complaint sweep",
            self.settings.complaint_sweep_seconds,
            self.sweep_once,
            self._stopping,
        )

    def stop(self) -> None:
        self._stopping.set()


def _around(complaint: dict[str, Any]) -> dict[str, Any]:
    around = envelope({"_id": complaint["_id"], "region": complaint["region"]})
    around["correlation_id"] = complaint.get("correlation_id") or complaint["_id"]
    return around
