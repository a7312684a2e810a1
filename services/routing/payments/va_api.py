"""The region's bank's virtual-account calls into routing, in SNAP.

``POST /api/snap/v1.0/transfer-va/inquiry`` (what does this virtual account owe?) and
``POST /api/snap/v1.0/transfer-va/payment`` (it was paid) take the path every signed call
from the bank takes (:func:`~.snap_api.answer_signed_call`: the token, the signature over
the call's own path, ``X-EXTERNAL-ID`` once per Jakarta day); :mod:`.va` answers them.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.routing.deps import unit_of_work
from services.routing.parts import RoutingUnitOfWork
from services.routing.payments.snap_api import SnapCall, answer_signed_call, snap_call
from services.routing.payments.va import INQUIRY, PAYMENT, inquire, pay

__all__ = ["va_router"]

va_router = APIRouter(prefix="/api/snap/v1.0/transfer-va", tags=["payments"])


@va_router.post("/inquiry", summary="The bank asks what a levy's virtual account owes")
async def va_inquiry(
    request: Request,
    uow: Annotated[RoutingUnitOfWork, Depends(unit_of_work)],
    call: Annotated[SnapCall, Depends(snap_call)],
) -> dict[str, Any]:
    return await answer_signed_call(request, call, INQUIRY, lambda body: inquire(uow, body))


@va_router.post("/payment", summary="The bank reports a payment to a levy's virtual account")
async def va_payment(
    request: Request,
    uow: Annotated[RoutingUnitOfWork, Depends(unit_of_work)],
    call: Annotated[SnapCall, Depends(snap_call)],
) -> dict[str, Any]:
    return await answer_signed_call(request, call, PAYMENT, lambda body: pay(uow, body))
