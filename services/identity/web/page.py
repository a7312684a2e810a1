"""What an account page's route receives: the request with identity's account pages and
identity's own API called in process as the browser's session
(:func:`shared.web.local_api`, the ``mpp_session`` cookie as the bearer)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from shared.web import SESSION_COOKIE, Pages, bearer, local_api, remember, service_url

__all__ = ["AccountPage", "IdentityApi", "PageDep"]


@dataclass(frozen=True)
class AccountPage:
    request: Request
    pages: Pages

    @property
    def signed_in(self) -> bool:
        return bool(self.request.cookies.get(SESSION_COOKIE))

    def render(self, template: str, code: int = 200, **context: Any) -> Response:
        """``template`` in the citizen's frame; the pages say how long a code lasts."""
        response = self.pages.render(
            self.request,
            template,
            code,
            code_minutes=self.pages.settings.auth_code_minutes,
            **context,
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def redirect(self, path: str) -> RedirectResponse:
        """To another account page, after a successful post."""
        return self.pages.redirect(self.request, path)

    def to_portal(self, path: str) -> RedirectResponse:
        """To a page of the portal (intake's pages, at their address)."""
        response = RedirectResponse(
            service_url(self.pages.settings, "intake") + path, status_code=303
        )
        remember(self.request, response)
        return response

    def sign_in_first(self, back: str = "/portal/security") -> RedirectResponse:
        """To the account pages' sign-in (``/account/signin``: the portal's, at the
        provider), then back to ``back``, a portal address (the portal's old addresses
        of these pages lead here)."""
        return self.redirect(f"/account/signin?next={quote(back)}")


def _page(request: Request) -> AccountPage:
    return AccountPage(request, request.app.state.account_pages)


async def _api(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    async with local_api(request, bearer(request.cookies.get(SESSION_COOKIE))) as client:
        yield client


PageDep = Annotated[AccountPage, Depends(_page)]
IdentityApi = Annotated[httpx.AsyncClient, Depends(_api)]
