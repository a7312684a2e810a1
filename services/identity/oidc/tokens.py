"""Access tokens and ID tokens, signed with the current key of the ring.

An access token keeps the claims every service reads today (:mod:`shared.auth`):
``iss`` (``MPP_AUTH_ISSUER``), ``aud`` (``MPP_AUTH_AUDIENCE``), ``sub``, ``roles``,
``agency``, ``region``, ``name``, ``jti`` (a UUIDv7: the issue time to the
millisecond), ``iat``, ``nbf``, ``exp``; and adds ``nik_proof`` (citizens), ``scope``
and ``client_id`` (RFC 9068). Its header names the key (``kid``).

An ID token (OpenID Connect Core, section 2) is for the client alone: ``aud`` is the
client id, with the request's ``nonce``, ``auth_time`` and ``at_hash`` (the left half
of the SHA-512 of the access token, as Ed25519 signatures use SHA-512).
"""

import time
from typing import Any

from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import JoseError

from services.identity.oidc.keys import ALGORITHM, KeyRing
from shared.auth import LEEWAY_SECONDS
from shared.ids import uuid7
from shared.settings import Settings

__all__ = ["InvalidAccessToken", "sign", "sign_access_token", "verify_access_token"]

ID_TOKEN_SECONDS = 3600


class InvalidAccessToken(ValueError):
    """Not an access token of this provider, or expired."""


def sign(ring: KeyRing, claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": ALGORITHM, "kid": ring.kid}, claims, ring.current, [ALGORITHM])


def sign_access_token(
    ring: KeyRing,
    settings: Settings,
    subject: str,
    claims: dict[str, Any],
    *,
    client_id: str,
    scope: str,
) -> tuple[str, int]:
    """The access token and its lifetime in seconds."""
    lifetime = settings.auth_token_minutes * 60
    now = int(time.time())
    body = {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid7(),
        "client_id": client_id,
        **claims,
    }
    if scope:
        body["scope"] = scope
    return sign(ring, body), lifetime


def id_token_claims(
    settings: Settings, client_id: str, subject: str, auth_time: int, access_token: str | None
) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.auth_issuer,
        "aud": [client_id],
        "sub": subject,
        "iat": now,
        "exp": now + ID_TOKEN_SECONDS,
        "auth_time": auth_time,
    }
    if access_token:
        claims["at_hash"] = create_half_hash(access_token, ALGORITHM).decode()
    return claims


def verify_access_token(ring: KeyRing, settings: Settings, token: str) -> dict[str, Any]:
    """The claims of an access token this provider signed with a published key."""
    try:
        decoded = jwt.decode(token, ring.verifying_keys(), algorithms=[ALGORITHM])
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": settings.auth_issuer},
            aud={"essential": True, "value": settings.auth_audience},
            sub={"essential": True},
            exp={"essential": True},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise InvalidAccessToken(str(exc)) from None
    return decoded.claims
