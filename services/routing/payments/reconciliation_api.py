"""The region's finance officer's view of a day's reconciliation.

``GET /api/v1/payments/reconciliation?date=`` answers the findings of the region's bills
on that settlement day and the settled totals per service, agency and day of the latest
import (``mpp payments reconcile``). Only staff bound to the region may read it: its
``finance_officer`` or its ``region_admin``; a settled entry that names no bill belongs
to no region and is read with ``mpp payments reconcile``.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request

from services.routing.payments.reconciliation import Reconciler
from shared.auth import CitizenPrincipal
from shared.problems import Problem

__all__ = ["reconciliation_router"]

reconciliation_router = APIRouter(prefix="/api/v1/payments", tags=["payments"])

FINANCE_READERS = ("finance_officer", "region_admin")


async def _finance_officer(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> CitizenPrincipal:
    """A staff token bound to a region whose role reads its reconciliation; checked
    before the query, so a caller without one learns nothing of what it may ask."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "Perlu masuk / Sign-in required",
            "Kirim token petugas keuangan wilayah / send the region's finance officer's token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await request.app.state.parts.staff.signed_in(token)
    if principal.region is None or not any(r in principal.roles for r in FINANCE_READERS):
        raise _forbidden(
            "Hanya petugas keuangan wilayah yang boleh membaca rekonsiliasi / only a region's "
            "finance officer may read the reconciliation"
        )
    return principal


def _forbidden(detail: str) -> Problem:
    return Problem(403, "Tidak diizinkan / Forbidden", detail)


@reconciliation_router.get(
    "/reconciliation", summary="A settlement day's findings and totals, for a region"
)
async def reconciliation(
    request: Request,
    principal: Annotated[CitizenPrincipal, Depends(_finance_officer)],
    day: Annotated[date, Query(alias="date", description="The settlement day, YYYY-MM-DD.")],
    region: Annotated[str | None, Query(description="Default: the caller's region.")] = None,
) -> dict[str, Any]:
    if region is not None and region != principal.region:
        raise _forbidden(
            f"Anda petugas wilayah {principal.region}, bukan {region} / you are staff of "
            f"region {principal.region}, not {region}"
        )
    reconciler = Reconciler(request.app.state.runtime.db)
    findings = await reconciler.findings_of(day, principal.region)
    run = await reconciler.last_run(day) or {}
    return {
        "date": day.isoformat(),
        "region": principal.region,
        "imported_at": run.get("at"),
        "findings": [{**finding, "id": finding.pop("_id")} for finding in findings],
        "totals": [row for row in run.get("totals", []) if row["region"] == principal.region],
    }
