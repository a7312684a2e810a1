"""The provider: Authlib's authorization server wired to the stores it answers from.

:class:`Provider` is what the routes call. It owns no collection; it holds the stores
that do (keys, clients, codes, refresh grants) and the identity stores it reads
(accounts and staff, sessions), and it answers Authlib's questions: which client is
this, who is this person now, what token to issue.
"""

import logging
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from pymongo.asynchronous.database import AsyncDatabase

from services.identity.accounts import AccountStore
from services.identity.oidc.bridge import current_call, respond, wait_for
from services.identity.oidc.clients import Client, ClientRegistry
from services.identity.oidc.codes import AuthorizationCodes, IssuedCode
from services.identity.oidc.grants import (
    CodeGrant,
    OpenIDCodeToken,
    RefreshGrant,
    S256Only,
    ServiceGrant,
)
from services.identity.oidc.keys import SigningKeys
from services.identity.oidc.people import Person, person_of
from services.identity.oidc.refresh import RefreshGrant as RefreshRecord
from services.identity.oidc.refresh import RefreshGrants
from services.identity.oidc.tokens import sign_access_token
from services.identity.sessions import SessionRefused, Sessions
from shared.settings import Settings
from shared.unit_of_work import UnitsOfWork

__all__ = ["Provider"]

# Authlib logs every issued token (and the client it went to) at DEBUG: bearer secrets
# never reach the logs, whatever level the service runs at.
logging.getLogger("authlib").setLevel(logging.INFO)


class Provider(AuthorizationServer):
    """Authorization code with PKCE, refresh rotation, client credentials; OpenID
    Connect ID tokens. Built once per process (:func:`services.identity.oidc.mount_oidc`)."""

    def __init__(
        self,
        *,
        db: AsyncDatabase,
        units: UnitsOfWork,
        settings: Settings,
        accounts: AccountStore,
        sessions: Sessions,
    ) -> None:
        super().__init__(scopes_supported=None)
        self.settings = settings
        self.accounts = accounts
        self.sessions = sessions
        self.keys = SigningKeys(db, units, settings)
        self.clients = ClientRegistry(db, settings)
        self.codes = AuthorizationCodes(db, settings.oidc_code_seconds)
        self.refresh = RefreshGrants(db, settings.auth_refresh_token_days)
        self.register_token_generator("default", self._issue)
        self.register_grant(CodeGrant, [S256Only(required=True), OpenIDCodeToken()])
        self.register_grant(RefreshGrant)
        self.register_grant(ServiceGrant)

    async def prepare(self) -> None:
        """Indexes, the first keys, the platform's own clients (at start-up)."""
        await self.keys.prepare()
        await self.clients.seed()
        await self.codes.create_indexes()
        await self.refresh.create_indexes()

    # --- Authlib's questions (asked on its worker thread) --------------------------

    def query_client(self, client_id: str) -> Client | None:
        return wait_for(self.clients.find(client_id))

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Nothing to save: access tokens are signed, refresh tokens saved as issued."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No listeners."""

    def handle_response(self, status: int, body: Any, headers: Any) -> Any:
        return respond(status, body, headers)

    def create_oauth2_request(self, request: Any) -> Any:
        return request  # the routes hand over a StarletteRequest already

    def _issue(
        self,
        grant_type: str,
        client: Client,
        user: Person | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """The token response: an access token, and a refresh token for a citizen
        signing in through a client allowed to refresh."""
        call = current_call()
        scope = scope or ""
        if user is None:  # client credentials: the client acts for itself
            claims: dict[str, Any] = {"roles": list(client.roles)}
            if client.agency:
                claims["agency"] = client.agency
            subject = client.client_id
        else:
            claims, subject = user.token_claims(), user.subject
        access, lifetime = sign_access_token(
            call.ring, self.settings, subject, claims, client_id=client.client_id, scope=scope
        )
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": lifetime,
            "scope": scope,
        }
        if include_refresh_token and user is not None and user.citizen:
            refresh, call.family_id = wait_for(
                self._start_family(client, user, scope, call.device_name)
            )
            token["refresh_token"] = refresh
        return token

    # --- what the grants ask of the stores (on the loop) ---------------------------

    async def person(self, subject: str, auth_time: int | None = None) -> Person | None:
        return await person_of(self.accounts, subject, auth_time)

    async def _start_family(
        self, client: Client, user: Person, scope: str, device: str | None
    ) -> tuple[str, str | None]:
        """A new refresh family (one device), bound to the client, named after the
        browser the person signed in on."""
        token, family = await self.sessions.open(user.subject, device or client.name)
        record = RefreshRecord(token, client.client_id, scope, user.subject, user.auth_time, family)
        await self.refresh.remember(token, record)
        return token, family

    async def rotate(self, grant: RefreshRecord) -> tuple[Person, str]:
        """Spend the refresh token for the next of its family; a spent one presented
        again revokes the family (Sessions.rotate). Raises invalid_grant."""
        try:
            account_id, rotated = await self.sessions.rotate(grant.token)
        except SessionRefused:
            raise InvalidGrantError("The refresh token is spent, expired or revoked.") from None
        person = await self.person(account_id, grant.auth_time)
        if person is None:
            raise InvalidGrantError("The account can no longer sign in.")
        record = RefreshRecord(
            rotated, grant.client_id, grant.scope, account_id, grant.auth_time, grant.family_id
        )
        await self.refresh.remember(rotated, record)
        return person, rotated

    async def revoke_what_code_gave(self, code: IssuedCode) -> None:
        """A spent code presented again: the refresh family it started is revoked."""
        again = await self.codes.find_by_digest(code.digest)
        family = again.family_id if again else code.family_id
        if family is not None:
            await self.sessions.revoke_device(code.subject, family)
