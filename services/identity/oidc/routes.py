"""The provider's endpoints: thin translators between HTTP and :class:`Provider`.

``GET /.well-known/openid-configuration``  discovery (OpenID Connect Discovery 1.0)
``GET /oauth/jwks``                        the published keys
``GET /oauth/authorize``                   validate the request, show the sign-in page
                                           (``prompt=create``: the registration page,
                                           :mod:`services.identity.web`)
``POST /oauth/authorize``                  check the password, redirect with the code
``POST /oauth/token``                      code, refresh_token, client_credentials
``GET /oauth/userinfo``                    the claims of the token's person
"""

import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error, UnauthorizedClientError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.identity.oidc.bridge import StarletteRequest, in_worker
from services.identity.oidc.grants import user_claims
from services.identity.oidc.keys import ALGORITHM
from services.identity.oidc.server import Provider
from services.identity.oidc.signin import Refusal, SignInAttempt, Throttle, check_password
from services.identity.oidc.tokens import InvalidAccessToken, verify_access_token
from services.identity.passwords import Passwords
from shared.problems import Problem
from shared.web import Pages, checked_form

__all__ = [
    "Consent",
    "OidcParts",
    "authorize_new_account",
    "citizen_consent",
    "oidc_router",
]

oidc_router = APIRouter(tags=["openid-connect"])


@dataclass(frozen=True)
class OidcParts:
    """What the routes need, on ``app.state.oidc``."""

    provider: Provider
    pages: Pages
    throttle: Throttle
    passwords: Passwords


def _parts(request: Request) -> OidcParts:
    return request.app.state.oidc


def _base(request: Request, issuer: str) -> str:
    """Where the endpoints are: the issuer when it is a URL, else this request's host."""
    if issuer.startswith(("https://", "http://")):
        return issuer.rstrip("/")
    return str(request.base_url).rstrip("/")


@oidc_router.get("/.well-known/openid-configuration", summary="OpenID Connect discovery")
async def discovery(request: Request) -> JSONResponse:
    provider = _parts(request).provider
    issuer = provider.settings.auth_issuer
    base = _base(request, issuer)
    document = {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/oauth/jwks",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "phone"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "sid",
            "at_hash",
            "name",
            "locale",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
            "nik_proof",
            "roles",
            "agency",
            "region",
        ],
        "prompt_values_supported": ["none", "login"],
    }
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})


@oidc_router.get("/oauth/jwks", summary="The provider's public signing keys (JWKS)")
async def jwks(request: Request) -> JSONResponse:
    keys = _parts(request).provider.keys
    ring = await keys.ring()
    age = int(keys.cache_seconds)
    return JSONResponse(ring.jwks(), headers={"Cache-Control": f"public, max-age={age}"})


async def _consent(request: Request, provider: Provider) -> tuple[Any, Any]:
    """The validated authorization request (Authlib's grant), and the request it read."""
    ring = await provider.keys.ring()
    oauth = StarletteRequest(request, secure_only=provider.settings.environment != "local")
    oauth.provider = provider  # type: ignore[attr-defined]  # for the nonce check
    grant = await in_worker(ring, lambda: provider.get_consent_grant(oauth))
    return grant, oauth


def _refused(request: Request, parts: OidcParts, error: OAuth2Error, oauth: Any) -> Response:
    """Back to the client with the error when its redirect URI is known; else a page
    (never a redirect to an address the client did not register)."""
    if error.redirect_uri:
        return parts.provider.handle_error_response(oauth, error)
    return parts.pages.render(
        request,
        "oidc_refused.html",
        400,
        error=error.error,
        description=error.description or "",
    )


@oidc_router.get("/oauth/authorize", summary="Sign in, then back to the client with a code")
async def authorize_page(request: Request) -> Response:
    """The sign-in page; with ``prompt=create`` (OpenID Connect "Initiating User
    Registration") a citizens' client's request goes to the registration page instead."""
    parts = _parts(request)
    try:
        grant, _oauth = await _consent(request, parts.provider)
    except OAuth2Error as error:
        return _refused(request, parts, error, StarletteRequest(request, secure_only=False))
    if request.query_params.get("prompt") == "create" and grant.client.sign_in == "citizen":
        root = request.scope.get("root_path", "")
        return RedirectResponse(f"{root}/account/register?{request.url.query}", status_code=303)
    return _signin_page(request, parts, grant.client)


Consent = tuple[Any, Any]
"""A validated authorization request: Authlib's grant and the request it read."""


async def citizen_consent(request: Request) -> Consent | Response:
    """This request's authorization request (in its query), validated, when a citizens'
    client sent it; else the page that refuses it (the registration page's guard)."""
    parts = _parts(request)
    try:
        grant, oauth = await _consent(request, parts.provider)
    except OAuth2Error as error:
        return _refused(request, parts, error, StarletteRequest(request, secure_only=False))
    if grant.client.sign_in != "citizen":
        refusal = UnauthorizedClientError("This client does not register citizens.")
        return _refused(request, parts, refusal, oauth)
    return grant, oauth


async def authorize_new_account(request: Request, consent: Consent, subject: str) -> Response:
    """The authorization request answered for an account registered a moment ago with
    its password: signed in as at the sign-in page, back to the client with a code."""
    parts = _parts(request)
    grant, oauth = consent
    person = await parts.provider.person(subject, int(time.time()))
    if person is None:
        return _signin_page(request, parts, grant.client, Refusal("wrong"))
    ring = await parts.provider.keys.ring()
    return await in_worker(
        ring,
        lambda: parts.provider.create_authorization_response(oauth, grant_user=person, grant=grant),
    )


def _signin_page(
    request: Request, parts: OidcParts, client: Any, refusal: Refusal | None = None, **kept: Any
) -> Response:
    status = 200 if refusal is None else (429 if refusal.reason == "throttled" else 401)
    response = parts.pages.render(
        request,
        "oidc_signin.html",
        status,
        kind=client.sign_in,
        client_name=client.name,
        query=request.url.query,
        refusal=refusal,
        username=kept.get("username", ""),
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"  # no sign-in page inside another site
    if refusal is not None and refusal.reason == "throttled":
        response.headers["Retry-After"] = str(refusal.seconds)
    return response


@oidc_router.post("/oauth/authorize", include_in_schema=False)
async def authorize_signin(request: Request) -> Response:
    parts = _parts(request)
    form = await checked_form(request)
    try:
        grant, oauth = await _consent(request, parts.provider)
    except OAuth2Error as error:
        return _refused(request, parts, error, StarletteRequest(request, secure_only=False))
    client = grant.client
    if client.sign_in not in ("citizen", "staff"):
        return _signin_page(request, parts, client, Refusal("wrong"))
    username = str(form.get("username", ""))[:254]
    attempt = SignInAttempt(
        client.sign_in,
        username,
        str(form.get("password", ""))[:128],
        request.client.host if request.client else "unknown",
    )
    person = await check_password(attempt, parts.provider.accounts, parts.passwords, parts.throttle)
    if isinstance(person, Refusal):
        return _signin_page(request, parts, client, person, username=username)
    ring = await parts.provider.keys.ring()
    return await in_worker(
        ring,
        lambda: parts.provider.create_authorization_response(oauth, grant_user=person, grant=grant),
    )


@oidc_router.post("/oauth/token", summary="Exchange a code, refresh, or client credentials")
async def token(request: Request) -> Response:
    provider = _parts(request).provider
    form = await request.form()
    ring = await provider.keys.ring()
    try:
        oauth = StarletteRequest(
            request, form, secure_only=provider.settings.environment != "local"
        )
    except OAuth2Error as error:  # plain HTTP in production
        return provider.handle_error_response(None, error)
    oauth.provider = provider  # type: ignore[attr-defined]
    return await in_worker(ring, lambda: provider.create_token_response(oauth))


@oidc_router.get("/oauth/userinfo", summary="Who the access token's person is")
async def userinfo(request: Request) -> JSONResponse:
    provider = _parts(request).provider
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise _invalid_token("Send the access token: Authorization: Bearer <token>.")
    try:
        claims = verify_access_token(await provider.keys.ring(), provider.settings, credential)
    except InvalidAccessToken as exc:
        raise _invalid_token(f"The access token is not valid: {exc}") from None
    if "auth_time" not in claims:
        raise _invalid_token("A client's own token names no person; userinfo has nothing.")
    person = await provider.person(str(claims["sub"]))
    if person is None:
        raise _invalid_token("The token's account can no longer sign in.")
    return JSONResponse(
        user_claims(person, str(claims.get("scope", ""))), headers={"Cache-Control": "no-store"}
    )


def _invalid_token(detail: str) -> Problem:
    return Problem(
        401,
        "Token tidak berlaku; silakan masuk lagi / Token not valid; sign in again",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="mpp", error="invalid_token"'},
        error="invalid_token",
    )
