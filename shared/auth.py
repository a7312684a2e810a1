"""Who is calling: access tokens signed by intake, verified by every service.

Intake signs short-lived JWTs with an Ed25519 private key (``EdDSA``); every other
service verifies them with the public key alone, so a compromised routing or notify
process cannot mint tokens. The subject is the account's opaque id — never the NIK — or,
for staff, their username; ``roles`` says what the caller is:

- ``citizen``;
- ``officer`` / ``supervisor``: an agency's staff, with an ``agency`` claim (the
  catalogue's agency code) — the agency API and workbench serve that agency only;
- ``counter`` / ``kiosk`` / ``mobile_unit``: an MPP counter operator, a kiosk, or the
  operator of a mobile service unit, with a ``region`` claim, who submit on a citizen's
  behalf;
- ``admin``: the platform's administrators.

Staff tokens also carry ``name`` (for display, never for records: records name the
username). A token without these claims (older, or a citizen's) verifies as before.

Key material comes from settings (``MPP_AUTH_PRIVATE_KEY`` for intake,
``MPP_AUTH_PUBLIC_KEY`` for everyone): a PEM file path, or the PEM encoded in base64 for
secret stores that hold values, not files. When neither is set (the local stack), a key
pair is generated into ``<local_dir>/keys/`` on first use, so ``make up`` needs no
configuration; every local process derives the public key from that one file.
"""

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.ids import uuid7
from shared.keys import load_ed25519_private_key, local_private_pem, pem_from_setting
from shared.problems import Problem
from shared.settings import Settings, get_settings

__all__ = [
    "AGENCY_ROLES",
    "ALGORITHM",
    "OPERATOR_ROLES",
    "STAFF_ROLES",
    "CitizenPrincipal",
    "InvalidToken",
    "TokenVerifier",
    "issue_token",
    "load_private_key",
    "load_public_key",
    "verify_citizen_token",
]

ALGORITHM = "EdDSA"
LOCAL_KEY_FILE = "token-ed25519.pem"
OPERATOR_ROLES = frozenset({"counter", "kiosk", "mobile_unit"})
AGENCY_ROLES = frozenset({"officer", "supervisor"})
STAFF_ROLES = AGENCY_ROLES | OPERATOR_ROLES | {"admin"}
_OPTIONAL_CLAIMS = ("agency", "region", "name")


class InvalidToken(ValueError):
    """The token is missing, malformed, expired, or not signed by intake."""


@dataclass(frozen=True)
class CitizenPrincipal:
    """The verified caller. ``subject`` is an account id, or a staff member's username.

    ``agency`` (officers, supervisors) and ``region`` (counters, kiosks, mobile units)
    are what a staff account is bound to; ``name`` is the person's display name.
    ``issued_at`` lets a service refuse tokens issued before a staff account was disabled
    or its password reset."""

    subject: str
    roles: tuple[str, ...]
    expires_at: datetime
    token_id: str
    agency: str | None = None
    region: str | None = None
    name: str | None = None
    issued_at: datetime | None = None

    @property
    def is_citizen(self) -> bool:
        return "citizen" in self.roles

    @property
    def operator_role(self) -> str | None:
        """``counter``, ``kiosk`` or ``mobile_unit`` for a credential that acts for
        citizens, else None."""
        return next((role for role in self.roles if role in OPERATOR_ROLES), None)

    @property
    def staff_role(self) -> str | None:
        """The staff role (``officer``, ``supervisor``, ``counter``, ``kiosk``,
        ``mobile_unit``, ``admin``) of a staff member's token, else None."""
        return next((role for role in self.roles if role in STAFF_ROLES), None)

    @property
    def agency_role(self) -> str | None:
        """``officer`` or ``supervisor`` when the token is an agency's staff member's and
        names the agency, else None."""
        if self.agency is None:
            return None
        return next((role for role in self.roles if role in AGENCY_ROLES), None)


# --- key material ------------------------------------------------------------------


@lru_cache(maxsize=8)
def _private_key(value: str | None, local_dir: str) -> Ed25519PrivateKey:
    if value:
        pem = pem_from_setting(value, "MPP_AUTH_PRIVATE_KEY")
    else:
        pem = local_private_pem(local_dir, LOCAL_KEY_FILE)
    return load_ed25519_private_key(pem, "MPP_AUTH_PRIVATE_KEY")


@lru_cache(maxsize=8)
def _public_key(value: str | None, local_dir: str) -> Ed25519PublicKey:
    if not value:
        return _private_key(None, local_dir).public_key()
    key = serialization.load_pem_public_key(pem_from_setting(value, "MPP_AUTH_PUBLIC_KEY"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("MPP_AUTH_PUBLIC_KEY must be an Ed25519 key")
    return key


def load_private_key(settings: Settings) -> Ed25519PrivateKey:
    secret = settings.auth_private_key
    return _private_key(secret.get_secret_value() if secret else None, settings.local_dir)


def load_public_key(settings: Settings) -> Ed25519PublicKey:
    if settings.auth_public_key is None and settings.auth_private_key is not None:
        return load_private_key(settings).public_key()
    return _public_key(settings.auth_public_key, settings.local_dir)


# --- tokens ------------------------------------------------------------------------


def issue_token(
    settings: Settings,
    subject: str,
    roles: tuple[str, ...],
    *,
    agency: str | None = None,
    region: str | None = None,
    name: str | None = None,
) -> tuple[str, int]:
    """Sign an access token (intake only); returns it and its lifetime in seconds.

    ``agency``, ``region`` and ``name`` are added as claims when given (staff tokens)."""
    lifetime = settings.auth_token_minutes * 60
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": subject,
        "roles": list(roles),
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=lifetime),
        "jti": uuid7(),
    }
    optional = {"agency": agency, "region": region, "name": name}
    claims.update({key: value for key, value in optional.items() if value is not None})
    return jwt.encode(claims, load_private_key(settings), algorithm=ALGORITHM), lifetime


LEEWAY_SECONDS = 30
"""Clock difference tolerated between the issuer and the verifier."""


def verify_citizen_token(token: str, settings: Settings | None = None) -> CitizenPrincipal:
    """Check signature, issuer, audience and expiry; raises :class:`InvalidToken`."""
    settings = settings or get_settings()
    try:
        claims = jwt.decode(
            token,
            load_public_key(settings),
            algorithms=[ALGORITHM],
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            options={"require": ["exp", "sub", "iss", "aud"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired; sign in again") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token is not valid: {exc}") from None
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidToken("the token carries no roles")
    bound = {key: claims.get(key) for key in _OPTIONAL_CLAIMS}
    if not all(value is None or isinstance(value, str) for value in bound.values()):
        raise InvalidToken("the token's agency, region or name is not text")
    return CitizenPrincipal(
        subject=str(claims["sub"]),
        roles=tuple(roles),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        token_id=str(claims.get("jti", "")),
        issued_at=_issued_at(claims),
        **bound,
    )


def _issued_at(claims: dict[str, Any]) -> datetime | None:
    """When the token was issued: to the millisecond from its id (a UUIDv7), else the
    ``iat`` claim (whole seconds)."""
    try:
        token_id = uuid.UUID(str(claims.get("jti", "")))
    except ValueError:
        token_id = None
    if token_id is not None and token_id.version == 7:
        return datetime.fromtimestamp((token_id.int >> 80) / 1000, UTC)
    issued = claims.get("iat")
    return datetime.fromtimestamp(issued, UTC) if isinstance(issued, int | float) else None


_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")


class TokenVerifier:
    """A FastAPI dependency: ``principal: CitizenPrincipal = Depends(verifier)``.

    Answers 401 (problem+json, ``WWW-Authenticate: Bearer``) when the token is missing or
    invalid. The verified principal is also left on ``request.state.principal`` so
    middleware (rate limits) can key by account.
    """

    CACHE_SIZE = 10_000

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Tokens verified before, until they expire: a citizen's client sends the same
        # token with every request, and the signature check is a large share of a cheap
        # request's cost. The cache answers only "intake signed it and it has not
        # expired", which stays right; whether a staff member was disabled since is
        # the caller's check, made on every request (see docs/web.md, staff accounts).
        self._verified: OrderedDict[str, CitizenPrincipal] = OrderedDict()

    def verify(self, token: str) -> CitizenPrincipal:
        principal = self._verified.get(token)
        if principal is not None:
            if datetime.now(UTC) < principal.expires_at + timedelta(seconds=LEEWAY_SECONDS):
                return principal
            del self._verified[token]
        principal = verify_citizen_token(token, self.settings)
        self._verified[token] = principal
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def __call__(self, request: Request) -> CitizenPrincipal:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        if credentials is None:
            raise _unauthorized("Send an access token: Authorization: Bearer <token>.")
        try:
            principal = self.verify(credentials.credentials)
        except InvalidToken as exc:
            raise _unauthorized(str(exc)) from None
        request.state.principal = principal
        return principal


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "Perlu masuk / Sign-in required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
    )
