"""What staff did to a citizen's account, kept for the citizen to see.

A counter operator, a mobile unit or a supervisor acts on an account the citizen is not
signed in to: filling missing profile fields at a counter, proving the NIK with the KTP
in hand, taking a mistaken proof back. Each such change is one entry here, written in
the same transaction as the change itself, naming the staff member (their username) and
where they act from. The citizen reads their entries at ``GET /api/v1/me/history`` and
in "download my data".

An entry holds no personal data in plain text: the account id, the staff username, the
names of the fields (never their values) and, for a revocation, the supervisor's reason
sealed under the citizen's key — so an erasure leaves nothing readable behind.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import utcnow
from shared.ids import uuid7
from shared.privacy.personal import ERASED, Personal

__all__ = ["AccountHistory", "Actor", "Kind"]

Kind = Literal["profile_filled", "nik_proven", "nik_proof_revoked"]


@dataclass(frozen=True)
class Actor:
    """The staff member who acted: their role, username, and the MPP region or agency
    they are bound to."""

    kind: Literal["counter", "mobile_unit", "supervisor"]
    id: str
    region: str | None = None
    agency: str | None = None


async def erase_history(
    db: AsyncDatabase, citizen_id: str, session: AsyncClientSession | None
) -> None:
    """Every entry of the citizen's history gone (erasure)."""
    await db["account_history"].delete_many({"citizen_id": citizen_id}, session=session)


class AccountHistory:
    """Entries in identity's ``account_history`` collection, newest first per citizen."""

    def __init__(self, db: AsyncDatabase, personal: Personal) -> None:
        self.entries = db["account_history"]
        self.personal = personal

    async def create_indexes(self) -> None:
        await self.entries.create_index([("citizen_id", 1), ("at", -1)])

    async def entry(
        self,
        citizen_id: str,
        kind: Kind,
        actor: Actor,
        *,
        fields: list[str] | None = None,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """An entry ready to insert (the reason sealed now, outside any transaction)."""
        return {
            "_id": uuid7(),
            "citizen_id": citizen_id,
            "at": at or utcnow(),
            "kind": kind,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "region": actor.region,
            "agency": actor.agency,
            "fields": list(fields or []),
            "reason": None if reason is None else await self.personal.seal(citizen_id, reason),
        }

    async def add(self, entry: dict[str, Any], session: AsyncClientSession | None = None) -> None:
        await self.entries.insert_one(entry, session=session)

    async def of(self, citizen_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The citizen's entries, newest first, reasons opened (``None`` once erased)."""
        found = self.entries.find({"citizen_id": citizen_id}, {"citizen_id": 0})
        entries = []
        for entry in await found.sort("at", -1).to_list(limit):
            reason = entry["reason"]
            if reason is not None:
                opened = await self.personal.open(reason, citizen_id)
                reason = None if opened == ERASED else opened
            entries.append({**entry, "id": entry.pop("_id"), "reason": reason})
        return entries
