"""The region's finance officer's view of a day's reconciliation, and their work on it.

``GET /api/v1/payments/reconciliation?date=`` answers the findings of the region's bills
on that settlement day, the settled totals per service, agency and day of the latest
import (``mpp payments reconcile``, or the officer's own) and the days imported for the
region. Only staff bound to the region may read it: its ``finance_officer`` or its
``region_admin``; a settled entry of a platform-wide import that names no bill belongs
to no region and is read with ``mpp payments reconcile``.

The region's ``finance_officer`` also imports the region's settlement file
(``POST .../reconciliation/imports``: only the region is reconciled) and marks a
finding handled with a note (``POST .../reconciliation/findings/{id}/handled``,
audited as ``payment.finding_handled``).
"""

import datetime as dt
import hashlib
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from services.routing.payments.findings import FindingAlreadyHandled, FindingNotFound, Findings
from services.routing.payments.reconciliation import Reconciler
from services.routing.payments.settlement_file import SettlementFileInvalid, read_settlement
from shared.auth import CitizenPrincipal
from shared.events import utcnow
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


async def _finance_writer(
    principal: Annotated[CitizenPrincipal, Depends(_finance_officer)],
) -> CitizenPrincipal:
    """Only the region's finance officer changes its reconciliation (a region
    administrator reads it)."""
    if "finance_officer" not in principal.roles:
        raise _forbidden(
            "Hanya petugas keuangan wilayah yang boleh mengimpor berkas dan menandai temuan / "
            "only the region's finance officer may import files and mark findings"
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
    assert principal.region is not None
    reconciler = Reconciler(request.app.state.runtime.db)
    findings = await reconciler.findings_of(day, principal.region)
    run = await reconciler.last_run(day, principal.region) or {}
    return {
        "date": day.isoformat(),
        "region": principal.region,
        "imported_at": run.get("at"),
        "imported_days": await _findings(request).imported_days(principal.region),
        "findings": [{**finding, "id": finding.pop("_id")} for finding in findings],
        "totals": [row for row in run.get("totals", []) if row["region"] == principal.region],
    }


class SettlementImport(BaseModel):
    csv: str = Field(description="The settlement file (docs/payments.md has its columns).")
    date: dt.date | None = Field(
        None, description="The day to reconcile; default the file's only day."
    )


@reconciliation_router.post(
    "/reconciliation/imports", summary="Import the region's settlement file of a day"
)
async def import_settlement(
    request: Request,
    principal: Annotated[CitizenPrincipal, Depends(_finance_writer)],
    body: SettlementImport,
) -> dict[str, Any]:
    """Match the file's entries to the region's bills; the day's findings are then read
    with ``GET /reconciliation``. A file that does not read is refused whole (422)."""
    try:
        entries = read_settlement(body.csv)
    except SettlementFileInvalid as error:
        raise Problem(422, "Berkas ditolak / File refused", str(error)) from None
    days = sorted({entry.settlement_date for entry in entries})
    if body.date is None and len(days) != 1:
        raise Problem(
            422,
            "Pilih tanggal / Choose the day",
            f"Berkas memuat {len(days)} hari penyelesaian; pilih satu / the file holds "
            f"{len(days)} settlement days; choose one",
        )
    day = body.date or days[0]
    reconciler = Reconciler(request.app.state.runtime.db)
    digest = hashlib.sha256(body.csv.encode()).hexdigest()
    run = await reconciler.reconcile(day, entries, utcnow(), digest, region=principal.region)
    return {
        "date": day.isoformat(),
        "entries": run.entries,
        "matched": run.matched,
        "findings": len(run.findings),
    }


class Handling(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="What was done about it.")


@reconciliation_router.post(
    "/reconciliation/findings/{finding_id}/handled", summary="Mark a finding handled"
)
async def mark_handled(
    request: Request,
    finding_id: str,
    principal: Annotated[CitizenPrincipal, Depends(_finance_writer)],
    body: Handling,
) -> dict[str, Any]:
    assert principal.region is not None
    try:
        finding = await _findings(request).handle(
            finding_id, principal.region, principal.subject, body.note.strip(), utcnow()
        )
    except FindingNotFound:
        raise Problem(
            404,
            "Temuan tidak ada / No such finding",
            "Tidak ada temuan ini di wilayah Anda; muat ulang halamannya / this finding is "
            "not among your region's; reload the page",
        ) from None
    except FindingAlreadyHandled:
        raise Problem(
            409,
            "Sudah ditangani / Already handled",
            "Temuan ini sudah ditandai ditangani; catatannya tetap / this finding was marked "
            "handled already; its note stands",
        ) from None
    return {**finding, "id": finding.pop("_id")}


def _findings(request: Request) -> Findings:
    runtime = request.app.state.runtime
    return Findings(runtime.db, request.app.state.parts.units, runtime.topics.payments)
