"""Operators who submit for a citizen in person: who they are, and whom they serve.

A counter operator, a kiosk and a mobile unit each act under a staff account, which
identity holds: :func:`serving_staff` asks identity with the operator's own token
(refused once the account is disabled or its password reset). A kiosk serves the
citizen signed in at it, whose token it sends in ``X-Citizen-Token``
(:func:`kiosk_citizen`); a counter names the citizen by the NIK on the KTP in hand, and
identity answers with that citizen's account (:mod:`services.intake.submitters`).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from services.intake.identity_client import IdentityClient
from services.intake.refusals import (
    CITIZEN_TOKEN_HEADER,
    KioskCitizenMissing,
    NotACitizensToken,
    StaffAccountNotValid,
)
from shared.auth import CitizenPrincipal

__all__ = ["CITIZEN_TOKEN_HEADER", "CitizenJudge", "kiosk_citizen", "serving_staff"]

CitizenJudge = Callable[[str], Awaitable[CitizenPrincipal]]
"""Judges a citizen's access token exactly as if the citizen had called intake:
signature and expiry, not signed out everywhere since, within the account's rate
limit (the composition root makes it from the routes' own dependency)."""


async def serving_staff(
    identity: IdentityClient, authorization: str, client: str | None, bound_to: str = "region"
) -> dict[str, Any]:
    """The staff account behind ``authorization``, while it may act — bound to a
    region (counters, kiosks, mobile units); refused for a disabled account or a token
    older than the last password reset."""
    found = await identity.staff(authorization, client)
    if found.get(bound_to) is None:
        raise StaffAccountNotValid(found.get("_id"))
    return found


async def kiosk_citizen(token: str | None, judge: CitizenJudge) -> CitizenPrincipal:
    """The citizen signed in at a kiosk, from the token it sent in ``X-Citizen-Token``."""
    if not token:
        raise KioskCitizenMissing()
    citizen = await judge(token)
    if not citizen.is_citizen:
        raise NotACitizensToken()
    return citizen
