"""What every workbench page shares: the officer the cookie names, rendering with who is
signed in, the sign-in at the identity service's provider, and the officers' internal
notes.

:func:`services.routing.web.mount_web` makes one :class:`Workbench` per app and
keeps it on ``app.state``; the provider at the end hands it to the workbench's routes
through ``Depends``.
"""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import CitizenPrincipal, InvalidToken, TokenVerifier
from shared.catalogue import Catalogue
from shared.web import Pages
from shared.web.code_flow import CodeFlow
from shared.web.signin import AreaSignIn

__all__ = [
    "SIGNED_OUT_ANSWERS",
    "STAFF_COOKIE",
    "WORKBENCH",
    "Desk",
    "Workbench",
    "WorkbenchNotes",
    "service_names",
    "workbench",
]

FINANCE_ROLES = frozenset({"finance_officer", "region_admin"})
"""Region staff whose workbench page is the reconciliation, not the agency's queue."""

STAFF_COOKIE = "mpp_workbench"
"""The signed-in officer's access token (signed by the identity service's provider), for
``/workbench`` only."""
WORKBENCH = AreaSignIn(STAFF_COOKIE, "/workbench")
SIGNED_OUT_ANSWERS = (401, 403)
"""The agency API's answers that send the officer back to the sign-in page: no valid
credential, or one that is not an agency staff member's."""


class WorkbenchNotes:
    """Internal notes between an agency's officers on an application; the citizen never
    sees them."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.rows = db["workbench_notes"]

    async def of(self, application_id: str, agency: str) -> list[dict[str, Any]]:
        """The application's notes, oldest first."""
        found = self.rows.find({"application_id": application_id, "agency": agency})
        return await found.sort("at", 1).to_list(200)

    async def add(self, note: dict[str, Any]) -> None:
        await self.rows.insert_one(note)

    async def forget(self, application_ids: list[Any]) -> None:
        """The notes of applications past their retention period."""
        await self.rows.delete_many({"application_id": {"$in": application_ids}})


class Workbench:
    """The pages' frame, the catalogue, the notes, and the sign-in: ``flow`` is the
    workbench's code flow at the provider (its ``transport`` lets a test put identity in
    the same process)."""

    def __init__(self, pages: Pages, catalogue: Catalogue, notes: WorkbenchNotes) -> None:
        self.pages = pages
        self.catalogue = catalogue
        self.notes = notes
        self.tokens = TokenVerifier(pages.settings)
        self.flow = CodeFlow("workbench", WORKBENCH.area, "routing", pages.settings)

    async def officer_of(self, request: Request) -> CitizenPrincipal | None:
        """The officer the cookie names (signature and expiry only: the agency API checks
        the rest on every call). A fetch of the issuer's keys, when one is due, never
        holds up the event loop."""
        token = WORKBENCH.credential(request)
        if not token:
            return None
        try:
            return await self.tokens.verify_async(token)
        except InvalidToken:
            return None

    async def render(
        self, request: Request, template: str, code: int = 200, **context: Any
    ) -> Response:
        officer = await self.officer_of(request)
        return self.pages.render(
            request,
            template,
            code,
            signed_in=officer is not None,
            officer=(officer.name or officer.subject) if officer else None,
            finance=bool(officer and FINANCE_ROLES & set(officer.roles)),
            **context,
        )

    def sign_in_first(self, request: Request) -> Response:
        """To the sign-in, the refused credential deleted; a page the officer opened is
        where they come back to once signed in."""
        wanted = None
        if request.method == "GET":
            query = request.url.query
            wanted = request.scope["path"] + (f"?{query}" if query else "")
        return WORKBENCH.sign_in_first(self.pages, request, forget=True, after=wanted)


def service_names(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Each service's name in both languages, by its code."""
    return {service.code: service.name.model_dump() for service in catalogue.services}


def workbench(request: Request) -> Workbench:
    return request.app.state.workbench


Desk = Annotated[Workbench, Depends(workbench)]
