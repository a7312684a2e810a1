"""Who may touch a region's money: a staff token bound to a region, of the roles a route
names (a refund: the region's finance officer only).
Checked before anything is read, so a caller without such a token learns nothing of what
it asked about.
"""

from fastapi import Request

from shared.auth import CitizenPrincipal
from shared.problems import Problem

__all__ = ["forbidden", "region_staff"]


async def region_staff(
    request: Request, authorization: str | None, roles: tuple[str, ...], detail: str
) -> CitizenPrincipal:
    """The signed-in staff member bound to a region with one of ``roles``: 401 without a
    bearer token, 403 (with ``detail``) for any other role or a token of no region."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "Perlu masuk / Sign-in required",
            "Kirim token petugas keuangan wilayah / send the region's finance officer's token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await request.app.state.parts.staff.signed_in(token)
    if principal.region is None or not any(role in principal.roles for role in roles):
        raise forbidden(detail)
    return principal


def forbidden(detail: str) -> Problem:
    return Problem(403, "Tidak diizinkan / Forbidden", detail)
