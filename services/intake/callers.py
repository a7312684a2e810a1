"""Who is calling intake, read from the request: part of the routes' side.

:func:`citizen_principal` makes the dependency every citizen's route takes (a verified
token, not signed out since, within the account's rate limit); :func:`kiosk_judge` judges
the citizen a kiosk serves by the token it sends in ``X-Citizen-Token``, exactly as if
that citizen had called — and says which header was refused.
"""

from collections.abc import Awaitable, Callable

from fastapi import Request

from services.intake.identity_client import SignOuts
from services.intake.refusals import TooManyRequests, Unavailable, problem_for
from services.intake.submitters import CITIZEN_TOKEN_HEADER, CitizenJudge
from shared.auth import CitizenPrincipal, TokenVerifier
from shared.errors import Rejected
from shared.limits import RateLimiter
from shared.problems import Problem
from shared.settings import Settings

__all__ = ["Caller", "citizen_principal", "client_ip", "kiosk_judge"]

Caller = Callable[[Request], Awaitable[CitizenPrincipal]]
"""A route's dependency on its verified caller."""


def client_ip(request: Request) -> str | None:
    """The caller's address, as the per-IP rate limit sees it."""
    return request.client.host if request.client else None


def citizen_principal(settings: Settings, sign_outs: SignOuts | None) -> Caller:
    """The dependency every citizen's route takes: the verified caller, within their
    account's rate limit, not signed out since (``sign_outs`` None: the route asks
    identity anyway, whose answer refuses a signed-out token itself)."""
    verifier = TokenVerifier(settings)
    per_account = RateLimiter(settings.intake_rate_per_account)

    async def principal(request: Request) -> CitizenPrincipal:
        """The verified caller, within their account's rate limit, not signed out since."""
        verified = await verifier(request)
        if sign_outs is not None:
            authorization = request.headers.get("authorization", "")
            await sign_outs.refuse_signed_out(
                verified, request.method, authorization, client_ip(request)
            )
        retry = per_account.check(verified.subject)
        if retry is not None:
            raise TooManyRequests(retry)
        return verified

    return principal


def kiosk_judge(principal: Caller, request: Request) -> CitizenJudge:
    """Judges a kiosk's citizen's token with intake's own ``principal`` dependency, as
    if the citizen had sent ``request``: signature and expiry, not signed out
    everywhere since, within the account's rate limit."""

    async def judge(token: str) -> CitizenPrincipal:
        as_citizen = Request(
            {
                "type": "http",
                "method": request.method,
                "path": request.url.path,
                "query_string": b"",
                "headers": [(b"authorization", f"Bearer {token}".encode())],
                "client": request.scope.get("client"),
            }
        )
        try:
            return await principal(as_citizen)
        except (Rejected, Unavailable) as refusal:
            problem = problem_for(refusal)
        except Problem as refused:
            problem = refused
        problem.detail = f"{CITIZEN_TOKEN_HEADER}: {problem.detail}"
        raise problem

    return judge
