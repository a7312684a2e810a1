"""Proving one's own NIK over HTTP: ``POST /api/v1/me/nik-verification``.

A thin translator around :class:`services.identity.nik_ownership.NikOwnership`: the
account's NIK and birth date (from the NIK) with the name as on the KTP — the profile's,
or the one sent — are checked with Dukcapil. Counters prove a NIK through
:mod:`services.identity.counter_api`.
"""

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from services.identity.accounts_api import Profile, profile_view
from services.identity.deps import OwnershipDep, Principal
from shared.privacy.plain_input import PlainInput
from shared.problems import Problem

__all__ = ["NikCheck", "nik_router"]


class NikCheck(PlainInput):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The name exactly as on the KTP, when the profile's differs; on a match "
        "it becomes the profile's name.",
    )


nik_router = APIRouter(prefix="/api/v1", tags=["accounts"])


@nik_router.post(
    "/me/nik-verification",
    response_model=Profile,
    summary="Prove my NIK with Dukcapil (name and birth date as on the KTP)",
    responses={409: {}, 422: {}, 429: {}, 503: {}},
)
async def prove_my_nik(
    principal: Principal, ownership: OwnershipDep, body: NikCheck | None = None
) -> Profile:
    """Dukcapil answers only match or no match; nothing is read from the register.
    A match makes this account the NIK's owner and freezes any other account that
    registered the same NIK. A few tries per day (429 after them); 503 with
    ``Retry-After`` when Dukcapil cannot be reached."""
    if not principal.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Staff accounts have no NIK.")
    proven = await ownership.prove_with_dukcapil(principal.subject, body and body.name)
    return profile_view(proven.account)
