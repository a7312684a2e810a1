"""An officer's sign-in, handed to intake: routing keeps no password and no hash.

Intake's peer is routing, so routing names the officer's browser in a signed header
(:mod:`shared.signed_client`): intake throttles wrong passwords and counts requests per
browser, and one browser cannot lock every officer out of the workbench."""

from typing import Any

import httpx

from shared.signed_client import SIGNED_CLIENT_HEADER, sign_client
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
        self.secret = settings.document_link_secret
        self.transport: httpx.AsyncBaseTransport | None = None

    async def token(self, username: str, password: str, client: str | None) -> httpx.Response:
        """Intake's answer to the officer's ``username`` and ``password``, typed in the
        browser at ``client`` (its IP address; None when unknown)."""
        headers = {SIGNED_CLIENT_HEADER: sign_client(self.secret, client)} if client else {}
        async with httpx.AsyncClient(
            base_url=self.base, transport=self.transport, timeout=10
        ) as http:
            return await http.post(
                TOKEN_PATH, data={"username": username, "password": password}, headers=headers
            )
