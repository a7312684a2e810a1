"""A levy's virtual account at the region's bank, and the bank's two calls about it in
SNAP: the inquiry (what does this virtual account owe?) and the payment.

A levy's bill number (``<region><12 digits>``, also in its QRIS) gives its virtual
account: SNAP's ``partnerServiceId`` is the region's prefix at the bank (``9<region>``,
left-padded with spaces to eight characters) and ``customerNo`` the bill number's twelve
digits, so the citizen types ``9<region><12 digits>``, seventeen digits. Nothing new is
stored to find a bill from its account: the account names the bill number.

The answers are read off the stored bill, and a payment is applied by
:func:`~.settling.settle`, the path a QRIS payment takes: exactly once, a wrong amount or
an expired bill refused and recorded as ``payment.refused``. Response codes are SNAP's
(service 24 for the inquiry, 25 for the payment): ``4042x12`` no such bill, ``4042x19``
expired (or failed), ``4042x14`` paid, ``4042513`` a wrong amount, ``4002x02`` a field
missing.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import orjson

from services.routing.payments.settling import PaymentReport, settle
from services.routing.payments.snap_api import refusal, success
from shared.events import utcnow

if TYPE_CHECKING:
    from services.routing.parts import RoutingUnitOfWork

__all__ = ["INQUIRY", "PAYMENT", "VirtualAccount", "inquire", "pay", "virtual_account_of"]

INQUIRY, PAYMENT = 24, 25

_NUMBER = re.compile(r"^9([0-9]{4})([0-9]{12})$")


@dataclass(frozen=True)
class VirtualAccount:
    """A virtual account as SNAP splits it."""

    partner_service_id: str
    customer_no: str

    @property
    def number(self) -> str:
        """What the citizen types at an ATM or in mobile banking."""
        return self.partner_service_id.strip() + self.customer_no

    @property
    def snap_number(self) -> str:
        """SNAP's ``virtualAccountNo``: the padded prefix and the customer number."""
        return self.partner_service_id + self.customer_no

    @property
    def bill_number(self) -> str | None:
        found = _NUMBER.match(self.number)
        return found.group(1) + found.group(2) if found else None


def virtual_account_of(bill_number: str) -> VirtualAccount:
    """The virtual account of a levy's bill number (``<region><12 digits>``)."""
    return VirtualAccount(f"9{bill_number[:4]}".rjust(8), bill_number[4:])


def _account(sent: dict[str, Any]) -> VirtualAccount:
    """The account a call names, by its two parts or by ``virtualAccountNo`` alone."""
    psid, customer = sent.get("partnerServiceId"), sent.get("customerNo")
    if isinstance(psid, str) and isinstance(customer, str):
        return VirtualAccount(psid, customer)
    number = str(sent["virtualAccountNo"]).strip()
    return VirtualAccount(number[:5].rjust(8), number[5:])


def _echo(account: VirtualAccount, sent: dict[str, Any]) -> dict[str, Any]:
    return {
        "partnerServiceId": account.partner_service_id,
        "customerNo": account.customer_no,
        "virtualAccountNo": account.snap_number,
    }


def _rupiah(amount: int) -> dict[str, str]:
    return {"value": f"{amount}.00", "currency": "IDR"}


def _description(bill: dict[str, Any]) -> str:
    """The account's name at the bank: the levy and its tracking number, never the
    citizen's name (the bank shows it to whoever types the number)."""
    return f"RETRIBUSI {bill['service'].upper()} {bill['tracking_number']}"[:64]


def _missing(service: int) -> dict[str, Any]:
    return refusal(
        400,
        service,
        2,
        "Invalid Mandatory Field",
        "Isi tidak lengkap / A mandatory field is missing",
    )


_CLOSED = {
    "unknown": (12, "Invalid Bill/Virtual Account [Not Found]"),
    "expired": (19, "Invalid Bill/Virtual Account [Expired]"),
    "paid_otherwise": (14, "Paid Bill"),
    "amount": (13, "Invalid Amount"),
}


def _closed(service: int, outcome: str) -> dict[str, Any]:
    case, message = _CLOSED[outcome]
    return refusal(
        404,
        service,
        case,
        message,
        "Tagihan tidak dapat dibayar; lihat responseMessage / The bill cannot be paid; see "
        "responseMessage",
    )


async def inquire(uow: "RoutingUnitOfWork", body: bytes) -> dict[str, Any]:
    """The bank asks what a virtual account owes."""
    try:
        sent = orjson.loads(body)
        account = _account(sent)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return _missing(INQUIRY)
    assert uow.bills is not None
    number = account.bill_number
    bill = await uow.bills.by_code(number) if number else None
    if bill is None or bill.get("virtual_account") != account.number:
        return _closed(INQUIRY, "unknown")
    if bill["state"] in ("expired", "failed"):
        return _closed(INQUIRY, "expired")
    if bill["state"] == "paid":
        return _closed(INQUIRY, "paid_otherwise")
    data = {
        **_echo(account, sent),
        "inquiryStatus": "00",
        "inquiryReason": {"english": "Success", "indonesia": "Sukses"},
        "virtualAccountName": _description(bill),
        "inquiryRequestId": sent.get("inquiryRequestId"),
        "totalAmount": _rupiah(bill["amount_idr"]),
        "virtualAccountTrxType": "C",
        "expiredDate": bill["expires_at"].replace(tzinfo=UTC).isoformat()
        if bill.get("expires_at")
        else None,
    }
    return success(INQUIRY, virtualAccountData=data)


async def pay(uow: "RoutingUnitOfWork", body: bytes) -> dict[str, Any]:
    """The bank reports a payment to a virtual account: applied once (:mod:`.settling`)."""
    try:
        sent = orjson.loads(body)
        account = _account(sent)
        request_id = str(sent["paymentRequestId"])
        amount = Decimal(sent["paidAmount"]["value"])
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, InvalidOperation):
        return _missing(PAYMENT)
    number = account.bill_number
    report = PaymentReport(
        channel="snap-va",
        billing_code=number or account.number,
        bill_id=None,
        amount_idr=int(amount) if amount == int(amount) else -1,
        receipt=request_id,
        ntb=str(sent.get("referenceNo") or "") or None,
        paid_at=_paid_at(sent),
    )
    settled = await settle(uow, report)
    if settled.outcome not in ("paid", "repeated"):
        return _closed(PAYMENT, settled.outcome)
    bill = settled.bill or {}
    data = {
        **_echo(account, sent),
        "virtualAccountName": _description(bill),
        "paymentRequestId": request_id,
        "paidAmount": _rupiah(bill["amount_idr"]),
        "paymentFlagStatus": "00",
        "paymentFlagReason": {"english": "Success", "indonesia": "Sukses"},
    }
    return success(PAYMENT, virtualAccountData=data)


def _paid_at(sent: dict[str, Any]) -> datetime:
    when = sent.get("trxDateTime")
    try:
        return datetime.fromisoformat(when).astimezone(UTC) if when else utcnow()
    except (TypeError, ValueError):
        return utcnow()
