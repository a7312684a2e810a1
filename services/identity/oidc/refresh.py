"""Which client a refresh token was issued to, and for what.

The tokens themselves, their families, rotation and reuse detection are
:class:`services.identity.sessions.Sessions`' (one family per device, a spent token
presented again revokes the family). The provider adds what OpenID Connect needs
besides: the client the token is bound to (another client presenting it is refused),
the scope it was granted, and when the person signed in. One document of
``oidc_refresh_tokens`` per token, keyed by its SHA-256 like the session's own row.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from shared.events import utcnow

__all__ = ["RefreshGrant", "RefreshGrants"]


@dataclass(frozen=True)
class RefreshGrant:
    """A refresh token as the token endpoint checks it (the plaintext is the caller's)."""

    token: str
    client_id: str
    scope: str
    subject: str
    auth_time: int
    family_id: str | None

    def get_scope(self) -> str:
        return self.scope

    def check_client(self, client: object) -> bool:
        return getattr(client, "client_id", None) == self.client_id

    def is_expired(self) -> bool:
        return False  # Sessions.rotate decides

    def is_revoked(self) -> bool:
        return False  # Sessions.rotate decides


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshGrants:
    """The ``oidc_refresh_tokens`` collection: the one module that touches it."""

    def __init__(self, db: AsyncDatabase, lifetime_days: int) -> None:
        self.grants = db["oidc_refresh_tokens"]
        self.lifetime = timedelta(days=lifetime_days)

    async def create_indexes(self) -> None:
        await self.grants.create_index("expires_at", expireAfterSeconds=0)

    async def remember(self, token: str, grant: RefreshGrant) -> None:
        now = utcnow()
        await self.grants.insert_one(
            {
                "_id": _digest(token),
                "client_id": grant.client_id,
                "scope": grant.scope,
                "subject": grant.subject,
                "auth_time": grant.auth_time,
                "family_id": grant.family_id,
                "created_at": now,
                "expires_at": now + self.lifetime,
            }
        )

    async def find(self, token: str) -> RefreshGrant | None:
        row = await self.grants.find_one({"_id": _digest(token)})
        if row is None:
            return None
        return RefreshGrant(
            token=token,
            client_id=row["client_id"],
            scope=row["scope"],
            subject=row["subject"],
            auth_time=row["auth_time"],
            family_id=row.get("family_id"),
        )
