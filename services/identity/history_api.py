"""``GET /api/v1/me/history``: what staff did to my account, and who.

A thin translator around :class:`services.identity.account_history.AccountHistory`: every
change a counter operator, a mobile unit or a supervisor made to the caller's account,
newest first, each naming the staff member.
"""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.identity.deps import AccountsDep, Principal
from shared.problems import Problem

__all__ = ["history_router"]


class HistoryEntry(BaseModel):
    id: str
    at: datetime
    kind: Literal["profile_filled", "nik_proven", "nik_proof_revoked"] = Field(
        description="profile_filled: missing profile fields filled at a counter or by a "
        "mobile unit; nik_proven: the NIK proven with the KTP at a counter; "
        "nik_proof_revoked: a supervisor took a NIK proof back."
    )
    actor_kind: Literal["counter", "mobile_unit", "supervisor"]
    actor_id: str = Field(description="The staff member's username.")
    region: str | None = Field(None, description="The counter's or unit's MPP region.")
    agency: str | None = Field(None, description="The supervisor's agency.")
    fields: list[str] = Field(description="The profile fields filled (names, not values).")
    reason: str | None = Field(None, description="The supervisor's reason for a revocation.")


class History(BaseModel):
    items: list[HistoryEntry]


history_router = APIRouter(prefix="/api/v1", tags=["accounts"])


@history_router.get(
    "/me/history",
    response_model=History,
    summary="What staff did to my account, and who (counters, mobile units, supervisors)",
)
async def my_history(principal: Principal, accounts: AccountsDep) -> History:
    if not principal.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Only a citizen's own token.")
    entries = await accounts.history.of(principal.subject)
    return History(items=[HistoryEntry.model_validate(entry) for entry in entries])
