"""Routing's applications as the agency API reads and marks them, always within one
agency, and the agency API's ``Idempotency-Key`` bindings.

The agency API's handlers (:mod:`services.routing.agency_handlers`) take this
repository, so a unit test can hand them a fake one; every write takes the session of
the unit of work it belongs to.
"""

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["AgencyApplications"]

_LISTED = {"form": 0, "documents": 0}
"""A queue page leaves out the heavy fields its items never show."""


class AgencyApplications:
    def __init__(self, db: AsyncDatabase) -> None:
        self.rows = db["applications"]
        self.bindings = db["agency_idempotency"]

    async def page(self, agency: str, status: str | None, skip: int, limit: int) -> list[dict]:
        """Up to ``limit`` of the agency's applications (of ``status``), earliest due first."""
        query: dict[str, Any] = {"agency": agency}
        if status is not None:
            query["status"] = status
        return (
            await self.rows.find(query, _LISTED)
            .sort([("sla_due_at", 1), ("_id", 1)])
            .skip(skip)
            .limit(limit)
            .to_list(limit)
        )

    async def one(
        self, agency: str, application_id: str, fields: dict[str, int] | None = None
    ) -> dict | None:
        """The application when it is the agency's; None for another agency's, as for one
        that does not exist."""
        return await self.rows.find_one({"_id": application_id, "agency": agency}, fields)

    async def binding(self, binding_id: str) -> dict | None:
        """What an ``Idempotency-Key`` was first used for (``<agency>:<key>``)."""
        return await self.bindings.find_one({"_id": binding_id})

    async def bind(self, binding: dict, session: AsyncClientSession) -> None:
        """Bind a key to its change; raises ``DuplicateKeyError`` when another request
        bound it first."""
        await self.bindings.insert_one(binding, session=session)

    async def mark_revoked(
        self, revoked: dict, reason: str, session: AsyncClientSession
    ) -> dict | None:
        """Show the revoked result document as revoked on its application (the workbench
        and the agency API read it there); the application's region and correlation id,
        or None when it is gone."""
        application_id = revoked["application_id"]
        application = await self.rows.find_one(
            {"_id": application_id},
            {"region": 1, "correlation_id": 1, "results": 1},
            session=session,
        )
        if application is None:
            return None
        marked = [
            {**r, "revoked_at": revoked["revoked_at"], "revocation_reason": reason}
            if r["code"] == revoked["_id"]
            else r
            for r in application.get("results") or []
        ]
        await self.rows.update_one(
            {"_id": application_id}, {"$set": {"results": marked}}, session=session
        )
        return application
