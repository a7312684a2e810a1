"""The SP4N-LAPOR! adapter: every complaint is forwarded to LAPOR! and its tracking id
stored; LAPOR!'s status comes back by polling.

Polling, not a callback: LAPOR! then needs no route into the platform, and a status
missed while routing was down is read on the next round. Every
``MPP_LAPOR_SYNC_SECONDS`` :meth:`LaporSync.sync_once` (given its clock, like the
complaint sweep) forwards the complaints LAPOR! has not recorded yet and asks LAPOR! the
status of those it tracks and that are not closed.

Each request is tried ``1 + MPP_LAPOR_RETRIES`` times, the delay doubling from
``MPP_LAPOR_BACKOFF_SECONDS``, on a timeout, a refused connection or a 5xx. When every
try fails the complaint stays stored with its next try due ``MPP_LAPOR_RETRY_AFTER_SECONDS``
later (doubled with each round that fails, at most an hour): it is forwarded once LAPOR!
answers again, never dropped. LAPOR! receives the complaint's words, kind, service,
region and agency, and its own id as ``external_id`` (a repeated forward answers the
same tracking id) — never the citizen's name, NIK or contacts.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from services.routing.announcements import envelope
from services.routing.complaints.store import ComplaintStore
from shared.events import ComplaintTracked, ComplaintTrackedData, utcnow
from shared.polling import sweep_every
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["LaporClient", "LaporSync", "LaporUnavailable"]

log = structlog.get_logger(__name__)

_MAX_WAIT = 3600.0


class LaporUnavailable(Exception):
    """Every try of one request to LAPOR! failed (timeouts, refused connections, 5xx)."""


@dataclass
class LaporClient:
    """LAPOR!'s complaint API, with bounded retries."""

    settings: Settings
    transport: httpx.AsyncBaseTransport | None = None

    async def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        settings = self.settings
        token = settings.lapor_token
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
        delay, last = settings.lapor_backoff_seconds, "no try"
        async with httpx.AsyncClient(
            base_url=settings.lapor_url,
            timeout=settings.lapor_timeout_seconds,
            transport=self.transport,
        ) as client:
            for attempt in range(1 + settings.lapor_retries):
                if attempt:
                    await asyncio.sleep(delay)
                    delay *= 2
                try:
                    answer = await client.request(method, path, json=body, headers=headers)
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                    continue
                if answer.status_code >= 500:
                    last = f"HTTP {answer.status_code}"
                    continue
                answer.raise_for_status()
                return answer.json()
        raise LaporUnavailable(last)

    async def create(self, complaint: dict[str, Any]) -> dict:
        """Forward one complaint: LAPOR!'s ``tracking_id`` and ``status``."""
        return await self._request("POST", "/api/v1/laporan", _report(complaint))

    async def status(self, tracking_id: str) -> str:
        answer = await self._request("GET", f"/api/v1/laporan/{tracking_id}")
        return str(answer["status"])


def _report(complaint: dict[str, Any]) -> dict[str, Any]:
    """What LAPOR! is told: no personal data, and the application only when not
    confidential."""
    return {
        "external_id": complaint["_id"],
        "kind": complaint["kind"],
        "text": complaint["thread"][0]["text"],
        "service": complaint["service"],
        "region": complaint["region"],
        "agency": complaint["agency"],
        "confidential": complaint["confidential"],
        "reference": None if complaint["confidential"] else complaint["tracking_number"],
    }


@dataclass
class LaporSync:
    settings: Settings
    units: UnitsOfWork
    complaints: ComplaintStore
    topics: Topics
    client: LaporClient
    batch: int = 100
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def sync_once(self, now: datetime | None = None) -> int:
        """Forward what LAPOR! has not recorded, read back what it tracks; returns how many
        complaints LAPOR! recorded this round."""
        now = now or utcnow()
        recorded = 0
        for complaint in await self.complaints.waiting_for_lapor(now, self.batch):
            recorded += await self._forward(complaint, now)
        for complaint in await self.complaints.tracked_open(self.batch):
            await self._read_back(complaint, now)
        return recorded

    async def _forward(self, complaint: dict[str, Any], now: datetime) -> int:
        try:
            answer = await self.client.create(complaint)
        except (LaporUnavailable, httpx.HTTPStatusError) as exc:
            attempts = int(complaint["lapor"].get("attempts") or 0) + 1
            wait = min(self.settings.lapor_retry_after_seconds * 2 ** (attempts - 1), _MAX_WAIT)
            await self.complaints.note_lapor(
                complaint["_id"],
                {"attempts": attempts, "next_try_at": now + timedelta(seconds=wait)},
            )
            log.warning(
                "LAPOR! forward failed; kept for later",
                complaint_id=complaint["_id"],
                error=str(exc)[:100],
                attempts=attempts,
            )
            return 0

        async def write(tx: Transaction) -> None:
            tracking, status = str(answer["tracking_id"]), str(answer["status"])
            if await self.complaints.record_tracking(
                complaint["_id"], tracking, status, now, tx.session
            ):
                tx.emit(self.topics.complaints, _tracked(complaint, tracking, status, now))

        await self.units.run(write)
        return 1

    async def _read_back(self, complaint: dict[str, Any], now: datetime) -> None:
        tracking = complaint["lapor"]["tracking_id"]
        try:
            status = await self.client.status(tracking)
        except (LaporUnavailable, httpx.HTTPStatusError):
            return  # asked again next round
        if status == complaint["lapor"].get("status"):
            return

        async def write(tx: Transaction) -> None:
            await self.complaints.note_lapor(complaint["_id"], {"status": status}, tx.session)
            tx.emit(self.topics.complaints, _tracked(complaint, tracking, status, now))

        await self.units.run(write)

    async def run(self) -> None:
        await sweep_every(
            "LAPOR! sync", self.settings.lapor_sync_seconds, self.sync_once, self._stopping
        )

    def stop(self) -> None:
        self._stopping.set()


def _tracked(
    complaint: dict[str, Any], tracking: str, status: str, now: datetime
) -> ComplaintTracked:
    around = envelope({"_id": complaint["_id"], "region": complaint["region"]})
    around["correlation_id"] = complaint.get("correlation_id") or complaint["_id"]
    return ComplaintTracked(
        **around,
        data=ComplaintTrackedData(
            complaint_id=complaint["_id"],
            agency=complaint["agency"],
            tracking_id=tracking,
            lapor_status=status,
            at=now,
        ),
    )
