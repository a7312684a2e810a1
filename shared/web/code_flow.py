"""Signing a person in at the platform's OpenID Connect provider, from a service's pages.

A service's pages (the workbench, the portal) are a relying party of identity's provider
(docs/oidc.md): the authorization code flow with PKCE (RFC 7636, S256). The browser is
sent to the provider's sign-in page; the person types their password there and only
there; the provider sends the browser back to the area's callback with a one-time code;
the service exchanges the code, with the PKCE verifier only it holds, at the provider's
token endpoint, server to server. No service ever sees a password.

The state, the verifier and the nonce wait in a short-lived HttpOnly cookie scoped to
the callback's path, so a callback that did not start in this browser is refused. The
ID token comes straight from the token endpoint over the service's own connection, so
its issuer is the provider by that connection (OpenID Connect Core 3.1.3.7); its
audience and nonce are checked here, and the access token is verified by the service's
own :class:`shared.auth.TokenVerifier` whenever it is used.
"""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from shared.settings import Settings
from shared.web import internal_url, language, service_url

__all__ = ["CodeFlow", "CodeFlowFailed", "SignedIn"]

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
AUTHORIZE_PATH = "/oauth/authorize"
_WAIT_SECONDS = 600  # how long a sign-in may take on the provider's page


class CodeFlowFailed(Exception):
    """The sign-in did not finish; ``reason`` is what the page tells the person:
    ``access_denied`` (they cancelled), ``expired`` (the wait cookie is gone or does not
    match: start again), ``refused`` (the provider refused the code), ``unavailable``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    """What the provider gave: the access token (for the service's own API), its life in
    seconds, the ID token's claims, and where the person was going."""

    access_token: str
    expires_in: int
    claims: dict[str, Any]
    after: str
    refresh_token: str | None = None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(id_token: str) -> dict[str, Any]:
    """The ID token's payload (see the module's note on why its signature is not
    re-checked here)."""
    try:
        payload = id_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise CodeFlowFailed("refused") from exc


@dataclass
class CodeFlow:
    """One area's sign-in at the provider: the client it is registered as, the area
    (``/workbench``: the callback is ``/workbench/oidc/callback``) and the service whose
    pages serve it. ``transport`` lets a test put identity in the same process."""

    client_id: str
    area: str
    service: str
    settings: Settings
    scope: str = "openid profile"
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)

    @property
    def callback_path(self) -> str:
        return f"{self.area}/oidc/callback"

    @property
    def redirect_uri(self) -> str:
        """Exactly as the client is registered (docs/oidc.md, the platform's clients)."""
        return f"{service_url(self.settings, self.service)}{self.callback_path}"

    @property
    def cookie(self) -> str:
        return f"mpp_oidc_{self.client_id}"

    def _after(self, wanted: str | None) -> str:
        """Where to go once signed in: a page of this area only, never another site."""
        if wanted and wanted.startswith(f"{self.area}/") and not wanted.startswith("//"):
            return wanted
        return f"{self.area}/"

    def begin(
        self, request: Request, after: str | None = None, prompt: str | None = None
    ) -> Response:
        """To the provider's sign-in page, the state, verifier and nonce kept for the
        callback; ``prompt="create"`` asks for its registration page instead (OpenID
        Connect "Initiating User Registration")."""
        state, verifier, nonce = (secrets.token_urlsafe(n) for n in (24, 48, 24))
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
                "code_challenge_method": "S256",
                "lang": language(request),  # the provider's page in the person's language
                **({"prompt": prompt} if prompt else {}),
            }
        )
        target = f"{service_url(self.settings, 'identity')}{AUTHORIZE_PATH}?{query}"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            self.cookie,
            ".".join((state, verifier, nonce, self._after(after))),
            max_age=_WAIT_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path=self.callback_path,
        )
        return response

    def forget(self, response: Response) -> Response:
        """The wait cookie deleted (call on every answer of the callback)."""
        response.delete_cookie(self.cookie, path=self.callback_path)
        return response

    async def finish(self, request: Request) -> SignedIn:
        """The callback: the state checked, the code exchanged with the verifier, the ID
        token's audience and nonce checked. Raises :class:`CodeFlowFailed`."""
        params = request.query_params
        if params.get("error"):
            raise CodeFlowFailed(
                "access_denied" if params["error"] == "access_denied" else "refused"
            )
        waiting = (request.cookies.get(self.cookie) or "").split(".", 3)
        if len(waiting) != 4 or not hmac.compare_digest(waiting[0], params.get("state", "")):
            raise CodeFlowFailed("expired")
        _, verifier, nonce, after = waiting
        code = params.get("code")
        if not code:
            raise CodeFlowFailed("refused")
        body = await self._exchange(code, verifier)
        claims = _claims(str(body.get("id_token", "")))
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.client_id not in audiences or not hmac.compare_digest(
            str(claims.get("nonce", "")), nonce
        ):
            raise CodeFlowFailed("refused")
        return SignedIn(
            access_token=str(body["access_token"]),
            expires_in=int(body.get("expires_in", 3600)),
            claims=claims,
            after=self._after(after),
            refresh_token=body.get("refresh_token"),
        )

    async def _exchange(self, code: str, verifier: str) -> dict[str, Any]:
        """The code and the verifier at the provider's token endpoint, server to server
        (``MPP_INTERNAL_URLS``' identity, never the request's host)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        try:
            async with httpx.AsyncClient(
                base_url=internal_url(self.settings, "identity"),
                transport=self.transport,
                timeout=10,
            ) as http:
                answer = await http.post(TOKEN_PATH, data=form)
        except httpx.HTTPError as exc:
            raise CodeFlowFailed("unavailable") from exc
        if answer.status_code >= 500:
            raise CodeFlowFailed("unavailable")
        if answer.status_code != 200:
            raise CodeFlowFailed("refused")
        return answer.json()
