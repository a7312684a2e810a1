"""Staff signed in to one area of a service's pages, by a cookie scoped to that area.

Officers (routing's ``/workbench``) and auditors (audit's ``/console``) sign in on a
page of their own area; the credential they proved there (an access token, an auditor
key) is kept in an HttpOnly, SameSite=Lax cookie whose path is the area, Secure over
HTTPS, sent as a bearer credential to the service's own API on every page, and deleted
on signing out. How a credential is checked stays with each service.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.web import Pages, bearer, checked_form, local_api

__all__ = ["AreaSignIn"]


@dataclass(frozen=True)
class AreaSignIn:
    """The sign-in of one area: its cookie's name and its path (``/console``)."""

    cookie: str
    area: str

    def credential(self, request: Request) -> str | None:
        return request.cookies.get(self.cookie)

    def api(self, request: Request) -> httpx.AsyncClient:
        """The service's own API, called with the credential the cookie keeps."""
        return local_api(request, bearer(self.credential(request)))

    def signed_in(
        self,
        pages: Pages,
        request: Request,
        credential: str,
        max_age: int | None = None,
        to: str | None = None,
    ) -> Response:
        """To ``to`` (a page of the area; else its first page), the credential kept (for
        ``max_age`` seconds, else for the browser's session)."""
        response = pages.redirect(request, to or f"{self.area}/")
        response.set_cookie(
            self.cookie,
            credential,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path=self.area,
        )
        return response

    def sign_in_first(
        self, pages: Pages, request: Request, *, forget: bool = False, after: str | None = None
    ) -> Response:
        """To the area's sign-in page (``?next=after``, the page to come back to);
        ``forget`` deletes a credential that was refused."""
        query = f"?{urlencode({'next': after})}" if after else ""
        response = pages.redirect(request, f"{self.area}/signin{query}")
        if forget:
            response.delete_cookie(self.cookie, path=self.area)
        return response

    def add_signout(self, router: APIRouter, pages: Pages) -> None:
        """``POST <area>/signout``: the credential deleted, back to the sign-in page."""

        async def signout(request: Request) -> Response:
            await checked_form(request)
            return self.sign_in_first(pages, request, forget=True)

        router.add_api_route(f"{self.area}/signout", signout, methods=["POST"])
