"""The region's finance officer's refunds of a paid levy.

``POST /api/v1/payments/bills/{bill_id}/refunds`` asks one (``{"amount_idr", "reason"}``
with an ``Idempotency-Key`` header): 201 with the refund the first time, 200 with the same
refund when the key comes again with the same body, 422 with another body.
``GET`` the same path lists the bill's refunds and what may still be refunded. Only a
staff token of role ``finance_officer`` bound to the bill's region may do either
(:mod:`.region_staff`); the rules are :mod:`.refunds`'.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field

from services.routing.deps import unit_of_work
from services.routing.parts import RoutingUnitOfWork
from services.routing.payments.bank_refunds import RefundBank
from services.routing.payments.refunds import (
    RefundAsk,
    RefundRefused,
    RefundStore,
    ask_refund,
    refund_view,
)
from services.routing.payments.region_staff import forbidden, region_staff
from shared.auth import CitizenPrincipal
from shared.problems import Problem

__all__ = ["refunds_router"]

refunds_router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


class RefundRequest(BaseModel):
    amount_idr: int = Field(gt=0, description="Rupiah to return, at most what is refundable.")
    reason: str = Field(min_length=3, max_length=500, description="Why, for the books.")


async def _finance_officer(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> CitizenPrincipal:
    return await region_staff(
        request,
        authorization,
        ("finance_officer",),
        "Hanya petugas keuangan wilayah yang boleh merefund / only a region's finance "
        "officer may refund",
    )


def _store(request: Request) -> RefundStore:
    if request.app.state.parts.bills is None:
        raise Problem(
            503,
            "Pembayaran tidak aktif / Billing is off",
            "Nyalakan MPP_PAYMENTS_BILLING / Turn MPP_PAYMENTS_BILLING on",
        )
    return RefundStore(request.app.state.runtime.db)


def _problem(refused: RefundRefused) -> Problem:
    return Problem(refused.status, refused.title, refused.detail, code=refused.code)


@refunds_router.post(
    "/bills/{bill_id}/refunds", status_code=201, summary="Refund part or all of a paid levy"
)
async def refund_bill(
    bill_id: str,
    asked: RefundRequest,
    request: Request,
    response: Response,
    principal: Annotated[CitizenPrincipal, Depends(_finance_officer)],
    uow: Annotated[RoutingUnitOfWork, Depends(unit_of_work)],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    store = _store(request)
    if not idempotency_key:
        raise Problem(
            400,
            "Idempotency-Key wajib / Idempotency-Key required",
            "Kirim header Idempotency-Key yang unik untuk refund ini / send a unique "
            "Idempotency-Key header for this refund",
        )
    ask = RefundAsk(
        bill_id=bill_id,
        amount_idr=asked.amount_idr,
        reason=asked.reason,
        by=principal.subject,
        region=str(principal.region),
        idempotency_key=idempotency_key,
    )
    try:
        refund, new = await ask_refund(
            uow, store, RefundBank(request.app.state.runtime.settings), ask
        )
    except RefundRefused as refused:
        raise _problem(refused) from None
    if not new:
        response.status_code = 200
    bill = await store.bill(bill_id) or {}
    return refund_view(refund, bill.get("refundable_idr", bill.get("amount_idr", 0)))


@refunds_router.get("/bills/{bill_id}/refunds", summary="A paid levy's refunds")
async def bill_refunds(
    bill_id: str,
    request: Request,
    principal: Annotated[CitizenPrincipal, Depends(_finance_officer)],
) -> dict[str, Any]:
    store = _store(request)
    bill = await store.bill(bill_id)
    if bill is not None and bill["region"] != principal.region:
        raise forbidden(
            f"Tagihan ini milik wilayah lain; Anda petugas wilayah {principal.region} / this "
            f"bill belongs to another region; you are staff of region {principal.region}"
        )
    if bill is None:
        raise Problem(
            404, "Tagihan tidak ada / No such bill", "Periksa id tagihan / check the bill id"
        )
    refundable = bill.get("refundable_idr", bill["amount_idr"] if bill["state"] == "paid" else 0)
    return {
        "bill_id": bill_id,
        "state": bill["state"],
        "amount_idr": bill["amount_idr"],
        "refundable_idr": refundable,
        "refunds": [refund_view(r, refundable) for r in await store.of_bill(bill_id)],
    }
