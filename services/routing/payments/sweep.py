"""The bill sweep: payment codes for new bills, and expiry for unpaid ones.

Every ``MPP_PAYMENTS_SWEEP_SECONDS`` routing

* asks the biller for the payment code of each ``created`` bill whose next attempt is
  due (its bill id is the reference, so a retry after a lost answer gets the same code).
  With the code, the bill becomes ``pending`` and its held application ``payment_due``
  in one transaction; the status change's note carries the code, the amount and the
  expiry, so the citizen's notice and application page show what to pay. A biller that
  is down is asked again later (doubling waits, at most ten minutes); after
  ``MPP_PAYMENTS_ISSUE_ATTEMPTS`` failures, or a refusal, the bill is ``failed`` and the
  application ``routing_failed``, on the operator's dashboard;
* expires each ``pending`` bill past its expiry: the bill becomes ``expired`` and its
  application ``payment_expired``, in one transaction.

A change that lost a race (the payment landed first, the citizen cancelled) is skipped:
its application or bill has moved, which is all the sweep needed to know.
"""

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.routing.announcements import envelope
from services.routing.parts import RoutingUnits
from services.routing.payments.bills import BillRepository, bill_changed
from services.routing.payments.levies import merchant_for
from services.routing.payments.qris import dynamic_payload
from services.routing.payments.simponi import BillerRefused, BillerUnavailable, SimponiClient
from services.routing.payments.va import virtual_account_of
from services.routing.workflow import StatusChange, change_status
from shared.catalogue import Catalogue
from shared.errors import Rejected
from shared.events import Event, utcnow
from shared.polling import sweep_every
from shared.settings import Settings
from shared.unit_of_work import Transaction

__all__ = ["BillSweep"]

log = structlog.get_logger(__name__)

_PAGE = 100
_LONGEST_WAIT = timedelta(minutes=10)


@dataclass
class BillSweep:
    settings: Settings
    units: RoutingUnits
    bills: BillRepository
    biller: SimponiClient
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def catalogue(self) -> Catalogue:
        assert self.units.parts is not None
        return self.units.parts.catalogue

    async def sweep_once(self, now: datetime | None = None) -> tuple[int, int]:
        """Issue the bills due an attempt and expire those past expiry; returns how many
        of each."""
        now = now or utcnow()
        issued = expired = 0
        for bill in await self.bills.to_issue(now, _PAGE):
            issued += await self._issue(bill, now)
        for bill in await self.bills.past_expiry(now, _PAGE):
            expired += await self._expire(bill, now)
        return issued, expired

    async def _issue(self, bill: dict, now: datetime) -> int:
        if bill["channel"] == "snap":
            return await self._issue_qris(bill, now)
        try:
            code = await self.biller.billing_code(bill)
        except BillerUnavailable as error:
            if bill["attempts"] + 1 < self.settings.payments_issue_attempts:
                wait = timedelta(seconds=self.settings.payments_sweep_seconds)
                wait = min(wait * 2 ** bill["attempts"], _LONGEST_WAIT)
                await self.bills.try_later(bill, wait, now)
                log.info("biller unavailable; will try again", bill_id=bill["_id"])
                return 0
            return await self._fail(bill, f"biller unavailable: {error}", now)
        except BillerRefused as error:
            return await self._fail(bill, f"biller refused: {error}", now)
        sets = {"billing_code": code.billing_code, "expires_at": code.expires_at}
        note = _billing_note(bill, code.billing_code, code.expires_at, self.catalogue)
        return await self._move(bill, "pending", sets, "payment_due", note, now)

    async def _issue_qris(self, bill: dict, now: datetime) -> int:
        """A levy's dynamic QRIS payload, made here from the region's merchant account
        (:mod:`.levies`): one payload per bill, its number in the additional data."""
        number = f"{bill['region']}{secrets.randbelow(10**12):012d}"
        payload = dynamic_payload(
            merchant_for(bill["region"], self.catalogue), bill["amount_idr"], number
        )
        expires_at = now + timedelta(hours=bill["valid_hours"])
        account = virtual_account_of(number).number
        sets = {
            "billing_code": number,
            "qris": payload,
            "virtual_account": account,
            "expires_at": expires_at,
        }
        note = _qris_note(bill, number, account, expires_at, self.catalogue)
        return await self._move(bill, "pending", sets, "payment_due", note, now)

    async def _fail(self, bill: dict, reason: str, now: datetime) -> int:
        log.warning("bill failed", bill_id=bill["_id"], reason=reason[:200])
        note = (
            "Tagihan tidak dapat dibuat; petugas kami menanganinya / "
            "The bill could not be made; our staff are on it"
        )
        sets = {"reason": reason[:300], "attempts": bill["attempts"] + 1}
        return await self._move(bill, "failed", sets, "routing_failed", note, now)

    async def _expire(self, bill: dict, now: datetime) -> int:
        note = "Tagihan kedaluwarsa tanpa pembayaran / The bill expired unpaid"
        sets = {"reason": "expired unpaid"}
        return await self._move(bill, "expired", sets, "payment_expired", note, now)

    async def _move(
        self, bill: dict, to: Any, sets: dict, status: str, note: str, now: datetime
    ) -> int:
        """The bill to ``to`` and its application to ``status`` in one transaction; the
        bill alone when its application has moved on (withdrawn meanwhile)."""
        uow = self.units()
        sets = {**sets, "updated_at": now}
        subject = {"_id": bill["application_id"], "region": bill["region"]}
        moved = bill_changed({**bill, **sets, "state": to}, bill["state"], envelope(subject))
        if bill["due"] == "before_release":  # the application stays approved meanwhile
            return await self._bill_alone(uow, bill, to, sets, moved)

        async def record(_: dict, tx: Transaction) -> None:
            await self._record(bill, to, sets, moved, tx)

        change = StatusChange(
            application_id=bill["application_id"],
            to=status,
            actor="system",
            cause=moved,
            source=None,
            expected="submitted" if bill["state"] == "created" else "payment_due",
            note=note,
            within=record,
        )
        try:
            await change_status(uow, change)
        except Rejected:
            return await self._bill_alone(uow, bill, to, sets, moved)
        return 1

    async def _bill_alone(self, uow: Any, bill: dict, to: Any, sets: dict, moved: Event) -> int:
        try:
            await uow.run(lambda tx: self._record(bill, to, sets, moved, tx))
        except Rejected:
            return 0  # the bill moved first (a payment landed)
        return 1

    async def _record(self, bill: dict, to: Any, sets: dict, moved: Event, tx: Transaction) -> None:
        await self.bills.move(bill, to, sets, tx.session)
        assert self.units.parts is not None
        tx.emit(self.units.parts.topics.payments, moved)

    async def run(self) -> None:
        await sweep_every(
            "bill sweep", self.settings.payments_sweep_seconds, self.sweep_once, self._stopping
        )

    def stop(self) -> None:
        self._stopping.set()


def _amount_and_until(bill: dict, expires_at: datetime, catalogue: Catalogue) -> tuple[str, str]:
    amount = f"Rp{bill['amount_idr']:,}".replace(",", ".")
    local = expires_at.astimezone(catalogue.zone_of(bill["region"]))
    region = catalogue.region(bill["region"])
    until = f"{local:%d-%m-%Y %H:%M} {region.zone if region and region.zone else ''}".strip()
    return amount, until


def _qris_note(
    bill: dict, number: str, account: str, expires_at: datetime, catalogue: Catalogue
) -> str:
    amount, until = _amount_and_until(bill, expires_at, catalogue)
    return (
        f"Bayar {amount} dengan QRIS (nomor tagihan {number}) atau ke virtual account "
        f"{account} di bank daerah, sebelum {until} / Pay {amount} by QRIS (bill number "
        f"{number}) or to virtual account {account} at the regional bank, before {until}"
    )


def _billing_note(bill: dict, code: str, expires_at: datetime, catalogue: Catalogue) -> str:
    amount, until = _amount_and_until(bill, expires_at, catalogue)
    return (
        f"Bayar {amount} dengan kode billing SIMPONI {code} sebelum {until} / "
        f"Pay {amount} with SIMPONI billing code {code} before {until}"
    )
