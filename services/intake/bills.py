"""What an application owes, as the citizen and the counter read it.

Routing owns bills (docs/payments.md). Intake reads its ``payment.bill_changed`` events on
the payments topic with a group of its own (``<ns>.intake.payments``) and keeps each
application's latest bill on the application itself, so ``GET /api/v1/applications/{id}``,
the portal's page and the counter answer without asking routing. A bill only moves
forward (created → pending → paid | expired | failed), so a redelivered or older event
is recognised by its state's rank and changes nothing; a newer bill replaces an older one.

A refund of a paid bill (asked by the region's finance officer) is kept beside the bill,
one entry per refund, so the citizen reads what was returned and when; a refund moves
submitted → success | failed and an event never moves it back.

The channels are a list, one entry per way to pay the bill (a SIMPONI billing code, a
QRIS payload, a virtual account), so a client shows what it is given without knowing
every kind in advance.
"""

import io
from datetime import datetime
from typing import Any

import segno
from pydantic import BaseModel, Field
from pymongo.asynchronous.collection import AsyncCollection

from shared.events import BillChanged, BillData, RefundFailed, RefundSubmitted, RefundSucceeded

__all__ = [
    "BillView",
    "PaymentChannel",
    "Receipt",
    "RefundView",
    "bill_document",
    "qris_svg",
    "record_bill",
    "record_refund",
]

_RANK = {"created": 0, "pending": 1, "paid": 2, "expired": 2, "failed": 2, "refunded": 3}
"""How far along its life a bill state is: an event never moves a bill back."""


class PaymentChannel(BaseModel):
    """One way to pay the bill."""

    kind: str = Field(
        description="billing_code (a SIMPONI code, paid at any bank channel), qris (a "
        "dynamic QRIS to scan with a banking or wallet app), virtual_account; a client "
        "shows a kind it does not know by its value.",
        examples=["billing_code"],
    )
    value: str = Field(
        description="The code, the QRIS payload or the account number.",
        examples=["820261207000123"],
    )
    bank: str | None = Field(None, description="The bank holding a virtual account.")


class Receipt(BaseModel):
    """The proof of payment, once paid."""

    ntpn: str | None = Field(None, description="The state's receipt number (PNBP).")
    ntb: str | None = Field(None, description="The bank's transaction number.")
    reference: str | None = Field(None, description="The bank's reference (a levy).")
    paid_at: datetime


class RefundView(BaseModel):
    """Money returned of a paid bill, or being returned."""

    id: str
    amount_idr: int = Field(description="Rupiah, whole.", examples=[10000])
    state: str = Field(
        description="submitted (asked of the bank), success (returned to the payer), "
        "failed (the bank refused it; nothing was returned).",
        examples=["success"],
    )
    at: datetime = Field(description="When it reached this state.")


class BillView(BaseModel):
    """The bill of an application: what to pay, how, until when, and the receipt."""

    id: str
    reference: str | None = Field(
        None,
        description="The billing code (PNBP) or the bill number a QRIS carries (levy); "
        "null until the biller issued it.",
    )
    amount_idr: int = Field(description="Rupiah, whole.", examples=[30000])
    kind: str = Field(description="pnbp or regional_levy.", examples=["pnbp"])
    state: str = Field(
        description="created (being issued), pending (to pay), paid, expired, failed; "
        "later states may be added (refunded).",
        examples=["pending"],
    )
    expires_at: datetime | None = Field(None, description="Pay before this moment.")
    channels: list[PaymentChannel] = Field(
        default_factory=list, description="Ways to pay it; empty unless pending."
    )
    receipt: Receipt | None = None
    refunds: list[RefundView] = Field(
        default_factory=list, description="Refunds of the paid bill, oldest first."
    )


def _channels(data: BillData) -> list[dict[str, Any]]:
    """The ways ``data`` can be paid, while it can be paid."""
    if data.state != "pending":
        return []
    channels: list[dict[str, Any]] = []
    if data.kind == "pnbp" and data.billing_code:
        channels.append({"kind": "billing_code", "value": data.billing_code, "bank": None})
    if data.qris:
        channels.append({"kind": "qris", "value": data.qris, "bank": None})
    account = getattr(data, "virtual_account", None)
    if isinstance(account, str) and account:
        bank = getattr(data, "bank", None)
        channels.append({"kind": "virtual_account", "value": account, "bank": bank})
    return channels


def bill_document(data: BillData) -> dict[str, Any]:
    """The bill as intake stores it on its application (the shape of :class:`BillView`)."""
    receipt = None
    if data.state == "paid" and data.paid_at is not None:
        receipt = {
            "ntpn": data.ntpn,
            "ntb": data.ntb,
            "reference": data.reference,
            "paid_at": data.paid_at,
        }
    return {
        "id": data.bill_id,
        "reference": data.billing_code,
        "amount_idr": data.amount_idr,
        "kind": data.kind,
        "state": data.state,
        "expires_at": data.expires_at,
        "channels": _channels(data),
        "receipt": receipt,
    }


async def record_bill(applications: AsyncCollection, event: BillChanged) -> None:
    """Keep the bill on its application unless the application already holds this bill
    as far along or further (a redelivery, or an event overtaken by a later one)."""
    data = event.data
    rank = _RANK.get(data.state, 0)
    await applications.update_one(
        {
            "_id": data.application_id,
            "$nor": [
                {"bill.id": data.bill_id, "bill_rank": {"$gte": rank}},
                {"bill.id": {"$gt": data.bill_id}},  # bill ids are UUIDv7: a newer bill
            ],
        },
        {"$set": {"bill": bill_document(data), "bill_rank": rank}},
    )


def qris_svg(payload: str, title: str) -> str:
    """The QRIS as a standalone SVG document a phone's banking or wallet app scans,
    drawn here so no third party ever sees the payload; medium error correction, as
    printed QRIS stickers use."""
    drawn = io.BytesIO()
    segno.make(payload, error="m").save(drawn, kind="svg", scale=5, border=4, title=title)
    return drawn.getvalue().decode()


async def record_refund(
    applications: AsyncCollection, event: RefundSubmitted | RefundSucceeded | RefundFailed
) -> None:
    """Keep a refund on its bill: a new refund is added once, and only a submitted one
    moves on (a redelivered ``submitted`` after the bank's answer changes nothing)."""
    data = event.data
    entry = {"id": data.refund_id, "amount_idr": data.amount_idr, "state": data.state}
    entry["at"] = event.time
    bill = {"_id": data.application_id, "bill.id": data.bill_id}
    if data.state != "submitted":
        moved = await applications.update_one(
            {**bill, "bill.refunds": {"$elemMatch": {"id": data.refund_id, "state": "submitted"}}},
            {"$set": {"bill.refunds.$[asked]": entry}},
            array_filters=[{"asked.id": data.refund_id, "asked.state": "submitted"}],
        )
        if moved.matched_count:
            return
    await applications.update_one(
        {**bill, "bill.refunds.id": {"$ne": data.refund_id}}, {"$push": {"bill.refunds": entry}}
    )
