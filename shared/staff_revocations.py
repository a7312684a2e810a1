"""When a staff account's tokens stop being good: per username, the moment before which
its tokens are refused, and whether it was disabled for good.

Identity announces every disable and password reset as ``staff.access_revoked`` on the
staff topic. Each service that checks staff tokens — routing for agency officers, intake
for the MPP's queue kiosks and counter officers — reads the topic with a group of its
own and keeps its own copy in its own database (services never read each other's), and
checks it on every request, so a disabled account is refused within the seconds the
event takes to arrive rather than when its token expires.
"""

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import CitizenPrincipal

__all__ = ["StaffRevocations"]


class StaffRevocations:
    """Per username: when the account was disabled, and the time before which its tokens
    are refused."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.rows = db["staff_revocations"]

    async def record(self, username: str, at: datetime, *, disabled: bool) -> None:
        """Refuse the tokens ``username`` was issued before ``at``; with ``disabled``, all
        of them, for good. Keeps the latest moment and the first disabling."""
        update: dict = {"$max": {"tokens_valid_after": at}}
        if disabled:
            update["$min"] = {"disabled_at": at}
        await self.rows.update_one({"_id": username}, update, upsert=True)

    async def allows(self, principal: CitizenPrincipal) -> bool:
        row = await self.rows.find_one({"_id": principal.subject})
        if row is None:
            return True
        if row.get("disabled_at") is not None:
            return False
        after = row.get("tokens_valid_after")
        if after is None:
            return True
        return principal.issued_at is not None and principal.issued_at >= after
