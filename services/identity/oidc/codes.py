"""Authorization codes: one sign-in, exchanged once, by the client it was issued to.

A code is 256 random bits kept as its SHA-256 (``oidc_authorization_codes``), bound to
the client, the redirect URI, the PKCE challenge, the scope and the nonce of the
request that made it, and valid ``MPP_OIDC_CODE_SECONDS``. Exchanging it claims it
atomically, so two exchanges racing cannot both win. A code presented again after its
exchange means it leaked: the refresh-token family it started is revoked (RFC 6749,
section 4.1.2) — the access token it gave cannot be called back and lives out its hour.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.oidc.core import AuthorizationCodeMixin
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import utcnow

__all__ = ["AuthorizationCodes", "IssuedCode", "code_digest"]


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedCode(AuthorizationCodeMixin):
    """A stored code, as Authlib's grants read it."""

    digest: str
    client_id: str
    redirect_uri: str
    scope: str
    subject: str
    kind: str
    auth_time: int
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    used_at: datetime | None
    family_id: str | None
    device_name: str | None = None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


class AuthorizationCodes:
    """The ``oidc_authorization_codes`` collection: the one module that touches it."""

    def __init__(self, db: AsyncDatabase, lifetime_seconds: int) -> None:
        self.codes = db["oidc_authorization_codes"]
        self.lifetime = timedelta(seconds=lifetime_seconds)

    async def create_indexes(self) -> None:
        await self.codes.create_index([("client_id", ASCENDING), ("nonce", ASCENDING)])
        # Kept past its lifetime for a while, so a late replay still revokes what the
        # code gave; then dropped by MongoDB.
        await self.codes.create_index("drop_at", expireAfterSeconds=0)

    async def save(self, code: str, fields: dict[str, Any]) -> None:
        now = utcnow()
        await self.codes.insert_one(
            {
                "_id": code_digest(code),
                **fields,
                "created_at": now,
                "expires_at": now + self.lifetime,
                "drop_at": now + timedelta(days=1),
                "used_at": None,
                "family_id": None,
            }
        )

    async def find(self, code: str) -> IssuedCode | None:
        """The code while it may still be presented (used or not); None once expired."""
        row = await self.codes.find_one({"_id": code_digest(code)})
        if row is None or row["expires_at"] <= utcnow():
            return None
        return _issued(row)

    async def claim(self, digest: str) -> bool:
        """Spend the code; False when it was spent already (the caller lost a race)."""
        result = await self.codes.update_one(
            {"_id": digest, "used_at": None}, {"$set": {"used_at": utcnow()}}
        )
        return result.modified_count == 1

    async def gave(self, digest: str, family_id: str | None) -> None:
        """Remember the refresh-token family the exchange started."""
        await self.codes.update_one({"_id": digest}, {"$set": {"family_id": family_id}})

    async def find_by_digest(self, digest: str) -> IssuedCode | None:
        """The code read again (with what its exchange gave), expired or not."""
        row = await self.codes.find_one({"_id": digest})
        return _issued(row) if row else None

    async def nonce_seen(self, client_id: str, nonce: str) -> bool:
        """Whether this client sent this nonce before (a replayed request)."""
        return await self.codes.find_one({"client_id": client_id, "nonce": nonce}) is not None


def _issued(row: dict[str, Any]) -> IssuedCode:
    return IssuedCode(
        digest=row["_id"],
        client_id=row["client_id"],
        redirect_uri=row["redirect_uri"],
        scope=row.get("scope", ""),
        subject=row["subject"],
        kind=row["kind"],
        auth_time=row["auth_time"],
        nonce=row.get("nonce"),
        code_challenge=row.get("code_challenge"),
        code_challenge_method=row.get("code_challenge_method"),
        used_at=row.get("used_at"),
        family_id=row.get("family_id"),
        device_name=row.get("device_name"),
    )
