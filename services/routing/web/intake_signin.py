"""An officer's sign-in, handed to identity: routing keeps no password and no hash.

Identity's peer is routing, so routing names the officer's browser in a signed header
(:mod:`shared.signed_client`): identity throttles wrong passwords and counts requests per
browser, and one browser cannot lock every officer out of the workbench."""

from typing import Any

import httpx

from shared.signed_client import SIGNED_CLIENT_HEADER, sign_client
from shared.web import internal_url

__all__ = ["TOKEN_PATH", "IntakeSignIn"]

TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret


class IntakeSignIn:
    """Hands an officer's username and password to identity's token endpoint and returns
    identity's answer; routing never keeps either. ``transport`` lets a test put identity
    in the same process.

    Identity is reached at its ``MPP_INTERNAL_URLS`` entry (Compose: the identity
    container), else at its local default address — never at the request's ``Host``,
    which the caller chooses and would let anyone make routing post to an address of
    their choice."""

    def __init__(self, settings: Any) -> None:
        base = internal_url(settings, "identity")
        self.base = base
        self.secret = settings.document_link_secret
        self.transport: httpx.AsyncBaseTransport | None = None

    async def token(self, username: str, password: str, client: str | None) -> httpx.Response:
        """Identity's answer to the officer's ``username`` and ``password``, typed in the
        browser at ``client`` (its IP address; None when unknown)."""
        headers = {SIGNED_CLIENT_HEADER: sign_client(self.secret, client)} if client else {}
        async with httpx.AsyncClient(
            base_url=self.base, transport=self.transport, timeout=10
        ) as http:
            return await http.post(
                TOKEN_PATH, data={"username": username, "password": password}, headers=headers
            )
