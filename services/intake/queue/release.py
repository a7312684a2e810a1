"""Releasing bookings not checked in by the end of their slot's grace period: the
booking is ``released`` (its hold goes, so the citizen may book that day again) and its
place moves to the slot's walk-in share, with a ``queue.released`` event, all in one
transaction.

:meth:`QueueReleaser.release_once` takes the moment to sweep at, so a test moves the
clock instead of sleeping; :meth:`QueueReleaser.run` sweeps every minute on the queue's
clock. Two replicas sweeping at once release each booking once: the release is a
conditional update from ``active``.
"""

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any

import structlog

from services.intake.queue.events import booking_event
from services.intake.queue.hall import Hall
from services.intake.queue.lanes import release_at
from shared.unit_of_work import Transaction

__all__ = ["QueueReleaser"]

log = structlog.get_logger(__name__)

_DEFAULT_GRACE = timedelta(minutes=15)
"""For a booking whose service the region's package no longer queues."""


class QueueReleaser:
    """The periodic sweep of late bookings."""

    def __init__(self, hall: Hall, every_seconds: float = 60.0) -> None:
        self.hall = hall
        self.every_seconds = every_seconds

    def _due(self, booking: dict[str, Any]) -> datetime:
        day, start = date.fromisoformat(booking["day"]), time.fromisoformat(booking["start"])
        catalogue = self.hall.catalogue
        rules = catalogue.queue_rules(booking["region"], booking["service"])
        if rules is None:
            zone = catalogue.zone_of(booking["region"])
            return datetime.combine(day, start, zone) + _DEFAULT_GRACE
        return release_at(catalogue, rules, day, start)

    async def release_once(self, now: datetime) -> int:
        """Release every active booking whose grace period ended before ``now``; the
        number released. A local day is at most a day ahead of UTC's (WIT is UTC+9)."""
        released = 0
        candidates = await self.hall.bookings.active_until(now.date() + timedelta(days=1))
        for booking in candidates:
            if self._due(booking) <= now and await self._release(booking["_id"], booking, now):
                released += 1
        return released

    async def _release(self, code: str, booking: dict[str, Any], now: datetime) -> bool:
        hall = self.hall

        async def write(tx: Transaction) -> bool:
            done = await hall.bookings.release(code, now, tx.session)
            if done is None:
                return False  # checked in or cancelled meanwhile, or released by another
            await hall.ledger.release_to_walkins(booking["slot"], tx.session)
            tx.emit(hall.topic, booking_event("released", done))
            return True

        return await hall.units.run(write)

    async def run(self) -> None:
        """Sweep every ``every_seconds`` until cancelled; a failed sweep is retried at
        the next one."""
        while True:
            try:
                await self.release_once(self.hall.clock.now())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("queue release sweep failed; will retry", error=str(exc)[:200])
            await asyncio.sleep(self.every_seconds)
