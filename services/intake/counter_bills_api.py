"""The counter's view of a walk-in's bill: shown on the operator's screen or printed, so
the citizen scans its QRIS with their phone or pays its billing code at the bank's booth
in the MPP.

Read only, on purpose: a payment reaches the platform only as the biller's or bank's
signed report to routing (docs/payments.md), so no operator can call a bill paid. The
operator's account is checked with identity on every call (disabled or reset: refused),
and only applications taken at a counter of the operator's own region are shown; any
other id answers as not found.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.applications import ApplicationRepository
from services.intake.bills import BillView, qris_svg
from services.intake.callers import client_ip
from services.intake.deps import ApplicationsDep, IdentityDep, Submitter
from services.intake.identity_client import IdentityClient
from services.intake.refusals import CounterBillsOnly, NoBillYet, NoCounterApplication
from services.intake.submitters import serving_staff
from shared.auth import CitizenPrincipal
from shared.http_cache import PRIVATE, cached_json

__all__ = ["counter_bills_router"]

counter_bills_router = APIRouter(prefix="/api/v1/counter", tags=["applications"])


async def _counter_bill(
    id: str,
    request: Request,
    caller: CitizenPrincipal,
    applications: ApplicationRepository,
    identity: IdentityClient,
) -> dict[str, Any]:
    """The bill of counter application ``id`` in the operator's region."""
    if caller.operator_role != "counter":
        raise CounterBillsOnly(id)
    authorization = request.headers.get("authorization", "")
    staff = await serving_staff(identity, authorization, client_ip(request))
    found = await applications.collection.find_one(
        {"_id": id, "channel": "counter", "region": staff["region"]},
        {"bill": 1, "tracking_number": 1},
    )
    if found is None:
        raise NoCounterApplication(id)
    if not found.get("bill"):
        raise NoBillYet(found["tracking_number"])
    return {**found["bill"], "tracking_number": found["tracking_number"]}


@counter_bills_router.get(
    "/applications/{id}/bill",
    response_model=BillView,
    summary="A walk-in's bill, to show or print at the counter",
    description="A counter operator's own region only. Read only: a bill is paid only by "
    "the bank's signed report.",
    responses={403: {}, 404: {}},
)
async def counter_bill(
    id: str,
    request: Request,
    caller: Submitter,
    applications: ApplicationsDep,
    identity: IdentityDep,
) -> Response:
    bill = await _counter_bill(id, request, caller, applications, identity)
    shown = BillView.model_validate(bill).model_dump(mode="json")
    return cached_json(request, shown, cache_control=PRIVATE)


@counter_bills_router.get(
    "/applications/{id}/bill/qris.svg",
    response_class=Response,
    summary="A walk-in's QRIS, as an image for the citizen to scan",
    responses={200: {"description": "image/svg+xml"}, 403: {}, 404: {}},
)
async def counter_bill_qris(
    id: str,
    request: Request,
    caller: Submitter,
    applications: ApplicationsDep,
    identity: IdentityDep,
) -> Response:
    bill = await _counter_bill(id, request, caller, applications, identity)
    payload = next((c["value"] for c in bill["channels"] if c["kind"] == "qris"), None)
    if payload is None:
        raise NoBillYet(bill["tracking_number"])
    svg = qris_svg(payload, f"QRIS {bill['tracking_number']}")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
