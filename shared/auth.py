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
- ``queue_kiosk`` / ``counter_officer``: the MPP building's queue, with a ``region``
  claim: a kiosk checks bookings in and hands out tickets, a counter officer calls the
  next ticket (docs/queue.md);
- ``admin``: the platform's administrators.

Staff tokens also carry ``name`` (for display, never for records: records name the
username). A token without these claims (older, or a citizen's) verifies as before.

Key material comes from settings (``MPP_AUTH_PRIVATE_KEY`` for intake,
``MPP_AUTH_PUBLIC_KEY`` for everyone): a PEM file path, or the PEM encoded in base64 for
secret stores that hold values, not files. When neither is set (the local stack), a key
pair is generated into ``<local_dir>/keys/`` on first use, so ``make up`` needs no
configuration; every local process derives the public key from that one file.

Verification is a relying party's (:mod:`shared.oidc`, docs/tokens.md): with
``MPP_OIDC_ISSUER`` unset the platform's own key checks tokens, exposed as a one-key JWK
set; with it set, the issuer's JWK set does, and its claims are read through the claims
mapping (``MPP_OIDC_ROLES_CLAIM``, ``MPP_OIDC_ROLE_MAP`` …). Either way the result is one
:class:`CitizenPrincipal`, so no route knows which issuer signed.
"""

import asyncio
import contextlib
import json
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
from shared.oidc import (
    ClaimsMapping,
    InvalidToken,
    IssuerKeys,
    KeySource,
    KeysUnavailable,
    PlatformIssuerKeys,
    PlatformKeys,
)
from shared.problems import Problem
from shared.settings import Settings, get_settings

__all__ = [
    "AGENCY_ROLES",
    "ALGORITHM",
    "CATALOGUE_ROLES",
    "FINANCE_ROLES",
    "OPERATOR_ROLES",
    "PLATFORM_ROLES",
    "QUEUE_ROLES",
    "STAFF_ROLES",
    "SYSTEM_ROLES",
    "CitizenPrincipal",
    "InvalidToken",
    "KeysUnavailable",
    "TokenVerifier",
    "claims_mapping",
    "issue_token",
    "key_source",
    "load_private_key",
    "load_public_key",
    "verify_citizen_token",
]

ALGORITHM = "EdDSA"
LOCAL_KEY_FILE = "token-ed25519.pem"
OPERATOR_ROLES = frozenset({"counter", "kiosk", "mobile_unit"})
AGENCY_ROLES = frozenset({"officer", "supervisor"})
CATALOGUE_ROLES = frozenset({"national_admin", "region_admin"})
"""Who publishes the catalogue: the national package, or one region's (docs/catalogue.md)."""
QUEUE_ROLES = frozenset({"queue_kiosk", "counter_officer"})
"""The MPP building's queue, each bound to one region: the kiosk at the door, and the
officer at a counter who calls the next ticket (docs/queue.md)."""
FINANCE_ROLES = frozenset({"finance_officer"})
"""A region's finance officer, bound to one region: reads its payments' reconciliation
(docs/payments.md)."""
STAFF_ROLES = (
    AGENCY_ROLES | OPERATOR_ROLES | CATALOGUE_ROLES | QUEUE_ROLES | FINANCE_ROLES | {"admin"}
)
SYSTEM_ROLES = frozenset({"service"})
"""A system's token (client credentials at the OpenID Connect provider, docs/oidc.md):
neither a citizen nor staff, so it passes no citizen's or staff member's check."""
PLATFORM_ROLES = STAFF_ROLES | SYSTEM_ROLES | {"citizen"}


@dataclass(frozen=True)
class CitizenPrincipal:
    """The verified caller. ``subject`` is an account id, or a staff member's username.

    ``agency`` (officers, supervisors) and ``region`` (counters, kiosks, mobile units,
    queue kiosks, counter officers) are what a staff account is bound to; ``name`` is the
    person's display name. ``issued_at`` lets a service refuse tokens issued before a
    staff account was disabled or its password reset."""

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
        ``mobile_unit``, ``queue_kiosk``, ``counter_officer``, ``finance_officer``,
        ``national_admin``,
        ``region_admin``, ``admin``) of a staff member's token, else None."""
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


@lru_cache(maxsize=8)
def _platform_keys(raw: bytes) -> PlatformKeys:
    return PlatformKeys(Ed25519PublicKey.from_public_bytes(raw))


def platform_jwks_url(settings: Settings) -> str:
    """The identity service's JWK set, server to server (``MPP_INTERNAL_URLS``' identity,
    else this host at ``MPP_IDENTITY_PORT``)."""
    from shared.web import internal_url  # the pages' helpers; loaded only when needed

    return f"{internal_url(settings, 'identity')}/oauth/jwks"


@lru_cache(maxsize=8)
def _platform_issuer_keys(
    raw: bytes, jwks_url: str, issuer: str, *fetching: Any
) -> PlatformIssuerKeys:
    """The platform key, and identity's published keys for a key rotated to since."""
    return PlatformIssuerKeys(_platform_keys(raw), _issuer_keys(issuer, jwks_url, *fetching))


@lru_cache(maxsize=8)
def _issuer_keys(
    issuer: str,
    jwks_url: str | None,
    algorithms: tuple[str, ...],
    cache_seconds: float,
    min_refetch_seconds: float,
    timeout_seconds: float,
) -> IssuerKeys:
    return IssuerKeys(
        issuer,
        algorithms,
        jwks_url=jwks_url,
        cache_seconds=cache_seconds,
        min_refetch_seconds=min_refetch_seconds,
        timeout_seconds=timeout_seconds,
    )


def key_source(settings: Settings) -> KeySource:
    """The keys that check tokens: the issuer's when ``MPP_OIDC_ISSUER`` is set, else
    the platform's own. One per process and configuration, so every verifier in a
    service shares one cache and one fetch schedule."""
    return _resolved(settings)[0]


def claims_mapping(settings: Settings) -> ClaimsMapping:
    """How the issuer's claims read as the platform's (see :class:`ClaimsMapping`);
    raises ValueError when the role map names a role the platform does not have."""
    return _resolved(settings)[1]


_RESOLVED: OrderedDict[int, tuple[Settings, KeySource, ClaimsMapping]] = OrderedDict()


def _resolved(settings: Settings) -> tuple[KeySource, ClaimsMapping]:
    """Both, worked out once per settings object (settings are frozen): a token's check
    then costs its signature and little else. The entry holds the object, so its id
    cannot be another's while remembered."""
    found = _RESOLVED.get(id(settings))
    if found is not None and found[0] is settings:
        return found[1], found[2]
    keys, mapping = _key_source(settings), _claims_mapping(settings)
    _RESOLVED[id(settings)] = (settings, keys, mapping)
    while len(_RESOLVED) > 32:
        with contextlib.suppress(KeyError):
            _RESOLVED.popitem(last=False)
    return keys, mapping


def _key_source(settings: Settings) -> KeySource:
    if settings.oidc_issuer is None:
        raw = load_public_key(settings).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return _platform_issuer_keys(
            raw,
            platform_jwks_url(settings),
            settings.auth_issuer,
            tuple(settings.oidc_algorithms),
            settings.oidc_jwks_cache_seconds,
            settings.oidc_jwks_min_refetch_seconds,
            settings.oidc_http_timeout_seconds,
        )
    return _issuer_keys(
        settings.oidc_issuer,
        settings.oidc_jwks_url,
        tuple(settings.oidc_algorithms),
        settings.oidc_jwks_cache_seconds,
        settings.oidc_jwks_min_refetch_seconds,
        settings.oidc_http_timeout_seconds,
    )


@lru_cache(maxsize=8)
def _mapping(
    subject: str, roles: str, role_map: str, agency: str, region: str, name: str
) -> ClaimsMapping:
    return ClaimsMapping(
        PLATFORM_ROLES,
        subject=subject,
        roles=roles,
        role_map=json.loads(role_map),
        agency=agency,
        region=region,
        name=name,
    )


def _claims_mapping(settings: Settings) -> ClaimsMapping:
    return _mapping(
        settings.oidc_subject_claim,
        settings.oidc_roles_claim,
        json.dumps(settings.oidc_role_map, sort_keys=True),
        settings.oidc_agency_claim,
        settings.oidc_region_claim,
        settings.oidc_name_claim,
    )


def _header(token: str, algorithms: list[str]) -> tuple[str | None, str]:
    """The token's key id and algorithm, refusing an algorithm not allowed before any
    key is looked up (so ``none`` or ``HS256`` never reaches a key, nor the network)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token is not valid: {exc}") from None
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or alg not in algorithms:
        raise InvalidToken(f"the token is not valid: algorithm {alg!r} is not accepted")
    if kid is not None and not isinstance(kid, str):
        raise InvalidToken("the token is not valid: its key id is not text")
    return kid, alg


def verify_citizen_token(token: str, settings: Settings | None = None) -> CitizenPrincipal:
    """Check signature, issuer, audience and expiry against the configured issuer, and
    read the caller through the claims mapping; raises :class:`InvalidToken`."""
    settings = settings or get_settings()
    keys, mapping = _resolved(settings)
    kid, alg = _header(token, settings.oidc_algorithms)
    key = keys.key_for(kid, alg)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=settings.oidc_algorithms,
            audience=settings.oidc_audience or settings.auth_audience,
            issuer=settings.oidc_issuer or settings.auth_issuer,
            options={"require": ["exp", "iss", "aud"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired; sign in again") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token is not valid: {exc}") from None
    return CitizenPrincipal(
        subject=mapping.subject_of(claims),
        roles=mapping.platform_roles(claims),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        token_id=str(claims.get("jti", "")),
        issued_at=_issued_at(claims),
        **mapping.bindings(claims),
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
    invalid, and 503 when the issuer's keys were never fetched (an outage, where signing
    in again would not help). The verified principal is also left on ``request.state.principal`` so
    middleware (rate limits) can key by account.
    """

    CACHE_SIZE = 10_000

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        claims_mapping(settings)  # a role map naming no platform role stops start-up
        # Tokens verified before, until they expire: a citizen's client sends the same
        # token with every request, and the signature check is a large share of a cheap
        # request's cost. The cache answers only "the issuer signed it and it has not
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
            principal = await self.verify_async(credentials.credentials)
        except KeysUnavailable as exc:
            raise Problem(
                503,
                "Penerbit token tidak terjangkau / Token issuer unreachable",
                str(exc),
                headers={"Retry-After": str(round(self.settings.oidc_jwks_min_refetch_seconds))},
            ) from None
        except InvalidToken as exc:
            raise _unauthorized(str(exc)) from None
        request.state.principal = principal
        return principal

    async def verify_async(self, token: str) -> CitizenPrincipal:
        """:meth:`verify`, with a fetch of the issuer's keys (when one is due) done on a
        thread, so the event loop never waits on the issuer."""
        if self._fetches(token):
            return await asyncio.to_thread(self.verify, token)
        return self.verify(token)

    def _fetches(self, token: str) -> bool:
        """Whether checking this token would fetch the issuer's keys now."""
        if token in self._verified:
            return False
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return False
        return key_source(self.settings).would_fetch(kid if isinstance(kid, str) else None)


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "Perlu masuk / Sign-in required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="mpp"'},
    )
