"""Notify's own projection of citizens' contacts and notification preferences.

Intake owns accounts and publishes ``AccountContactsChanged`` on the accounts topic
whenever a citizen's contacts or preferences change. Notify keeps the newest version of
each citizen's in its own database (it never reads intake's): an update is applied only
when its ``profile_version`` is higher than the stored one, so redelivered or reordered
events can never roll a citizen back to an old address.

A citizen notify has not heard about yet is told in Bahasa Indonesia, in the app only.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events import ContactsData
from shared.mongo import find_in
from shared.privacy.personal import ERASED, Personal

__all__ = ["Contacts", "ContactsStore"]


@dataclass(frozen=True)
class Contacts:
    citizen_id: str
    language: str = "id"
    channels: tuple[str, ...] = ("in_app",)
    email: str | None = None
    phone: str | None = None
    profile_version: int = 0
    push: bool = False
    """Whether the citizen has a device registered for push (notify's ``devices``)."""


def _contacts(citizen_id: str, document: dict[str, Any] | None) -> Contacts:
    if document is None:
        return Contacts(citizen_id=citizen_id)
    return Contacts(
        citizen_id=citizen_id,
        language=document.get("language", "id"),
        channels=tuple(document.get("channels") or ("in_app",)),
        email=document.get("email"),
        phone=document.get("phone"),
        profile_version=document["profile_version"],
    )


class ContactsStore:
    """The email and phone rest as intake sealed them, under the citizen's key; they are
    opened when read, and read as absent once the citizen's key is destroyed."""

    def __init__(self, db: AsyncDatabase, personal: Personal) -> None:
        self._contacts = db["contacts"]
        self._personal = personal

    async def get(self, citizen_id: str) -> Contacts:
        found = await self._contacts.find_one({"_id": citizen_id})
        return _contacts(citizen_id, await self._opened(found))

    async def get_many(self, citizen_ids: Collection[str]) -> dict[str, Contacts]:
        """Every citizen's contacts in one query (defaults for those not heard of)."""
        found = {d["_id"]: d for d in await find_in(self._contacts, "_id", list(citizen_ids))}
        return {
            citizen: _contacts(citizen, await self._opened(found.get(citizen)))
            for citizen in citizen_ids
        }

    async def _opened(self, document: dict[str, Any] | None) -> dict[str, Any] | None:
        opened = await self._personal.open_fields(
            document, ("email", "phone"), document["_id"] if document else ""
        )
        if opened is not None:
            for field in ("email", "phone"):
                if opened.get(field) == ERASED:
                    opened[field] = None
        return opened

    async def apply(self, data: ContactsData) -> bool:
        """Store ``data`` unless a newer version is already stored; True when applied."""
        fields = {
            "language": data.language,
            "channels": list(dict.fromkeys(data.channels)),
            "email": data.email,
            "phone": data.phone,
            "profile_version": data.profile_version,
        }
        try:
            result = await self._contacts.update_one(
                {"_id": data.citizen_id, "profile_version": {"$lt": data.profile_version}},
                {"$set": fields},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # a newer (or the same) version is stored: the upsert collided
        return result.modified_count > 0 or result.upserted_id is not None

    async def erase(self, citizen_id: str) -> None:
        """An erased account: its contacts are deleted (and were unreadable already)."""
        self._personal.vault.forget(citizen_id)
        await self._contacts.delete_one({"_id": citizen_id})
