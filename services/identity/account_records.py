"""The ``accounts`` collection's one writer: every change to a stored account, named for
what it means, each inside the caller's transaction when one is given.

Registration, profile changes, proofs of contacts and NIK, freezing, signing out
everywhere, password resets and erasure all change an account; they do it here, so a
field's meaning (``frozen_at``, ``tokens_valid_after``, ``nik_verification``) is written
one way only. Reads stay with whoever needs them.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["AccountRecords"]

Session = AsyncClientSession | None


class AccountRecords:
    """Writes to ``accounts``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.accounts = db["accounts"]

    async def insert(self, stored: dict[str, Any], session: Session) -> None:
        """A new account (raises DuplicateKeyError for a taken email)."""
        await self.accounts.insert_one(stored, session=session)

    async def change_profile(
        self, account_id: str, changes: dict[str, Any], bump_version: bool, session: Session
    ) -> dict[str, Any] | None:
        """The holder's own change; the account after it, without its password hash."""
        found: dict[str, Any] | None = await self.accounts.find_one_and_update(
            {"_id": account_id},
            {"$set": changes, "$inc": {"profile_version": 1 if bump_version else 0}},
            projection={"password_hash": 0},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return found

    async def fill_unless_changed(
        self, account_id: str, seen_at: datetime, changes: dict[str, Any], session: Session
    ) -> bool:
        """A counter's fill of empty fields, only if the account is as it was read (its
        ``updated_at``); False when it changed meanwhile."""
        done = await self.accounts.update_one(
            {"_id": account_id, "updated_at": seen_at}, {"$set": changes}, session=session
        )
        return done.matched_count == 1

    async def set_fields(self, account_id: str, changes: dict[str, Any], session: Session) -> None:
        """Fields set as they are given (a new password hash, a recovery's change)."""
        await self.accounts.update_one({"_id": account_id}, {"$set": changes}, session=session)

    async def contact_proven(
        self, account_id: str, channel: str, as_stored: Any, now: datetime, session: Session
    ) -> bool:
        """The email or phone marked verified, only if it is still the one the code was
        sent to; False when it changed meanwhile."""
        done = await self.accounts.update_one(
            {"_id": account_id, channel: as_stored},
            {"$set": {f"{channel}_verified": True, "updated_at": now}},
            session=session,
        )
        return done.matched_count == 1

    async def tokens_valid_after(self, account_id: str, moment: datetime, session: Session) -> None:
        """Every access token issued before ``moment`` refused (signing out everywhere)."""
        await self.accounts.update_one(
            {"_id": account_id}, {"$set": {"tokens_valid_after": moment}}, session=session
        )

    async def freeze(
        self,
        account_id: str,
        reason: str,
        now: datetime,
        session: Session,
        *,
        drop_nik_proof: bool = False,
    ) -> None:
        """Frozen for ``reason`` (``nik_proven_by_another``, ``nik_proof_revoked``)."""
        update: dict[str, Any] = {"$set": {"frozen_at": now, "frozen_reason": reason}}
        if drop_nik_proof:
            update["$set"]["updated_at"] = now
            update["$unset"] = {"nik_verification": ""}
        await self.accounts.update_one({"_id": account_id}, update, session=session)

    async def unfreeze(self, account_id: str, session: Session) -> None:
        """Back in use: a KTP in hand said it is the holder's."""
        await self.accounts.update_one(
            {"_id": account_id}, {"$unset": {"frozen_at": "", "frozen_reason": ""}}, session=session
        )

    async def drop_nik_proof(self, account_id: str, session: Session) -> None:
        """Its NIK proof taken away (a stronger proof went to another account)."""
        await self.accounts.update_one(
            {"_id": account_id}, {"$unset": {"nik_verification": ""}}, session=session
        )

    async def nik_proven(
        self, account_id: str, changes: dict[str, Any], session: Session
    ) -> dict[str, Any]:
        """The NIK proof (and the name as on the KTP, sealed) stored; the account after."""
        updated: dict[str, Any] = await self.accounts.find_one_and_update(
            {"_id": account_id},
            {"$set": changes},
            projection={"password_hash": 0},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return updated

    async def erase(
        self, account_id: str, personal_fields: Iterable[str], now: datetime, session: Session
    ) -> None:
        """Closed and emptied of personal data, its sign-in gone; the id stays for the
        records that name it."""
        await self.accounts.update_one(
            {"_id": account_id},
            {
                "$unset": {
                    **dict.fromkeys(personal_fields, ""),
                    "nik_index": "",
                    "email_index": "",
                    "password_hash": "",
                },
                "$set": {"closed_at": now, "erased_at": now, "roles": [], "updated_at": now},
            },
            session=session,
        )
