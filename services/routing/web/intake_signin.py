"""An officer's sign-in, handed to intake: routing keeps no password and no hash."""

from typing import Any

import httpx

from shared.web import service_url

__all__ = ["TOKEN_PATH", "IntakeSignIn"]

TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret


class IntakeSignIn:
    """Hands an officer's username and password to intake's token endpoint and returns
    intake's answer; routing never keeps either. ``transport`` lets a test put intake in
    the same process.

    Intake is reached at ``MPP_INTAKE_INTERNAL_URL`` (Compose: the intake container), else
    at ``service_url(settings, "intake")`` when that is an absolute URL, else at its local
    default address — never at
    the request's ``Host``, which the caller chooses and would let anyone make routing
    post to an address of their choice."""

    def __init__(self, settings: Any) -> None:
        base = settings.intake_internal_url or service_url(settings, "intake")
        if not base.startswith(("http://", "https://")):
            base = service_url(settings.model_copy(update={"web_urls": {}}), "intake")
        self.base = base
        self.transport: httpx.AsyncBaseTransport | None = None

    async def token(self, username: str, password: str) -> httpx.Response:
        async with httpx.AsyncClient(
            base_url=self.base, transport=self.transport, timeout=10
        ) as client:
            return await client.post(TOKEN_PATH, data={"username": username, "password": password})
