"""Signed-in devices: refresh tokens in families, and signing out everywhere.

An access token lives an hour and cannot be called back once issued; a phone should not
ask for the password every hour. So a password sign-in also starts a **family**: a
device's line of refresh tokens. A refresh token is 256 random bits, given to the
client once and stored only as its SHA-256. Using it spends it and returns the next one
of the family (rotation); each lives ``MPP_AUTH_REFRESH_TOKEN_DAYS``.

A spent token presented again means two parties hold the family — the device and
someone who copied a token from it — and identity cannot tell which is which. So the whole
family is revoked (the newest token stops working too) and the answer is 401: the owner
signs in again with the password, the copy is dead (OAuth 2.0 Security Best Current
Practice, RFC 9700, section 4.14.2). Only citizens get refresh tokens.

Signing out everywhere revokes every family of the account and sets
``tokens_valid_after`` on the account: identity refuses access tokens issued before it on
its own endpoints, and so does intake, asking identity (other services verify tokens by
signature alone until they expire).
The issue time is known to the millisecond (the token id is a UUIDv7).
"""

import hashlib
import secrets
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.identity.account_records import AccountRecords
from shared.auth import CitizenPrincipal
from shared.events import utcnow
from shared.ids import uuid7
from shared.problems import Problem
from shared.settings import Settings
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["SessionRefused", "Sessions", "issued_at"]


class SessionRefused(Exception):
    """The refresh token is unknown, expired, spent or of a revoked family."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issued_at(principal: CitizenPrincipal, token_minutes: int) -> datetime:
    """When an access token was issued (to the millisecond, from its UUIDv7 id); for a
    token that does not say, its expiry less the lifetime."""
    if principal.issued_at is not None:
        return principal.issued_at
    return principal.expires_at - timedelta(minutes=token_minutes)


async def forget_sessions_of(db: AsyncDatabase, account_ids: list[Any]) -> None:
    """Every sign-in family of these accounts gone, with its refresh tokens (retention)."""
    families = await db["sessions"].distinct("_id", {"account_id": {"$in": account_ids}})
    if families:
        await db["refresh_tokens"].delete_many({"family_id": {"$in": families}})
    await db["sessions"].delete_many({"account_id": {"$in": account_ids}})


class Sessions:
    VALID_AFTER_SECONDS = 5.0
    """How long a process trusts its copy of an account's ``tokens_valid_after``; a
    sign-out made through another replica takes effect here within this time."""

    def __init__(
        self,
        *,
        mongo: AsyncMongoClient,
        db: AsyncDatabase,
        settings: Settings,
        units: UnitsOfWork | None = None,
    ) -> None:
        self.units = units or UnitsOfWork(mongo)
        self.accounts = db["accounts"]
        self.records = AccountRecords(db)
        self.families = db["sessions"]
        self.tokens = db["refresh_tokens"]
        self.lifetime = timedelta(days=settings.auth_refresh_token_days)
        self.token_minutes = settings.auth_token_minutes
        self._valid_after: OrderedDict[str, tuple[datetime | None, float]] = OrderedDict()

    async def create_indexes(self) -> None:
        await self.families.create_index([("account_id", ASCENDING), ("revoked_at", ASCENDING)])
        await self.tokens.create_index("family_id")
        # Expired rows are dropped by MongoDB; every read checks expires_at as well.
        await self.families.create_index("expires_at", expireAfterSeconds=0)
        await self.tokens.create_index("expires_at", expireAfterSeconds=0)

    # --- refresh tokens ---------------------------------------------------------------

    async def start(self, account_id: str, device_name: str | None) -> str:
        """A new family for a password sign-in; returns its first refresh token."""
        token, _ = await self.open(account_id, device_name)
        return token

    async def open(self, account_id: str, device_name: str | None) -> tuple[str, str]:
        """A new family: its first refresh token and the family's id (the device a
        client names as its session, e.g. the ID token's ``sid``)."""
        now = utcnow()
        family = {
            "_id": uuid7(),
            "account_id": account_id,
            "device_name": device_name,
            "created_at": now,
            "last_used_at": now,
            "expires_at": now + self.lifetime,
            "revoked_at": None,
        }
        token, row = self._new_token(family["_id"], account_id, now)

        async def write(tx: Transaction) -> None:
            await self.families.insert_one(family, session=tx.session)
            await self.tokens.insert_one(row, session=tx.session)

        await self.units.run(write)
        return token, str(family["_id"])

    async def rotate(self, token: str) -> tuple[str, str]:
        """Spend ``token`` and return (account id, the family's next token). A token
        spent before revokes its family; raises :class:`SessionRefused`."""
        digest = _digest(token)
        row = await self.tokens.find_one({"_id": digest})
        now = utcnow()
        if row is None or row["expires_at"] <= now:
            raise SessionRefused
        family = await self.families.find_one({"_id": row["family_id"]})
        if family is None or family["revoked_at"] is not None or family["expires_at"] <= now:
            raise SessionRefused
        new_token, new_row = self._new_token(family["_id"], row["account_id"], now)

        async def spend(tx: Transaction) -> bool:
            spent = await self.tokens.update_one(
                {"_id": digest, "spent_at": None}, {"$set": {"spent_at": now}}, session=tx.session
            )
            if spent.modified_count == 0:
                return False
            revoked = await self.families.update_one(
                {"_id": family["_id"], "revoked_at": None},
                {"$set": {"last_used_at": now, "expires_at": now + self.lifetime}},
                session=tx.session,
            )
            if revoked.modified_count == 0:
                return False
            await self.tokens.insert_one(new_row, session=tx.session)
            return True

        if not await self.units.run(spend):
            await self._revoke_family(family["_id"], "reuse")
            raise SessionRefused
        return row["account_id"], new_token

    def _new_token(
        self, family_id: str, account_id: str, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        token = secrets.token_urlsafe(32)  # 256 bits
        row = {
            "_id": _digest(token),
            "family_id": family_id,
            "account_id": account_id,
            "created_at": now,
            "expires_at": now + self.lifetime,
            "spent_at": None,
        }
        return token, row

    async def _revoke_family(self, family_id: str, reason: str) -> None:
        await self.families.update_one(
            {"_id": family_id, "revoked_at": None},
            {"$set": {"revoked_at": utcnow(), "revoked_reason": reason}},
        )

    # --- devices ----------------------------------------------------------------------

    async def devices(self, account_id: str) -> list[dict[str, Any]]:
        """The account's families still in use, newest first."""
        cursor = self.families.find(
            {"account_id": account_id, "revoked_at": None, "expires_at": {"$gt": utcnow()}}
        ).sort("created_at", -1)
        return await cursor.to_list(200)

    async def revoke_device(self, account_id: str, family_id: str) -> bool:
        result = await self.families.update_one(
            {"_id": family_id, "account_id": account_id, "revoked_at": None},
            {"$set": {"revoked_at": utcnow(), "revoked_reason": "signed_out"}},
        )
        return result.modified_count == 1

    # --- signing out everywhere -------------------------------------------------------

    async def sign_out_everywhere(
        self, account_id: str, session: AsyncClientSession | None = None
    ) -> datetime:
        """Revoke every family and refuse every access token issued until now; inside
        the caller's transaction when given one. Call :meth:`signed_out` after commit."""
        now = utcnow()
        await self.records.tokens_valid_after(account_id, now, session)
        await self.families.update_many(
            {"account_id": account_id, "revoked_at": None},
            {"$set": {"revoked_at": now, "revoked_reason": "signed_out_everywhere"}},
            session=session,
        )
        return now

    def signed_out(self, account_id: str, at: datetime) -> None:
        """Remember a committed sign-out in this process at once."""
        self._valid_after[account_id] = (at, time.monotonic())

    async def refuse_signed_out(self, principal: CitizenPrincipal) -> None:
        """401 for an access token issued before its account signed out everywhere."""
        if not principal.is_citizen:
            return
        valid_after = await self.tokens_valid_after(principal.subject)
        if valid_after is None:
            return
        # BSON keeps milliseconds; so does the token id.
        if issued_at(principal, self.token_minutes) < valid_after.replace(
            microsecond=valid_after.microsecond // 1000 * 1000
        ):
            raise Problem(
                401,
                "Sesi sudah berakhir / Signed out",
                "Akun ini sudah keluar dari semua perangkat; silakan masuk lagi "
                "/ This account was signed out everywhere; sign in again.",
                headers={"WWW-Authenticate": 'Bearer realm="mpp", error="invalid_token"'},
            )

    async def tokens_valid_after(self, account_id: str) -> datetime | None:
        """Since when the account's access tokens count (None: every unexpired one); read
        at most every few seconds per account."""
        cached = self._valid_after.get(account_id)
        if cached is not None and time.monotonic() - cached[1] < self.VALID_AFTER_SECONDS:
            self._valid_after.move_to_end(account_id)
            return cached[0]
        account = await self.accounts.find_one({"_id": account_id}, {"tokens_valid_after": 1})
        value = account.get("tokens_valid_after") if account else None
        self._valid_after[account_id] = (value, time.monotonic())
        self._valid_after.move_to_end(account_id)
        if len(self._valid_after) > 100_000:
            self._valid_after.popitem(last=False)
        return value
