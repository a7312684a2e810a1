"""The grants the provider speaks, as Authlib's grant classes with the provider's stores.

- :class:`CodeGrant`: the authorization code, exchanged once by the client it was
  issued to, at the redirect URI it was sent to, with the PKCE verifier
  (:class:`S256Only`: ``plain`` and a missing challenge are refused). A second
  exchange revokes the refresh family the first one started.
- :class:`OpenIDCodeToken`: the ID token beside it when ``openid`` was asked for; its
  ``sid`` names the device (refresh family) the exchange started, so a client can
  sign that device out later.
- :class:`RefreshGrant`: rotation and reuse detection are
  :meth:`services.identity.sessions.Sessions.rotate`'s; the refresh token must come from
  the client it was issued to.
- :class:`ServiceGrant`: ``client_credentials`` for confidential clients.

Each calls the provider's asynchronous stores through :func:`bridge.wait_for` (they run
on Authlib's worker thread; see :mod:`services.identity.oidc.bridge`).
"""

from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import grants, scope_to_list
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo

from services.identity.oidc.bridge import current_call, wait_for
from services.identity.oidc.codes import IssuedCode
from services.identity.oidc.devices import device_label
from services.identity.oidc.keys import ALGORITHM
from services.identity.oidc.people import Person
from services.identity.oidc.tokens import id_token_claims, sign

if TYPE_CHECKING:
    from services.identity.oidc.server import Provider

__all__ = ["CodeGrant", "OpenIDCodeToken", "RefreshGrant", "S256Only", "ServiceGrant"]


class S256Only(CodeChallenge):
    """PKCE with SHA-256 only, and required: a public client that sends no challenge,
    or asks for ``plain``, is refused at the authorization endpoint."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE (S256) is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': use S256.")
        super().validate_code_challenge(grant, redirect_uri)


def _provider(grant: Any) -> "Provider":
    return grant.server


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "none"]
    AUTHORIZATION_CODE_LENGTH = 43  # 256 bits of base-62

    def save_authorization_code(self, code: str, request: Any) -> None:
        person: Person = request.user
        data = request.payload.data
        fields = {
            "client_id": request.client.client_id,
            "redirect_uri": request.payload.redirect_uri,
            "scope": request.scope or "",
            "subject": person.subject,
            "kind": person.kind,
            "auth_time": person.auth_time,
            "nonce": data.get("nonce"),
            "code_challenge": data.get("code_challenge"),
            "code_challenge_method": data.get("code_challenge_method"),
            "device_name": device_label(
                request.client.client_id, request.client.name, request.headers.get("user-agent")
            ),
        }
        wait_for(_provider(self).codes.save(code, fields))

    def query_authorization_code(self, code: str, client: Any) -> IssuedCode | None:
        provider = _provider(self)
        found = wait_for(provider.codes.find(code))
        if found is None or found.client_id != client.client_id:
            return None
        if found.used_at is not None:
            wait_for(provider.revoke_what_code_gave(found))
            return None
        return found

    def create_token_response(self) -> tuple[int, Any, Any]:
        found: IssuedCode = self.request.authorization_code
        provider = _provider(self)
        if not wait_for(provider.codes.claim(found.digest)):
            wait_for(provider.revoke_what_code_gave(found))
            raise InvalidGrantError("The code was used already.")
        current_call().device_name = found.device_name
        return super().create_token_response()

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        family = current_call().family_id
        wait_for(_provider(self).codes.gave(authorization_code.digest, family))

    def authenticate_user(self, authorization_code: IssuedCode) -> Person | None:
        return wait_for(
            _provider(self).person(authorization_code.subject, authorization_code.auth_time)
        )


class OpenIDCodeToken(OpenIDCode):
    """The ID token, signed with the key of the request's ring (the one its access
    token names)."""

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        provider: Provider = request.provider
        return wait_for(provider.codes.nonce_seen(request.payload.client_id, nonce))

    def get_client_algorithm(self, client: Any) -> str:
        return ALGORITHM

    def generate_user_info(self, user: Person, scope: str) -> UserInfo:
        return UserInfo(user_claims(user, scope))

    def encode_id_token(self, token: dict[str, Any], request: Any) -> str:
        provider: Provider = request.provider
        person: Person = request.user
        code: IssuedCode = request.authorization_code
        claims = id_token_claims(
            provider.settings,
            request.client.client_id,
            person.subject,
            code.auth_time,
            token.get("access_token"),
        )
        if code.nonce:
            claims["nonce"] = code.nonce
        if current_call().family_id:  # the device this sign-in started (its session)
            claims["sid"] = current_call().family_id
        claims.update(user_claims(person, token.get("scope", "")))
        return sign(current_call().ring, claims)


def user_claims(person: Person, scope: str) -> dict[str, Any]:
    """What the ID token and userinfo say about the person, by scope."""
    asked = set(scope.split())
    claims: dict[str, Any] = {"sub": person.subject}
    if person.citizen:
        claims["nik_proof"] = person.profile.get("nik_proof", "none")
    else:
        claims.update({"roles": list(person.roles), **person.claims})
    profile = person.profile
    if "profile" in asked and profile.get("name"):
        claims["name"] = profile["name"]
    if "profile" in asked and profile.get("locale"):
        claims["locale"] = profile["locale"]
    if "email" in asked and profile.get("email"):
        claims.update(email=profile["email"], email_verified=profile["email_verified"])
    if "phone" in asked and profile.get("phone_number"):
        claims.update(
            phone_number=profile["phone_number"],
            phone_number_verified=profile["phone_number_verified"],
        )
    return claims


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "none"]

    def authenticate_refresh_token(self, refresh_token: str) -> Any:
        return wait_for(_provider(self).refresh.find(refresh_token))

    def authenticate_user(self, refresh_token: Any) -> Person | None:
        return None  # unused: create_token_response rotates first

    def revoke_old_credential(self, refresh_token: Any) -> None:
        """Spent by the rotation itself."""

    def create_token_response(self) -> tuple[int, Any, Any]:
        provider = _provider(self)
        grant = self.request.refresh_token
        person, rotated = wait_for(provider.rotate(grant))
        self.request.user = person
        scope = self.request.payload.scope or grant.get_scope()
        token = self.generate_token(user=person, scope=scope, include_refresh_token=False)
        token["refresh_token"] = rotated
        return 200, token, self.TOKEN_RESPONSE_HEADER


class ServiceGrant(grants.ClientCredentialsGrant):
    """A confidential client's own token, for no more than the scopes it was added
    with (Authlib checks a scope only against the server's list; each client has its
    own)."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        asked = set(scope_to_list(self.request.payload.scope) or [])
        if not asked <= set(self.request.client.scopes):
            raise InvalidScopeError("The client was not added with the scope it asks for.")
