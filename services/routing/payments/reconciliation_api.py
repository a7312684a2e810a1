"""The region's finance officer's view of a day's reconciliation, and their work on it.

``GET /api/v1/payments/reconciliation?date=`` answers the findings of the region's bills
on that settlement day, the settled totals per service, agency and day of the latest
import (``mpp payments reconcile``, or the officer's own) and the days imported for the
region. Only staff bound to the region may read it: its ``finance_officer`` or its
``region_admin``; a settled entry of a platform-wide import that names no bill belongs
to no region and is read with ``mpp payments reconcile``.

The finance officer's changes (an import, a finding handled) are
:mod:`services.routing.payments.findings_api`'s.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request

from services.routing.payments.findings import Findings
from services.routing.payments.reconciliation import Reconciler
from services.routing.payments.region_staff import forbidden, region_staff
from shared.auth import CitizenPrincipal

__all__ = ["FINANCE_READERS", "finance_staff", "findings_of", "reconciliation_router"]

reconciliation_router = APIRouter(prefix="/api/v1/payments", tags=["payments"])

FINANCE_READERS = ("finance_officer", "region_admin")


async def _finance_officer(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> CitizenPrincipal:
    """A staff token bound to a region whose role reads its reconciliation; checked
    before the query, so a caller without one learns nothing of what it may ask."""
    return await region_staff(
        request,
        authorization,
        FINANCE_READERS,
        "Hanya petugas keuangan wilayah yang boleh membaca rekonsiliasi / only a region's "
        "finance officer may read the reconciliation",
    )


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
        raise forbidden(
            f"Anda petugas wilayah {principal.region}, bukan {region} / you are staff of "
            f"region {principal.region}, not {region}"
        )
    assert principal.region is not None
    reconciler = Reconciler(request.app.state.runtime.db)
    findings = await reconciler.findings_of(day, principal.region)
    run = await reconciler.last_run(day, principal.region) or {}
    return {
        "date": day.isoformat(),
        "region": principal.region,
        "imported_at": run.get("at"),
        "imported_days": await findings_of(request).imported_days(principal.region),
        "findings": [{**finding, "id": finding.pop("_id")} for finding in findings],
        "totals": [row for row in run.get("totals", []) if row["region"] == principal.region],
    }


def findings_of(request: Request) -> Findings:
    """The finance officer's side of the findings, with routing's units of work."""
    runtime = request.app.state.runtime
    return Findings(runtime.db, request.app.state.parts.units, runtime.topics.payments)


finance_staff = _finance_officer
"""The region's finance staff, as a dependency of the routes that change its
reconciliation (:mod:`services.routing.payments.findings_api`)."""
