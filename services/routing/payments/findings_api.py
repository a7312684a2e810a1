"""The region's finance officer's changes to its reconciliation: importing the region's
settlement file of a day (``POST /api/v1/payments/reconciliation/imports``; only the
region's bills are reconciled) and marking a finding handled with a note
(``POST /api/v1/payments/reconciliation/findings/{id}/handled``, audited as
``payment.finding_handled``). Only the region's ``finance_officer`` may: a region
administrator reads the reconciliation
(:mod:`services.routing.payments.reconciliation_api`) but does not change it.
"""

import datetime as dt
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.routing.payments.findings import FindingAlreadyHandled, FindingNotFound
from services.routing.payments.reconciliation import Reconciler
from services.routing.payments.reconciliation_api import finance_staff, findings_of
from services.routing.payments.settlement_file import SettlementFileInvalid, read_settlement
from shared.auth import CitizenPrincipal
from shared.events import utcnow
from shared.problems import Problem

__all__ = ["findings_router"]

findings_router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


async def _finance_writer(
    principal: Annotated[CitizenPrincipal, Depends(finance_staff)],
) -> CitizenPrincipal:
    """Only the region's finance officer changes its reconciliation (a region
    administrator reads it)."""
    if "finance_officer" not in principal.roles:
        raise Problem(
            403,
            "Tidak diizinkan / Forbidden",
            "Hanya petugas keuangan wilayah yang boleh mengimpor berkas dan menandai temuan / "
            "only the region's finance officer may import files and mark findings",
        )
    return principal


class SettlementImport(BaseModel):
    csv: str = Field(description="The settlement file (docs/payments.md has its columns).")
    date: dt.date | None = Field(
        None, description="The day to reconcile; default the file's only day."
    )


@findings_router.post(
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


@findings_router.post(
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
        finding = await findings_of(request).handle(
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
