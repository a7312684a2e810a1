"""A second OpenID Connect issuer, for tests only: a region's Keycloak realm in miniature.

A real HTTP server (Starlette on uvicorn, on a free loopback port, in a thread of its
own) serves the realm's discovery document and JWK set from keys of its own — RSA, and
an EC P-256 key after :meth:`KeycloakRealm.rotate` — and signs access tokens shaped as
Keycloak's are (``realm_access.roles``, ``preferred_username``, ``azp``). It counts the
JWK set's fetches, and can be taken down (503) to play an outage.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.notify_receivers import HttpReceiver

REALM = "mojokerto"
AUDIENCE = "mpp-platform"
ROLE_MAP = {"warga": "citizen", "petugas-instansi": "officer", "kepala-seksi": "supervisor"}
KEYCLOAK_DEFAULT_ROLES = ["offline_access", "uma_authorization", f"default-roles-{REALM}"]


class KeycloakRealm(HttpReceiver):
    """Discovery and JWKS of one realm; ``jwks_fetches`` counts the JWK set's requests."""

    def __init__(self) -> None:
        base = f"/realms/{REALM}"
        super().__init__(
            [
                Route(f"{base}/.well-known/openid-configuration", self._discovery),
                Route(f"{base}/protocol/openid-connect/certs", self._certs),
            ]
        )
        self.issuer = f"{self.url}{base}"
        self.jwks_fetches = 0
        self.down = False
        self.kid = "rsa-2026-12"
        self.alg = "RS256"
        self._private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def _discovery(self, request: Request) -> JSONResponse:
        if self.down:
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return JSONResponse(
            {
                "issuer": self.issuer,
                "jwks_uri": f"{self.issuer}/protocol/openid-connect/certs",
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }
        )

    async def _certs(self, request: Request) -> JSONResponse:
        self.jwks_fetches += 1
        if self.down:
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return JSONResponse({"keys": [self.public_jwk()]})

    def public_jwk(self) -> dict[str, Any]:
        export = RSAAlgorithm if self.alg == "RS256" else ECAlgorithm
        jwk = json.loads(export.to_jwk(self._private.public_key()))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def rotate(self) -> None:
        """A new key (EC P-256) under a new key id; the old one is no longer published."""
        self._private = ec.generate_private_key(ec.SECP256R1())
        self.kid, self.alg = "ec-2027-01", "ES256"

    def claims(self, roles: list[str], **changes: Any) -> dict[str, Any]:
        """An access token's claims as Keycloak writes them."""
        now = datetime.now(UTC)
        return {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": str(uuid.uuid4()),
            "azp": "mpp-portal",
            "typ": "Bearer",
            "preferred_username": "siti.rahma",
            "name": "Siti Rahma",
            "realm_access": {"roles": [*KEYCLOAK_DEFAULT_ROLES, *roles]},
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "jti": str(uuid.uuid4()),
            **changes,
        }

    def token(self, roles: list[str], *, kid: str | None = None, **changes: Any) -> str:
        """Signed with the realm's current key."""
        return jwt.encode(
            self.claims(roles, **changes),
            self._private,
            algorithm=self.alg,
            headers={"kid": kid or self.kid},
        )


def realm_env(realm: KeycloakRealm, **overrides: str) -> dict[str, str]:
    """The settings that make the platform a relying party of the realm: nothing else."""
    return {
        "MPP_OIDC_ISSUER": realm.issuer,
        "MPP_OIDC_AUDIENCE": AUDIENCE,
        "MPP_OIDC_ROLES_CLAIM": "realm_access.roles",
        "MPP_OIDC_ROLE_MAP": json.dumps(ROLE_MAP),
        "MPP_OIDC_SUBJECT_CLAIM": "preferred_username",
        "MPP_OIDC_AGENCY_CLAIM": "mpp.agency",
        **overrides,
    }
