"""Which citizen is calling: the one place audit checks a citizen's access token.

Tokens are signed by intake and verified here with the public key alone
(:mod:`shared.auth`); only a token with the ``citizen`` role may read an access log,
and only its own.
"""

from fastapi import Request

from shared.auth import CitizenPrincipal, TokenVerifier
from shared.problems import Problem
from shared.settings import Settings

__all__ = ["CitizenOnly"]


class CitizenOnly:
    """FastAPI dependency returning the verified citizen's id (401/403 otherwise)."""

    def __init__(self, settings: Settings) -> None:
        self._verify = TokenVerifier(settings)

    async def __call__(self, request: Request) -> str:
        principal: CitizenPrincipal = await self._verify(request)
        if not principal.is_citizen:
            raise Problem(
                403,
                "Khusus warga / Citizens only",
                "Only a citizen's own token can read their access log.",
            )
        return principal.subject
