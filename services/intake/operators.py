"""Operators who submit for a citizen in person: who they are, and whom they serve.

A counter operator, a kiosk and a mobile unit each act under a staff account, which
identity holds: :func:`serving_staff` asks identity with the operator's own token
(401 once the account is disabled or its password reset). A kiosk serves the citizen
signed in at it, whose token it sends in ``X-Citizen-Token``
(:func:`kiosk_citizen`); a counter names the citizen by the NIK on the KTP in hand, and
identity answers with that citizen's account (:mod:`services.intake.submitters`).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

from services.intake.identity_client import IdentityClient
from shared.auth import CitizenPrincipal
from shared.problems import Problem

__all__ = ["CITIZEN_TOKEN_HEADER", "client_ip", "kiosk_citizen", "serving_staff"]

CITIZEN_TOKEN_HEADER = "X-Citizen-Token"  # noqa: S105 - a header name, not a secret
"""The header a kiosk sends the signed-in citizen's access token in."""


def client_ip(request: Request) -> str | None:
    """The caller's address, as the per-IP rate limit sees it."""
    return request.client.host if request.client else None


async def serving_staff(
    identity: IdentityClient, request: Request, bound_to: str = "region"
) -> dict[str, Any]:
    """The staff account behind the request's token, while it may act — bound to a
    region (counters, kiosks, mobile units); 401 for a disabled account or a token older
    than the last password reset."""
    found = await identity.staff(request.headers.get("authorization", ""), client_ip(request))
    if found.get(bound_to) is None:
        raise Problem(
            401,
            "Akun petugas tidak berlaku / Staff account not valid",
            "Akun ini dinonaktifkan atau kata sandinya diganti; masuk lagi / This account "
            "was disabled or its password was reset; sign in again.",
            headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
        )
    return found


async def kiosk_citizen(
    request: Request, principal: Callable[[Request], Awaitable[CitizenPrincipal]]
) -> CitizenPrincipal:
    """The citizen signed in at a kiosk, from the token in ``X-Citizen-Token``.

    The token is judged by intake's own ``principal`` dependency, exactly as if the
    citizen had called: signature and expiry, not signed out everywhere since, within
    the account's rate limit."""
    token = request.headers.get(CITIZEN_TOKEN_HEADER)
    if not token:
        raise Problem(
            422,
            "Warga belum masuk di kios / Citizen not signed in at the kiosk",
            f"Warga masuk di kios dengan akunnya sendiri; kirim tokennya di {CITIZEN_TOKEN_HEADER}"
            f" / The citizen signs in at the kiosk with their own account; send their access "
            f"token in {CITIZEN_TOKEN_HEADER} (a NIK alone proves nothing).",
            errors=[{"field": CITIZEN_TOKEN_HEADER, "message": "required for kiosks"}],
        )
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
        citizen = await principal(as_citizen)
    except Problem as problem:
        problem.detail = f"{CITIZEN_TOKEN_HEADER}: {problem.detail}"
        raise
    if not citizen.is_citizen:
        raise Problem(
            403,
            "Bukan akun warga / Not a citizen's account",
            f"{CITIZEN_TOKEN_HEADER} must carry a citizen's token.",
        )
    return citizen
