"""Routing's applications as the agency API reads and marks them, always within one
agency, and the agency API's ``Idempotency-Key`` bindings.

The agency API's handlers (:mod:`services.routing.agency_handlers`) take this
repository, so a unit test can hand them a fake one; every write takes the session of
the unit of work it belongs to.
"""

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.applications import ApplicationRepository

__all__ = ["AgencyApplications"]


class AgencyApplications:
    """The agency API's view: routing's applications (through their one repository)
    and the agency API's key bindings."""

    def __init__(self, applications: ApplicationRepository, db: AsyncDatabase) -> None:
        self.applications = applications
        self.bindings = db["agency_idempotency"]

    async def page(self, agency: str, status: str | None, skip: int, limit: int) -> list[dict]:
        """Up to ``limit`` of the agency's applications (of ``status``), earliest due first."""
        return await self.applications.agency_page(agency, status, skip, limit)

    async def one(
        self, agency: str, application_id: str, fields: dict[str, int] | None = None
    ) -> dict | None:
        """The application when it is the agency's; None for another agency's, as for one
        that does not exist."""
        return await self.applications.of_agency(agency, application_id, fields)

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
        """Show the revoked result document as revoked on its application."""
        return await self.applications.mark_result_revoked(revoked, reason, session)
