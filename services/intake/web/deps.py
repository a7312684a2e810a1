"""What a portal route receives: its :class:`Page` and intake's API, read from
``app.state``, so a route only reads its form, calls the API and answers.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pymongo.asynchronous.collection import AsyncCollection

from services.intake.web.client import api
from shared.catalogue import Catalogue
from shared.web import SESSION_COOKIE, Pages

__all__ = [
    "Applications",
    "IntakeApi",
    "Page",
    "PageDep",
    "intake_api",
    "page",
    "region_names",
    "signed_in",
]


def signed_in(request: Request) -> bool:
    """Whether the browser holds a portal session (the ``mpp_session`` cookie, the access
    token; the portal keeps no refresh token: a page session lasts one access token)."""
    return bool(request.cookies.get(SESSION_COOKIE))


@dataclass(frozen=True)
class Page:
    """The request a page answers, with the portal's templates and the catalogue."""

    request: Request
    pages: Pages
    catalogue: Catalogue

    @property
    def signed_in(self) -> bool:
        return signed_in(self.request)

    def render(self, template: str, code: int = 200, **context: Any) -> Response:
        """``template`` in the portal's frame; every page says whether one is signed in
        and how long a one-time code lasts (the account pages state it)."""
        return self.pages.render(
            self.request,
            template,
            code,
            signed_in=self.signed_in,
            code_minutes=self.pages.settings.auth_code_minutes,
            **context,
        )

    def missing(self, code: int = 404) -> Response:
        return self.render("missing.html", code)

    def redirect(self, path: str) -> RedirectResponse:
        return self.pages.redirect(self.request, path)

    def sign_in_first(self) -> RedirectResponse:
        """To the sign-in page, and back to this page once signed in."""
        return self.redirect(f"/portal/signin?next={self.request.url.path}")


def region_names(page: Page) -> dict[str, str]:
    """Each region's name by its code: a page names a region, never shows its code."""
    return {region.code: region.name for region in page.catalogue.regions}


def page(request: Request) -> Page:
    state = request.app.state
    return Page(request, state.pages, state.runtime.catalogue)


async def intake_api(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """Intake's own API, called in process as the browser's session."""
    async with api(request) as client:
        yield client


def applications(request: Request) -> AsyncCollection[dict[str, Any]]:
    return request.app.state.runtime.db["applications"]


PageDep = Annotated[Page, Depends(page)]
IntakeApi = Annotated[httpx.AsyncClient, Depends(intake_api)]
Applications = Annotated[AsyncCollection[dict[str, Any]], Depends(applications)]
