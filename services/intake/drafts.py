"""Drafts: a service's form, kept half-filled until the citizen submits it.

An account not yet proven may fill a form but not submit it; a draft keeps its answers
meanwhile. One draft per citizen and service (``_id`` is ``"<citizen id>:<service>"``,
so another citizen's draft cannot even be named), replaced whole on every save, checked
for size and shape only (half a form is rarely valid), dropped by MongoDB
``DRAFT_DAYS`` after its last save. The portal deletes it once its submission is
accepted.
"""

import json
import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import utcnow
from shared.privacy.personal import Personal
from shared.privacy.plain_input import PlainInput

__all__ = ["DRAFT_DAYS", "Draft", "DraftBody", "DraftStore"]

DRAFT_DAYS = 90
MAX_DRAFT_BYTES = 32 * 1024  # as JSON; a catalogue form is a few hundred bytes
MAX_DEPTH = 4
MAX_ITEMS = 200  # keys of one object, or items of one list
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INT64 = range(-(2**63), 2**63)


def _shaped(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"isian bertingkat terlalu dalam / nested deeper than {MAX_DEPTH}")
    if isinstance(value, bool) or value is None or isinstance(value, float | str):
        return
    if isinstance(value, int):
        if value not in INT64:
            raise ValueError("angka terlalu besar / number too large (at most 64-bit integers)")
        return
    if len(value) > MAX_ITEMS:
        raise ValueError(f"terlalu banyak isian / more than {MAX_ITEMS} items")
    if isinstance(value, dict):
        for key, child in value.items():
            if not _KEY.match(key):
                raise ValueError(
                    f"nama isian tidak valid / not a field name: {key[:64]!r} (letters, digits, "
                    "_ and -)"
                )
            _shaped(child, depth + 1)
    else:
        for child in value:
            _shaped(child, depth + 1)


def _draft_data(data: dict[str, Any]) -> dict[str, Any]:
    """Size and shape only; the catalogue's rules apply when the form is submitted."""
    _shaped(data)
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_DRAFT_BYTES:
        raise ValueError(
            f"draf terlalu besar / the draft is larger than {MAX_DRAFT_BYTES // 1024} KB"
        )
    return data


DraftData = Annotated[dict[str, Any], AfterValidator(_draft_data)]


class DraftBody(PlainInput):
    model_config = ConfigDict(extra="forbid")

    region: str = Field(pattern=r"^[0-9]{4}$", examples=["3576"])
    data: DraftData = Field(
        default_factory=dict,
        examples=[{"purpose": "melamar_kerja"}],
        description="The form's answers so far, as they would be submitted.",
    )


class Draft(BaseModel):
    service: str
    region: str
    data: dict[str, Any]
    updated_at: datetime
    expires_at: datetime = Field(description=f"{DRAFT_DAYS} days after the last save.")


class DraftStore:
    """The ``drafts`` collection; every read and write is bound to one citizen. The
    answers rest sealed under the citizen's key (docs/privacy.md): a half-filled form
    may hold anything about them."""

    def __init__(
        self,
        db: AsyncDatabase,
        personal: Personal,
        keep: timedelta = timedelta(days=DRAFT_DAYS),
    ) -> None:
        self.drafts = db["drafts"]
        self.personal = personal
        self.keep = keep

    async def create_indexes(self) -> None:
        await self.drafts.create_index("expires_at", expireAfterSeconds=0)
        await self.drafts.create_index([("citizen_id", 1), ("updated_at", -1)])

    async def save(
        self, citizen_id: str, service: str, region: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        now = utcnow()
        fields = {
            "citizen_id": citizen_id,
            "service": service,
            "region": region,
            "data": await self.personal.seal(citizen_id, data),
            "updated_at": now,
            "expires_at": now + self.keep,
        }
        return await self._opened(
            await self.drafts.find_one_and_replace(
                {"_id": _id(citizen_id, service)},
                fields,
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        )

    async def _opened(self, document: dict[str, Any] | None) -> Any:
        if document is not None:
            data = await self.personal.open(document["data"], document["citizen_id"])
            document["data"] = data if isinstance(data, dict) else {}
        return document

    async def mine(self, citizen_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first; expired ones MongoDB has not swept yet are left out."""
        found = self.drafts.find(
            {"citizen_id": citizen_id, "expires_at": {"$gt": utcnow()}},
            sort=[("updated_at", -1)],
        )
        return [await self._opened(draft) for draft in await found.to_list(limit)]

    async def find(self, citizen_id: str, service: str) -> dict[str, Any] | None:
        return await self._opened(  # type: ignore[no-any-return]
            await self.drafts.find_one(
                {"_id": _id(citizen_id, service), "expires_at": {"$gt": utcnow()}}
            )
        )

    async def erase_all(self, citizen_id: str) -> int:
        """Every draft of the citizen gone (their account is being erased); how many."""
        result = await self.drafts.delete_many({"citizen_id": citizen_id})
        return result.deleted_count

    async def delete(self, citizen_id: str, service: str) -> bool:
        result = await self.drafts.delete_one({"_id": _id(citizen_id, service)})
        return result.deleted_count == 1


def _id(citizen_id: str, service: str) -> str:
    return f"{citizen_id}:{service}"
