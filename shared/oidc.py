"""Whose keys sign the access tokens, and what the tokens' claims mean to the platform.

Every service is a relying party of one OpenID Connect issuer. Two key sources answer
"which public key checks this token":

- :class:`PlatformKeys`, when ``MPP_OIDC_ISSUER`` is unset (the local stack, the tests):
  the platform's own public key (``MPP_AUTH_PUBLIC_KEY``, else the local key file) as a
  one-key JWK set whose ``kid`` is the key's RFC 7638 thumbprint — stable for as long as
  the key is;
- :class:`IssuerKeys`, when it is set: the issuer's JWK set, found by discovery
  (``<issuer>/.well-known/openid-configuration`` → ``jwks_uri``) or named by
  ``MPP_OIDC_JWKS_URL``, fetched with httpx and kept for ``MPP_OIDC_JWKS_CACHE_SECONDS``.
  A token naming a key id the set lacks fetches it again — at most once per
  ``MPP_OIDC_JWKS_MIN_REFETCH_SECONDS`` — so a key rotation at the issuer is picked up
  without a restart, and a flood of made-up key ids costs the issuer one request per
  interval. A failed fetch keeps the last good set and says so in the log.

:class:`ClaimsMapping` turns an issuer's claims into the platform's: the subject, the
roles (a dotted path such as Keycloak's ``realm_access.roles``, mapped by
``MPP_OIDC_ROLE_MAP``; a role the map does not name is dropped, never passed through),
and the agency, region and name bindings. See docs/tokens.md.
"""

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "ClaimsMapping",
    "InvalidToken",
    "IssuerKeys",
    "KeySource",
    "KeysUnavailable",
    "PlatformIssuerKeys",
    "PlatformKeys",
    "ed25519_jwk",
]

log = structlog.get_logger(__name__)


class InvalidToken(ValueError):
    """The token is missing, malformed, expired, or not signed by the issuer."""


class KeysUnavailable(InvalidToken):
    """The issuer's keys could not be fetched and none were fetched before: the token
    cannot be checked now (an outage, not the caller's fault)."""


class KeySource(Protocol):
    """Where the public keys that check tokens come from."""

    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        """The key the token's header names; raises :class:`InvalidToken`."""
        ...

    def would_fetch(self, kid: str | None) -> bool:
        """Whether :meth:`key_for` would go to the network now (so an async caller can
        do it off the event loop)."""
        ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ed25519_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The key as a JWK, its ``kid`` the RFC 7638 thumbprint (the same key, the same id,
    in every process)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    thumbprint = _b64(hashlib.sha256(canonical).digest())
    return {**members, "kid": thumbprint, "alg": "EdDSA", "use": "sig"}


def _parsed(jwk: Mapping[str, Any], alg: str) -> jwt.PyJWK:
    """The JWK bound to one algorithm: the JWK's own ``alg`` when it has one (a token
    claiming another is refused), else the token's, which must suit the key's type."""
    if jwk.get("alg") not in (None, alg):
        raise InvalidToken(f"the token's algorithm {alg} is not its key's")
    try:
        return jwt.PyJWK(dict(jwk), algorithm=alg)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token's key does not suit {alg}: {exc}") from None


class _KeyTable:
    """JWKs by key id, with their parsed forms per algorithm."""

    def __init__(self, jwks: Iterable[Mapping[str, Any]] = ()) -> None:
        self.jwks = [dict(jwk) for jwk in jwks]
        self._parsed: dict[tuple[str | None, str], jwt.PyJWK] = {}

    def has(self, kid: str | None) -> bool:
        if kid is None:
            return len(self.jwks) == 1
        return any(jwk.get("kid") == kid for jwk in self.jwks)

    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        if kid is None:
            if len(self.jwks) != 1:
                raise InvalidToken("the token names no key (kid) and the issuer has several")
            jwk = self.jwks[0]
        else:
            jwk = next((jwk for jwk in self.jwks if jwk.get("kid") == kid), None)
            if jwk is None:
                raise InvalidToken(f"the token's key {kid!r} is not one of the issuer's keys")
        parsed = self._parsed.get((kid, alg))
        if parsed is None:
            parsed = self._parsed[(kid, alg)] = _parsed(jwk, alg)
        return parsed


class PlatformKeys:
    """The platform's own public key as a one-key JWK set; never fetched."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self.jwk = ed25519_jwk(key)
        self._table = _KeyTable([self.jwk])

    def jwks(self) -> dict[str, Any]:
        """The set as an issuer publishes it (``{"keys": [...]}``)."""
        return {"keys": [dict(self.jwk)]}

    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        return self._table.key_for(kid, alg)

    def would_fetch(self, kid: str | None) -> bool:
        return False


@dataclass
class PlatformIssuerKeys:
    """The platform's own issuer, the identity service: its first key is known without a
    fetch (the platform key every service is given), and a key it rotated to since is
    read from its JWK set, as any relying party would (docs/oidc.md, key rotation)."""

    platform: PlatformKeys
    published: "IssuerKeys"

    def _known(self, kid: str | None) -> bool:
        return kid is None or self.platform._table.has(kid)

    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        if self._known(kid):
            return self.platform.key_for(kid, alg)
        return self.published.key_for(kid, alg)

    def would_fetch(self, kid: str | None) -> bool:
        return not self._known(kid) and self.published.would_fetch(kid)


def _usable(jwk: Any, algorithms: Iterable[str]) -> bool:
    """A signing key this platform may use: not an encryption key, and not bound to an
    algorithm outside the allowed list."""
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kty"), str):
        return False
    if jwk.get("use") not in (None, "sig"):
        return False
    return jwk.get("alg") is None or jwk["alg"] in algorithms


@dataclass
class IssuerKeys:
    """An issuer's JWK set, fetched over HTTP, cached and refetched within limits."""

    issuer: str
    algorithms: tuple[str, ...]
    jwks_url: str | None = None
    cache_seconds: float = 300.0
    min_refetch_seconds: float = 30.0
    timeout_seconds: float = 5.0
    transport: httpx.BaseTransport | None = None
    _table: _KeyTable | None = field(default=None, init=False)
    _fetched_at: float | None = field(default=None, init=False)
    _tried_at: float | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _discovered: str | None = field(default=None, init=False)

    def would_fetch(self, kid: str | None) -> bool:
        now = time.monotonic()
        if self._tried_at is not None and now - self._tried_at < self.min_refetch_seconds:
            return False
        if self._table is None or self._fetched_at is None:
            return True
        return now - self._fetched_at >= self.cache_seconds or not self._table.has(kid)

    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        if self.would_fetch(kid):
            with self._lock:
                if self.would_fetch(kid):  # another thread may have fetched meanwhile
                    self._refresh()
        table = self._table
        if table is None:
            raise KeysUnavailable(
                "Kunci penerbit token belum dapat diambil; coba lagi sebentar lagi / The "
                "token issuer's keys could not be fetched yet; try again shortly."
            )
        return table.key_for(kid, alg)

    def _refresh(self) -> None:
        """Fetch the set; on failure keep the last good one and log why."""
        self._tried_at = time.monotonic()
        try:
            jwks = self._fetch()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning(
                "oidc.jwks_fetch_failed",
                issuer=self.issuer,
                error=str(exc) or type(exc).__name__,
                keeping_keys=len(self._table.jwks) if self._table else 0,
                keys_age_seconds=(
                    round(time.monotonic() - self._fetched_at) if self._fetched_at else None
                ),
            )
            return
        self._table = _KeyTable(jwks)
        self._fetched_at = self._tried_at
        log.info(
            "oidc.jwks_fetched",
            issuer=self.issuer,
            kids=[jwk.get("kid") for jwk in jwks],
        )

    def _fetch(self) -> list[dict[str, Any]]:
        with httpx.Client(timeout=self.timeout_seconds, transport=self.transport) as client:
            url = self.jwks_url or self._discovered or self._discover(client)
            self._discovered = None if self.jwks_url else url
            response = client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            body = response.json()
        keys = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(keys, list):
            raise ValueError(f"{url} holds no JWK set")
        usable = [jwk for jwk in keys if _usable(jwk, self.algorithms)]
        if not usable:
            raise ValueError(f"{url} holds no signing key for {', '.join(self.algorithms)}")
        return usable

    def _discover(self, client: httpx.Client) -> str:
        """``jwks_uri`` from the issuer's discovery document, which must name this very
        issuer (OpenID Connect Discovery 1.0, section 4.3). Read once per process: the
        key set rotates, its address does not."""
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            raise ValueError(f"{url} describes another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise ValueError(f"{url} names no jwks_uri")
        return jwks_uri


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``realm_access.roles``), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class ClaimsMapping:
    """Which claims say who the caller is, what they may do and what they are bound to.

    ``role_map`` maps the issuer's role names to the platform's; None keeps the
    platform's own names (``known_roles``) as they are. Any other role is dropped."""

    known_roles: frozenset[str]
    subject: str = "sub"
    roles: str = "roles"
    role_map: Mapping[str, str] | None = None
    agency: str = "agency"
    region: str = "region"
    name: str = "name"

    def __post_init__(self) -> None:
        unknown = sorted(set((self.role_map or {}).values()) - self.known_roles)
        if unknown:
            raise ValueError(
                f"MPP_OIDC_ROLE_MAP maps to roles the platform does not have: {unknown}; "
                f"the platform's roles are {sorted(self.known_roles)}"
            )

    def platform_roles(self, claims: Mapping[str, Any]) -> tuple[str, ...]:
        """The caller's platform roles, in the token's order; refuses a token left with
        none."""
        found = _claim(claims, self.roles)
        if not isinstance(found, list) or not all(isinstance(role, str) for role in found):
            raise InvalidToken("the token carries no roles")
        if self.role_map is None:
            mapped = [role for role in found if role in self.known_roles]
        else:
            mapped = [self.role_map[role] for role in found if role in self.role_map]
        if not mapped:
            raise InvalidToken(
                "Token ini tidak membawa peran yang dikenal platform ini; minta akses kepada "
                "pengelola akun Anda / The token carries no role this platform knows; ask "
                "whoever manages your account for access."
            )
        return tuple(dict.fromkeys(mapped))

    def subject_of(self, claims: Mapping[str, Any]) -> str:
        subject = _claim(claims, self.subject)
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("the token names no subject")
        return subject

    def bindings(self, claims: Mapping[str, Any]) -> dict[str, str | None]:
        """``agency``, ``region`` and ``name``: text or absent; anything else is refused."""
        bound = {
            "agency": _claim(claims, self.agency),
            "region": _claim(claims, self.region),
            "name": _claim(claims, self.name),
        }
        if not all(value is None or isinstance(value, str) for value in bound.values()):
            raise InvalidToken("the token's agency, region or name is not text")
        return bound
