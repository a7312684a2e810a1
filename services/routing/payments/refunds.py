"""Refunds of a paid levy, guarded by the amount still refundable.

The region's finance officer asks a refund of part or all of a paid bill, with a reason
and an ``Idempotency-Key``. What may still be refunded is the paid amount minus the
refunds made or under way; the bill keeps it as ``refundable_idr`` and a refund takes its
amount off with one conditional update (``refundable_idr >= amount``), never a read then
a write, so two refunds at once cannot take more than was paid: the second finds too
little and is refused. The bank is then asked (:mod:`.bank_refunds`) and the refund
moves::

    submitted ──the bank refunded──▶ success
        └──────the bank refused───▶ failed   (its amount is refundable again)

A bank that cannot be told (a timeout, a 5xx) leaves the refund ``submitted``: it may have
been made, so nothing is given back; asking again with the same key asks the bank again
under the same refund number, which the bank refunds once. Every move is an event
(``payment.refund_submitted``, ``_succeeded``, ``_failed``) on the payments topic,
audited like every event.

Only a levy is refunded here: PNBP is returned by its ministry (restitution), not by the
region's bank.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.routing.announcements import envelope
from services.routing.payments.bank_refunds import BankRefused, BankUnsure, RefundBank
from services.routing.payments.bills import BillRepository
from shared.errors import Rejected
from shared.events import RefundData, RefundFailed, RefundSubmitted, RefundSucceeded, utcnow
from shared.ids import uuid7
from shared.unit_of_work import Transaction

if TYPE_CHECKING:
    from services.routing.parts import RoutingUnitOfWork

__all__ = ["RefundAsk", "RefundRefused", "RefundStore", "ask_refund", "refund_view"]

log = structlog.get_logger(__name__)


class RefundRefused(Rejected):
    """A refund the rules do not allow; ``status`` and ``code`` say which."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail


@dataclass(frozen=True)
class RefundAsk:
    """A finance officer's request, as the API read it."""

    bill_id: str
    amount_idr: int
    reason: str
    by: str
    region: str
    idempotency_key: str

    @property
    def key(self) -> str:
        """The key as stored: the officer's own, so two officers' keys never collide."""
        return hashlib.sha256(f"{self.by}\n{self.idempotency_key}".encode()).hexdigest()

    @property
    def fingerprint(self) -> str:
        asked = {"bill": self.bill_id, "amount": self.amount_idr, "reason": self.reason}
        return hashlib.sha256(orjson.dumps(asked)).hexdigest()


class RefundStore:
    """The ``refunds`` collection; the refundable amount is the bill's
    (:class:`~.bills.BillRepository`)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.refunds = db["refunds"]
        self.bills = BillRepository(db)

    async def create_indexes(self) -> None:
        await self.refunds.create_index([("key", ASCENDING)], name="by_key", unique=True)
        await self.refunds.create_index([("bill_id", ASCENDING)], name="by_bill")

    async def by_key(self, key: str) -> dict | None:
        return await self.refunds.find_one({"key": key})

    async def of_bill(self, bill_id: str) -> list[dict]:
        return await self.refunds.find({"bill_id": bill_id}).sort("_id").to_list(None)

    async def bill(self, bill_id: str) -> dict | None:
        return await self.bills.get(bill_id)

    async def insert(self, refund: dict, tx: Transaction) -> None:
        await self.refunds.insert_one(refund, session=tx.session)

    async def move(self, refund: dict, to: str, sets: dict, tx: Transaction) -> bool:
        """``submitted`` → ``to``; False when another writer moved it first."""
        done = await self.refunds.update_one(
            {"_id": refund["_id"], "state": "submitted"},
            {"$set": {**sets, "state": to}},
            session=tx.session,
        )
        return done.modified_count == 1


async def ask_refund(
    uow: "RoutingUnitOfWork", store: RefundStore, bank: RefundBank, ask: RefundAsk
) -> tuple[dict, bool]:
    """The refund ``ask`` makes (or made before, under its key), finished with the bank
    when it can be; returns it and whether it is new."""
    known = await store.by_key(ask.key)
    if known is None:
        bill = await store.bill(ask.bill_id)
        _check(bill, ask)
        assert bill is not None
        await store.bills.open_refundable(bill)
        try:
            known = await uow.run(lambda tx: _submit(uow, store, bill, ask, tx))
        except DuplicateKeyError:  # the same key asked twice at once: one refund
            known = await store.by_key(ask.key)
            assert known is not None
        else:
            return await _finish(uow, store, bank, known), True
    if known["fingerprint"] != ask.fingerprint:
        raise RefundRefused(
            422,
            "idempotency_conflict",
            "Kunci dipakai untuk permintaan lain / Key used for another request",
            "Idempotency-Key ini sudah dipakai untuk refund lain; pakai kunci baru / this "
            "Idempotency-Key was used for another refund; use a new key",
        )
    return await _finish(uow, store, bank, known), False


def _check(bill: dict | None, ask: RefundAsk) -> None:
    if bill is None:
        raise RefundRefused(
            404,
            "unknown",
            "Tagihan tidak ada / No such bill",
            "Periksa id tagihan / check the bill id",
        )
    if bill["region"] != ask.region:
        raise RefundRefused(
            403,
            "other_region",
            "Tidak diizinkan / Forbidden",
            f"Tagihan ini milik wilayah lain; Anda petugas wilayah {ask.region} / this bill "
            f"belongs to another region; you are staff of region {ask.region}",
        )
    if bill["state"] != "paid" or bill["kind"] != "regional_levy":
        raise RefundRefused(
            409,
            "not_refundable",
            "Tagihan tidak dapat direfund / The bill cannot be refunded",
            "Hanya retribusi daerah yang sudah dibayar yang dapat direfund di sini; PNBP "
            "dikembalikan oleh kementeriannya / only a paid regional levy is refunded here; "
            "PNBP is returned by its ministry",
        )


async def _submit(
    uow: "RoutingUnitOfWork", store: RefundStore, bill: dict, ask: RefundAsk, tx: Transaction
) -> dict:
    after = await store.bills.take_refundable(bill["_id"], ask.amount_idr, tx.session)
    if after is None:
        left = (await store.bill(bill["_id"]) or {}).get("refundable_idr", 0)
        raise RefundRefused(
            422,
            "above_refundable",
            "Melebihi jumlah yang dapat direfund / Above the refundable amount",
            f"Yang masih dapat direfund dari tagihan ini Rp{left:,} / what may still be "
            f"refunded of this bill is Rp{left:,}".replace(",", "."),
        )
    now = utcnow()
    refund = {
        "_id": uuid7(),
        "key": ask.key,
        "fingerprint": ask.fingerprint,
        "bill_id": bill["_id"],
        "application_id": bill["application_id"],
        "region": bill["region"],
        "amount_idr": ask.amount_idr,
        "reason": ask.reason,
        "by": ask.by,
        "state": "submitted",
        "bank_reference": None,
        "failure": None,
        "submitted_at": now,
        "updated_at": now,
    }
    await store.insert(refund, tx)
    tx.emit(uow.topics.payments, _event(RefundSubmitted, bill, refund, after))
    return refund


async def _finish(
    uow: "RoutingUnitOfWork", store: RefundStore, bank: RefundBank, refund: dict
) -> dict:
    """Ask the bank for a refund still ``submitted``, and record its answer."""
    if refund["state"] != "submitted":
        return refund
    bill = await store.bill(refund["bill_id"])
    assert bill is not None
    paid_reference = (bill.get("receipt") or {}).get("reference") or ""
    try:
        done = await bank.refund(refund, paid_reference)
    except BankUnsure as error:
        log.warning("refund unanswered; kept submitted", refund_id=refund["_id"], error=str(error))
        return refund
    except BankRefused as error:
        sets = {"failure": str(error), "updated_at": utcnow()}
        await uow.run(lambda tx: _record(uow, store, bill, refund, "failed", sets, tx))
    else:
        sets = {"bank_reference": done.bank_reference, "updated_at": utcnow()}
        await uow.run(lambda tx: _record(uow, store, bill, refund, "success", sets, tx))
    return await store.refunds.find_one({"_id": refund["_id"]}) or refund


async def _record(
    uow: "RoutingUnitOfWork",
    store: RefundStore,
    bill: dict,
    refund: dict,
    to: str,
    sets: dict,
    tx: Transaction,
) -> None:
    if not await store.move(refund, to, sets, tx):
        return  # another request recorded the bank's answer first
    if to == "failed":
        after = await store.bills.give_back_refundable(
            bill["_id"], refund["amount_idr"], tx.session
        )
        after = after or bill
    else:
        after = await store.bill(bill["_id"]) or bill
    kind = RefundFailed if to == "failed" else RefundSucceeded
    tx.emit(uow.topics.payments, _event(kind, bill, {**refund, **sets, "state": to}, after))


def _event(kind: Any, bill: dict, refund: dict, after: dict) -> Any:
    subject = {
        "_id": bill["application_id"],
        "region": bill["region"],
        "correlation_id": bill.get("correlation_id"),
    }
    return kind(
        **envelope(subject),
        data=RefundData(
            refund_id=refund["_id"],
            bill_id=bill["_id"],
            application_id=bill["application_id"],
            tracking_number=bill["tracking_number"],
            service=bill["service"],
            region=bill["region"],
            state=refund["state"],
            amount_idr=refund["amount_idr"],
            refundable_idr=after.get("refundable_idr", 0),
            reason=refund["reason"],
            by=refund["by"],
            bank_reference=refund.get("bank_reference"),
            failure=refund.get("failure"),
        ),
    )


def refund_view(refund: dict, refundable_idr: int) -> dict[str, Any]:
    """A refund as the API shows it."""
    submitted: datetime = refund["submitted_at"]
    return {
        "id": refund["_id"],
        "bill_id": refund["bill_id"],
        "state": refund["state"],
        "amount_idr": refund["amount_idr"],
        "reason": refund["reason"],
        "by": refund["by"],
        "bank_reference": refund.get("bank_reference"),
        "failure": refund.get("failure"),
        "submitted_at": submitted,
        "updated_at": refund["updated_at"],
        "refundable_idr": refundable_idr,
    }
