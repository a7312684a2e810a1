"""Agency staff on the agency API: an officer's or supervisor's own access token.

Staff accounts live in identity (``services/identity/staff.py``); an officer signs in there
and gets an access token with the ``officer`` or ``supervisor`` role and an ``agency``
claim. Routing verifies it with identity's public key, as every service verifies tokens,
and never sees a password hash. The ``agency`` claim decides the agency exactly as an
API key's agency does, and records name the person: ``<agency>/<username>``.

A token is good until it expires, but a disabled officer must be stopped at once, and a
password reset must end the sessions opened with the old one. Identity announces each
disable and reset as a ``staff.access_revoked`` event on the staff topic (the staff API
and ``mpp staff`` alike); routing's handler
(:func:`services.routing.handlers.on_staff_access_revoked`) writes the moment into
routing's own ``staff_revocations`` collection through :meth:`StaffRevocations.record`,
its one writer (services never read each other's databases) — as ``mpp staff`` does
too, at once. Every request checks it: a token issued before it is refused.
"""

from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import CitizenPrincipal, InvalidToken, TokenVerifier
from shared.problems import Problem
from shared.settings import Settings
from shared.staff_revocations import StaffRevocations

__all__ = ["AgencyStaff", "StaffRevocations"]


class AgencyStaff:
    """Checks an agency staff member's token: the issuer's signature, an ``officer`` or
    ``supervisor`` role with its agency, and no revocation since it was issued."""

    def __init__(self, settings: Settings, db: AsyncDatabase) -> None:
        self.tokens = TokenVerifier(settings)
        self.revocations = StaffRevocations(db)

    async def member(self, token: str) -> CitizenPrincipal:
        """The verified officer or supervisor; a problem (401 or 403) otherwise."""
        principal = await self.signed_in(token)
        if principal.agency_role is None:
            raise Problem(
                403,
                "Khusus petugas instansi / Agency staff only",
                "Token ini bukan milik petugas instansi / This token is not an agency "
                "officer's or supervisor's.",
            )
        return principal

    async def signed_in(self, token: str) -> CitizenPrincipal:
        """A staff member's verified token, of any role, not revoked since it was
        issued; a problem (401) otherwise. The caller checks the role."""
        try:
            principal = await self.tokens.verify_async(token)
        except InvalidToken as exc:
            raise _unauthorized(
                "Kirim kunci API instansi atau token petugas / send an agency API key or an "
                f"officer's access token: {exc}"
            ) from None
        if not await self.revocations.allows(principal):
            raise _unauthorized(
                "Akun petugas ini dinonaktifkan atau kata sandinya diganti; masuk lagi / "
                "this staff account was disabled or its password was reset; sign in again"
            )
        return principal


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "Kredensial tidak valid / Invalid credentials",
        detail,
        headers={"WWW-Authenticate": "Bearer"},
    )
