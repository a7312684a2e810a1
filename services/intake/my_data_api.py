"""Intake's part of a citizen's rights over their data (identity leads both requests,
asking with the citizen's own token, which reaches only that citizen's data): what
intake holds, for the export, and before erasure, the drafts deleted, the queue
bookings still active cancelled and the applications still open counted.
"""

from typing import Any

from fastapi import APIRouter

from services.intake.deps import (
    ApplicationsDep,
    BookingsDep,
    DraftsDep,
    LedgerDep,
    Principal,
    RuntimeDep,
)
from services.intake.queue.booking import cancel_all
from services.intake.tracking import with_applicant_opened
from shared.auth import CitizenPrincipal
from shared.privacy.export import plain_json
from shared.problems import Problem

__all__ = ["my_data_router"]

_LIMIT = 500  # records per section: a citizen's history is far smaller

my_data_router = APIRouter(prefix="/api/v1", tags=["privacy"])


def _citizen(caller: CitizenPrincipal) -> str:
    if not caller.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Only a citizen's own token.")
    return caller.subject


@my_data_router.get("/my-data", summary="What intake holds about me (for my data export)")
async def my_data(
    caller: Principal, runtime: RuntimeDep, applications: ApplicationsDep
) -> dict[str, Any]:
    citizen_id = _citizen(caller)
    db, personal = runtime.db, runtime.personal
    drafts = await db["drafts"].find({"citizen_id": citizen_id}).to_list(_LIMIT)
    files = await db["documents.files"].find({"metadata.owner": citizen_id}).to_list(_LIMIT)
    return plain_json(
        {
            "applications": [
                await with_applicant_opened(found, personal)
                for found in await applications.all_of(citizen_id, _LIMIT)
            ],
            "drafts": [
                {**draft, "data": await personal.open(draft["data"], citizen_id)}
                for draft in drafts
            ],
            "documents": [
                {
                    "sha256": f["metadata"]["sha256"],
                    "name": await personal.open(f["metadata"].get("name"), citizen_id),
                    "content_type": f["metadata"].get("content_type"),
                    "size": f["metadata"].get("size", f.get("length")),
                    "uploaded_at": f["metadata"].get("uploaded_at"),
                }
                for f in files
            ],
        }
    )


@my_data_router.post(
    "/my-data/erasure",
    summary="Before my account is erased: my drafts go, my queue bookings are cancelled, "
    "open applications counted",
)
async def erase_my_drafts(
    caller: Principal,
    drafts: DraftsDep,
    applications: ApplicationsDep,
    ledger: LedgerDep,
    bookings: BookingsDep,
) -> dict[str, int]:
    """Drafts are the citizen's alone and go at once, and the queue bookings still
    active are cancelled (their places go back); applications stay, for the agencies'
    archive retention, with personal data nobody can open once the key is destroyed."""
    citizen_id = _citizen(caller)
    await drafts.erase_all(citizen_id)
    await cancel_all(citizen_id, ledger=ledger, bookings=bookings)
    return {"open_applications": await applications.count_open(citizen_id)}
