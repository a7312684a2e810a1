"""The provider's clients: who may ask for tokens, from where, and for what.

Each client is one document of ``oidc_clients``: its redirect URIs (matched exactly),
the grant types and scopes it may use, and who signs in through it. Two kinds:

- **public** clients (the portal, the workbench, the console, the mobile app) hold no
  secret: they use the authorization code flow with PKCE (S256) and authenticate to the
  token endpoint with their ``client_id`` alone (``none``). The platform's own are
  written by :meth:`ClientRegistry.seed` each time the service starts, from
  :func:`platform_clients`, so their redirect URIs follow the settings;
- **confidential** clients (an agency's system, another service) hold a secret, sent
  with HTTP Basic (``client_secret_basic``), and use ``client_credentials``. The secret
  is 256 random bits, shown once when the client is added (``mpp oidc add-client``) and
  kept as its SHA-256 only: a value that random needs no slow hash.

A confidential client's access tokens name the client as subject and carry the roles
(and agency) it was added with, as a staff member's token carries theirs.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from authlib.oauth2.rfc6749 import ClientMixin, list_to_scope, scope_to_list
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events import utcnow
from shared.settings import Settings
from shared.web import service_url

__all__ = [
    "OIDC_SCOPES",
    "Client",
    "ClientError",
    "ClientRegistry",
    "platform_clients",
]

OIDC_SCOPES = ("openid", "profile", "email", "phone")
"""The scopes that ask for identity claims (userinfo and ID token)."""

_CLIENT_ID = re.compile(r"^[a-z][a-z0-9._-]{2,63}$")

SignIn = Literal["citizen", "staff"]


class ClientError(ValueError):
    """A client that cannot be added: a malformed id, one taken, or a bad redirect URI."""


@dataclass(frozen=True)
class Client(ClientMixin):
    """One registered client, in the shape Authlib's grants ask about."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    sign_in: SignIn | None = None
    secret_hash: str | None = None
    roles: tuple[str, ...] = ()
    agency: str | None = None
    platform: bool = False
    response_types: tuple[str, ...] = field(default=("code",))

    @property
    def public(self) -> bool:
        return self.secret_hash is None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # A redirect URI must always be named: none is chosen for the client.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(self.scopes)
        return list_to_scope([s for s in scope_to_list(scope) if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match, never a prefix

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(self.secret_hash, _secret_digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint != "token":
            return True
        return method == ("none" if self.public else "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types and "authorization_code" in (self.grant_types)

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def _secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def platform_clients(settings: Settings) -> list[Client]:
    """The platform's own public clients. Each signs its users in at the provider and
    receives the code at the callback of its own pages (the mobile app: its private-use
    scheme, RFC 8252, and a loopback address for its development builds)."""
    portal = service_url(settings, "intake")
    code_flow = ("authorization_code", "refresh_token")
    identity = ("openid", "profile", "email", "phone")
    return [
        Client(
            "portal",
            "Portal Warga MPP Digital",
            (f"{portal}/portal/oidc/callback",),
            code_flow,
            identity,
            "citizen",
            platform=True,
        ),
        Client(
            "mobile",
            "Aplikasi MPP Digital",
            ("id.go.mpp.digital:/oauth/callback", "http://127.0.0.1/oauth/callback"),
            code_flow,
            identity,
            "citizen",
            platform=True,
        ),
        Client(
            "workbench",
            "Meja Kerja Petugas",
            (f"{service_url(settings, 'routing')}/workbench/oidc/callback",),
            ("authorization_code",),
            ("openid", "profile"),
            "staff",
            platform=True,
        ),
        Client(
            "antrean",
            "Antrean MPP: Kios dan Loket",
            (f"{portal}/antrean/oidc/callback",),
            ("authorization_code",),
            ("openid", "profile"),
            "staff",
            platform=True,
        ),
        Client(
            "console",
            "Konsol Audit",
            (f"{service_url(settings, 'audit')}/console/oidc/callback",),
            ("authorization_code",),
            ("openid", "profile"),
            "staff",
            platform=True,
        ),
    ]


class ClientRegistry:
    """The ``oidc_clients`` collection: the one module that reads and writes it."""

    def __init__(self, db: AsyncDatabase, settings: Settings) -> None:
        self.clients = db["oidc_clients"]
        self.settings = settings

    async def seed(self) -> None:
        """Write the platform's own clients as the settings have them now."""
        for client in platform_clients(self.settings):
            document = _document(client)
            created = document.pop("created_at")
            await self.clients.update_one(
                {"_id": client.client_id},
                {"$set": document, "$setOnInsert": {"created_at": created}},
                upsert=True,
            )

    async def find(self, client_id: str) -> Client | None:
        found = await self.clients.find_one({"_id": client_id, "disabled_at": None})
        return _client(found) if found else None

    async def add_confidential(
        self,
        client_id: str,
        name: str,
        *,
        scopes: tuple[str, ...] = (),
        roles: tuple[str, ...] = ("service",),
        agency: str | None = None,
    ) -> str:
        """Add a client for ``client_credentials``; returns its secret, the only time it
        is shown."""
        if not _CLIENT_ID.match(client_id):
            raise ClientError(
                "client_id: 3–64 huruf kecil, angka, titik, minus atau garis bawah, diawali "
                "huruf / client_id: 3-64 lower-case letters, digits, '.', '-' or '_', "
                "starting with a letter"
            )
        secret = secrets.token_urlsafe(32)
        client = Client(
            client_id,
            name,
            grant_types=("client_credentials",),
            scopes=scopes,
            secret_hash=_secret_digest(secret),
            roles=roles,
            agency=agency,
        )
        try:
            await self.clients.insert_one(_document(client))
        except DuplicateKeyError:
            raise ClientError(
                f"client {client_id} sudah ada / client {client_id} exists already"
            ) from None
        return secret

    async def disable(self, client_id: str) -> bool:
        """No more tokens for this client (tokens issued before live out their hour)."""
        result = await self.clients.update_one(
            {"_id": client_id, "disabled_at": None, "platform": False},
            {"$set": {"disabled_at": utcnow()}},
        )
        return result.modified_count == 1

    async def list(self) -> list[Client]:
        found = await self.clients.find({"disabled_at": None}).sort("_id", 1).to_list(None)
        return [_client(row) for row in found]


def _document(client: Client) -> dict[str, Any]:
    return {
        "_id": client.client_id,
        "name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "grant_types": list(client.grant_types),
        "scopes": list(client.scopes),
        "sign_in": client.sign_in,
        "secret_hash": client.secret_hash,
        "roles": list(client.roles),
        "agency": client.agency,
        "platform": client.platform,
        "disabled_at": None,
        "created_at": utcnow(),
    }


def _client(row: dict[str, Any]) -> Client:
    return Client(
        client_id=row["_id"],
        name=row["name"],
        redirect_uris=tuple(row.get("redirect_uris", ())),
        grant_types=tuple(row.get("grant_types", ())),
        scopes=tuple(row.get("scopes", ())),
        sign_in=row.get("sign_in"),
        secret_hash=row.get("secret_hash"),
        roles=tuple(row.get("roles", ())),
        agency=row.get("agency"),
        platform=bool(row.get("platform")),
    )
