"""The billers' door into routing: SIMPONI's payment callback.

``POST /api/v1/payments/simponi/callback`` takes SIMPONI's report of a paid billing code,
signed as :mod:`~services.routing.payments.simponi` describes. The answer is read off the
stored bill, so a repeated report gets the answer the first one got. Refusals are
problem documents whose ``code`` names the case for the biller's records.
"""

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field, ValidationError

from services.routing.deps import unit_of_work
from services.routing.parts import RoutingUnitOfWork
from services.routing.payments.settling import PaymentReport, settle
from services.routing.payments.simponi import verify
from shared.events import utcnow
from shared.problems import Problem

__all__ = ["payments_router"]

payments_router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


class SimponiPayment(BaseModel):
    """SIMPONI's report of one paid billing code."""

    billing_code: str = Field(pattern=r"^[0-9]{15}$")
    reference: str | None = Field(None, description="The bill id the code was issued under.")
    amount: int = Field(gt=0)
    ntpn: str = Field(pattern=r"^[0-9A-Z]{16}$")
    ntb: str | None = Field(None, max_length=32)
    paid_at: datetime


_REFUSED: dict[str, tuple[int, str, str]] = {
    "unknown": (
        404,
        "Tagihan tidak dikenal / Unknown bill",
        "Kode billing ini tidak diterbitkan MPP Digital; kembalikan dananya / "
        "MPP Digital did not issue this billing code; return the funds",
    ),
    "expired": (
        410,
        "Tagihan kedaluwarsa / Bill expired",
        "Tagihan ini sudah kedaluwarsa; kembalikan dananya / "
        "This bill has expired; return the funds",
    ),
    "amount": (
        422,
        "Jumlah tidak sesuai / Wrong amount",
        "Jumlah yang dibayar tidak sama dengan tagihan / The amount paid differs from the bill",
    ),
    "paid_otherwise": (
        409,
        "Tagihan sudah dibayar / Bill already paid",
        "Tagihan ini sudah lunas dengan NTPN lain / This bill was paid under another NTPN",
    ),
}


@payments_router.post("/simponi/callback", summary="SIMPONI reports a paid billing code")
async def simponi_callback(
    request: Request,
    uow: Annotated[RoutingUnitOfWork, Depends(unit_of_work)],
    x_timestamp: Annotated[str | None, Header()] = None,
    x_signature: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    settings = request.app.state.runtime.settings
    if uow.bills is None:
        raise Problem(
            503,
            "Pembayaran tidak aktif / Billing is off",
            "Nyalakan MPP_PAYMENTS_BILLING / Turn MPP_PAYMENTS_BILLING on",
        )
    body = await request.body()
    secret = settings.simponi_secret.get_secret_value()
    if not verify(secret, x_timestamp, x_signature, body, utcnow()):
        raise Problem(
            401,
            "Tanda tangan tidak sah / Invalid signature",
            "Periksa X-Timestamp dan X-Signature / Check X-Timestamp and X-Signature",
            code="invalid_signature",
        )
    try:
        paid = SimponiPayment.model_validate(orjson.loads(body))
    except (ValidationError, orjson.JSONDecodeError) as error:
        raise Problem(
            400, "Laporan tidak sah / Invalid report", str(error)[:300], code="invalid_report"
        ) from None
    report = PaymentReport(
        channel="simponi",
        billing_code=paid.billing_code,
        bill_id=paid.reference,
        amount_idr=paid.amount,
        receipt=paid.ntpn,
        ntb=paid.ntb,
        paid_at=paid.paid_at,
    )
    settled = await settle(uow, report)
    if settled.outcome in _REFUSED:
        status, title, detail = _REFUSED[settled.outcome]
        raise Problem(status, title, detail, code=settled.outcome)
    bill = settled.bill or {}
    receipt = bill.get("receipt") or {}
    return {
        "status": "00",
        "bill_id": bill.get("_id"),
        "billing_code": bill.get("billing_code"),
        "ntpn": receipt.get("ntpn"),
    }
