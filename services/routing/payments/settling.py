"""A payment report, applied exactly once, whatever the biller or the bank repeats.

A report (SIMPONI's callback) names a bill by its code — or by the bill id it was issued
under, for a report that overtakes the platform storing the code — and claims an amount
and a receipt. :func:`settle` answers from the stored bill, never from the report
alone:

* a bill ``created`` or ``pending``, for its exact amount: it becomes ``paid`` with the
  receipt, and in the same transaction a held application goes to its agency
  (``payment_due`` or ``submitted`` → ``routed``);
* a bill already ``paid`` with the same receipt: the report is a repeat, answered as the
  first one was, and nothing changes;
* an unknown bill, an expired or failed one, a wrong amount, or a second receipt for a
  paid bill: refused, and the refusal recorded as a ``payment.refused`` event (audited)
  for the finance officer.

Two reports at once cannot both apply: the bill's move is guarded by its state, so the
second transaction finds it moved and is read again (:class:`~.bills.BillMoved`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import structlog

from services.routing.announcements import envelope
from services.routing.payments.bills import BillMoved, bill_changed
from services.routing.payments.holding import dispatch_on_release, release_sets
from services.routing.workflow import StatusChange, change_status
from shared.errors import Rejected
from shared.events import PaymentRefusalData, PaymentRefused
from shared.unit_of_work import Transaction

if TYPE_CHECKING:
    from services.routing.parts import RoutingUnitOfWork

__all__ = ["Outcome", "PaymentReport", "settle"]

log = structlog.get_logger(__name__)

Outcome = Literal["paid", "repeated", "unknown", "expired", "amount", "paid_otherwise"]


@dataclass(frozen=True)
class PaymentReport:
    """What a biller or bank says was paid."""

    channel: str
    billing_code: str | None
    bill_id: str | None
    amount_idr: int
    receipt: str
    """The proof of payment: SIMPONI's NTPN for PNBP, the bank's reference for a levy."""
    ntb: str | None
    paid_at: datetime


@dataclass(frozen=True)
class Settled:
    outcome: Outcome
    bill: dict | None


async def settle(uow: "RoutingUnitOfWork", report: PaymentReport) -> Settled:
    """Apply ``report`` once; returns what became of it (see the module's docstring)."""
    bills = uow.bills
    assert bills is not None, "payment reports are taken only with billing on"
    bill = await _find(uow, report)
    payable = bill is not None and bill["state"] in ("created", "pending")
    if payable and bill is not None and bill["amount_idr"] == report.amount_idr:
        try:
            await _pay(uow, bill, report)
        except BillMoved:
            log.info("payment report raced another; read again", bill_id=bill["_id"])
        bill = await bills.get(bill["_id"])
    outcome = _outcome(bill, report)
    if outcome not in ("paid", "repeated"):
        await _record_refusal(uow, bill, report, outcome)
    return Settled(outcome, bill)


async def _find(uow: "RoutingUnitOfWork", report: PaymentReport) -> dict | None:
    bills = uow.bills
    assert bills is not None
    found = await bills.by_code(report.billing_code) if report.billing_code else None
    if found is None and report.bill_id:
        by_id = await bills.get(report.bill_id)
        # Only a bill not yet given its code may be named by id alone.
        if by_id is not None and by_id.get("billing_code") in (None, report.billing_code):
            found = by_id
    return found


def receipt_key(bill: dict) -> str:
    """Where a bill's proof of payment is kept: ``ntpn`` for PNBP, ``reference`` else."""
    return "ntpn" if bill["kind"] == "pnbp" else "reference"


def _outcome(bill: dict | None, report: PaymentReport) -> Outcome:
    if bill is None:
        return "unknown"
    receipt = bill.get("receipt") or {}
    if bill["state"] == "paid":
        same = receipt.get(receipt_key(bill)) == report.receipt
        return "repeated" if same else "paid_otherwise"
    if bill["state"] in ("expired", "failed"):
        return "expired"
    return "amount"  # still open: only a wrong amount leaves it so


async def _pay(uow: "RoutingUnitOfWork", bill: dict, report: PaymentReport) -> None:
    """The bill paid and, in the same transaction, its held application released."""
    receipt = {receipt_key(bill): report.receipt, "ntb": report.ntb, "paid_at": report.paid_at}
    sets = {"receipt": receipt, "updated_at": report.paid_at}
    if report.billing_code and not bill.get("billing_code"):
        sets["billing_code"] = report.billing_code
    application = await uow.applications.get(bill["application_id"])
    subject = application or {"_id": bill["application_id"], "region": bill["region"]}
    paid = bill_changed({**bill, **sets, "state": "paid"}, bill["state"], envelope(subject))

    async def record(after: dict, tx: Transaction) -> None:
        await _move(uow, bill, sets, tx)
        tx.emit(uow.topics.payments, paid)
        await dispatch_on_release(after, paid, tx, uow)

    if application is None or not application.get("held_for"):  # nothing held to release
        await uow.run(lambda tx: _alone(uow, bill, sets, paid, tx))
        return
    change = StatusChange(
        application_id=bill["application_id"],
        to="routed",
        actor="system",
        cause=paid,
        source=None,
        expected=application["status"],
        note=_receipt_note(bill, report),
        sets=release_sets(application, report.paid_at, uow),
        within=record,
    )
    try:
        await change_status(uow, change)
    except BillMoved:
        raise
    except Rejected:  # withdrawn meanwhile: the money is in, the bill is paid all the same
        await uow.run(lambda tx: _alone(uow, bill, sets, paid, tx))


async def _move(uow: "RoutingUnitOfWork", bill: dict, sets: dict, tx: Transaction) -> None:
    assert uow.bills is not None
    await uow.bills.move(bill, "paid", sets, tx.session)


async def _alone(
    uow: "RoutingUnitOfWork", bill: dict, sets: dict, paid: object, tx: Transaction
) -> None:
    """The bill paid with no status change: a fee due before release (the application
    may now be completed), or one whose application was withdrawn meanwhile."""
    await _move(uow, bill, sets, tx)
    tx.emit(uow.topics.payments, paid)  # type: ignore[arg-type]
    owed = {"fee_owed": bill["_id"]}
    await uow.applications.mark(
        [bill["application_id"]], {"fee_owed": None}, tx.session, where=owed
    )


def _receipt_note(bill: dict, report: PaymentReport) -> str:
    amount = f"Rp{bill['amount_idr']:,}".replace(",", ".")
    ntb = f", NTB {report.ntb}" if report.ntb else ""
    proof = f"{receipt_key(bill).upper()} {report.receipt}{ntb}"
    # "paid", not "received": an English workflow status in an Indonesian page reads as a code
    return f"Pembayaran {amount} diterima, {proof} / {amount} paid, {proof}"


async def _record_refusal(
    uow: "RoutingUnitOfWork", bill: dict | None, report: PaymentReport, outcome: Outcome
) -> None:
    """Keep the refused report for the finance officer (audited like every event)."""
    subject = {"_id": bill["application_id"], "region": bill["region"]} if bill else None
    refused = PaymentRefused(
        **envelope(subject or {"_id": report.billing_code or report.bill_id or "unknown"}),
        data=PaymentRefusalData(
            channel=report.channel,
            bill_id=bill["_id"] if bill else None,
            billing_code=report.billing_code,
            amount_idr=report.amount_idr,
            reference=report.receipt,
            answer_code=outcome,
            reason=_REASONS[outcome],
        ),
    )

    async def write(tx: Transaction) -> None:
        tx.emit(uow.topics.payments, refused)

    await uow.run(write)
    log.warning("payment report refused", outcome=outcome, bill_id=bill and bill["_id"])


_REASONS: dict[str, str] = {
    "unknown": "tagihan tidak dikenal / no such bill",
    "expired": "tagihan sudah kedaluwarsa atau gagal / the bill expired or failed",
    "amount": "jumlah tidak sama dengan tagihan / the amount differs from the bill",
    "paid_otherwise": "tagihan sudah dibayar dengan bukti lain / "
    "the bill was paid already under another receipt",
}
