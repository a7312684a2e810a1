"""One application's bill on its own, for the citizen and for the counter that took a
walk-in's application: shown on the operator's screen or printed, so the citizen scans
its QRIS with their phone or pays its billing code at the bank's booth in the MPP.

Read only, on purpose: a payment reaches the platform only as the biller's or bank's
signed report to routing (docs/payments.md), so no operator — and no citizen — can call
a bill paid. A citizen reads only their own applications' bills (another's answers as
not found). A counter operator's account is checked with identity on every call
(disabled or reset: refused), and only applications taken at a counter of the
operator's own region are shown; any other id answers as not found.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.bills import BillView, qris_svg
from services.intake.callers import client_ip
from services.intake.citizen_actions import own_application
from services.intake.deps import PartsDep, Submitter
from services.intake.parts import IntakeParts
from services.intake.refusals import BillsForCitizensAndCounters, NoBillYet, NoCounterApplication
from services.intake.submitters import serving_staff
from shared.auth import CitizenPrincipal
from shared.http_cache import PRIVATE, cached_json

__all__ = ["bills_router"]

bills_router = APIRouter(prefix="/api/v1", tags=["applications"])


async def _counters(id: str, request: Request, parts: IntakeParts) -> dict[str, Any] | None:
    """Counter application ``id`` of the operator's region (None: there is none)."""
    authorization = request.headers.get("authorization", "")
    staff = await serving_staff(parts.identity, authorization, client_ip(request))
    return await parts.applications.collection.find_one(
        {"_id": id, "channel": "counter", "region": staff["region"]},
        {"bill": 1, "tracking_number": 1},
    )


async def _bill(
    id: str, request: Request, caller: CitizenPrincipal, parts: IntakeParts
) -> dict[str, Any]:
    """The bill of application ``id`` as ``caller`` may read it."""
    if caller.operator_role == "counter":
        found = await _counters(id, request, parts)
        if found is None:
            raise NoCounterApplication(id)
    elif caller.is_citizen:
        citizen = await parts.principal(request)  # signed out since: refused here
        found = await own_application(parts.applications, id, citizen.subject)
    else:
        raise BillsForCitizensAndCounters(id)
    if not found.get("bill"):
        raise NoBillYet(found["tracking_number"])
    return {**found["bill"], "tracking_number": found["tracking_number"]}


@bills_router.get(
    "/applications/{id}/bill",
    response_model=BillView,
    summary="One application's bill: to pay, or to show or print at the counter",
    description="The citizen's own application, or a counter operator's walk-in in "
    "their region. Read only: a bill is paid only by the bank's signed report.",
    responses={403: {}, 404: {}},
)
async def application_bill(
    id: str, request: Request, caller: Submitter, parts: PartsDep
) -> Response:
    bill = await _bill(id, request, caller, parts)
    shown = BillView.model_validate(bill).model_dump(mode="json")
    return cached_json(request, shown, cache_control=PRIVATE)


@bills_router.get(
    "/applications/{id}/bill/qris.svg",
    response_class=Response,
    summary="The bill's QRIS, as an image to scan with a phone",
    responses={200: {"description": "image/svg+xml"}, 403: {}, 404: {}},
)
async def application_bill_qris(
    id: str, request: Request, caller: Submitter, parts: PartsDep
) -> Response:
    bill = await _bill(id, request, caller, parts)
    payload = next((c["value"] for c in bill["channels"] if c["kind"] == "qris"), None)
    if payload is None:
        raise NoBillYet(bill["tracking_number"])
    svg = qris_svg(payload, f"QRIS {bill['tracking_number']}")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
