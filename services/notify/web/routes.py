"""Inbox and survey pages: notify serves the notices it keeps, to the citizen signed in
on the portal (one site, so the portal's session cookie comes along; notify verifies
the token with intake's public key, as its API does). Reads and answers go through
notify's own API; the templates come from :mod:`services.notify.deps`.

The survey page also opens without signing in, from a notice's link
(``/surveys/<id>?t=<token>``, :mod:`services.notify.links`): the token goes at once
into a cookie scoped to that one survey's page, and the browser is sent on to the
address without it, so the token does not stay in the address bar or leak in a
``Referer``. The page hands the token to the API in the ``Survey-Token`` header.
"""

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.notify.deps import SURVEY_TOKEN_HEADER, InboxPages
from shared.web import SESSION_COOKIE, bearer, checked_form, local_api

__all__ = ["SURVEY_COOKIE", "inbox_router"]

inbox_router = APIRouter(include_in_schema=False)

SURVEY_COOKIE = "mpp_survey"
"""The survey link's token, for the one survey page it came with."""
_SURVEY_COOKIE_SECONDS = 24 * 3600


def _api(request: Request, survey_token: str | None = None) -> httpx.AsyncClient:
    headers = bearer(request.cookies.get(SESSION_COOKIE))
    if survey_token:
        headers[SURVEY_TOKEN_HEADER] = survey_token
    return local_api(request, headers)


@inbox_router.get("/inbox")
async def inbox(request: Request, pages: InboxPages, page: int = 1) -> Response:
    async with _api(request) as client:
        answer = await client.get("/api/v1/notifications", params={"page": max(page, 1)})
    if answer.status_code != 200:
        return pages.render(request, "citizen_signin.html", 401)
    listing = answer.json()
    more = listing["page"] * listing["page_size"] < listing["total"]
    return pages.render(request, "inbox.html", listing=listing, more=more)


@inbox_router.post("/inbox/{notice_id}/read")
async def mark_read(request: Request, notice_id: str, pages: InboxPages) -> Response:
    await checked_form(request)
    async with _api(request) as client:
        await client.post(f"/api/v1/notifications/{notice_id}/read")
    return pages.redirect(request, "/inbox")


@inbox_router.get("/surveys/{application_id}")
async def survey(
    request: Request, application_id: str, pages: InboxPages, t: str | None = None
) -> Response:
    if t:  # from a notice's link: keep the token for this page only, out of the address
        response = pages.redirect(request, f"/surveys/{application_id}")
        response.set_cookie(
            SURVEY_COOKIE,
            t[:128],
            max_age=_SURVEY_COOKIE_SECONDS,
            path=f"{request.scope.get('root_path', '')}/surveys/{application_id}",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response
    async with _api(request, request.cookies.get(SURVEY_COOKIE)) as client:
        answer = await client.get(f"/api/v1/surveys/{application_id}")
    return _survey_page(request, pages, answer)


@inbox_router.post("/surveys/{application_id}")
async def answer_survey(request: Request, application_id: str, pages: InboxPages) -> Response:
    form = await checked_form(request)
    scores = {f"u{i}": form.get(f"u{i}") for i in range(1, 10)}
    async with _api(request, request.cookies.get(SURVEY_COOKIE)) as client:
        answer = await client.post(f"/api/v1/surveys/{application_id}", json=scores)
        if answer.status_code in (201, 409):
            return pages.redirect(request, f"/surveys/{application_id}?thanks=1")
        current = await client.get(f"/api/v1/surveys/{application_id}")
    if current.status_code != 200:  # refused: nothing is shown, nothing changed
        return pages.render(request, "missing.html", 404)
    chosen = {code: str(value) for code, value in scores.items() if value}
    return pages.render(
        request,
        "survey.html",
        422,
        survey=current.json(),
        errors=_field_errors(answer.json()),
        chosen=chosen,
    )


def _survey_page(request: Request, pages: Any, answer: httpx.Response) -> Response:
    if answer.status_code == 401:
        return pages.render(request, "citizen_signin.html", 401)
    if answer.status_code != 200:
        return pages.render(request, "missing.html", 404)
    return pages.render(request, "survey.html", survey=answer.json(), errors={}, chosen={})


def _field_errors(problem: dict[str, Any]) -> dict[str, str]:
    """The API's validation errors by field, for the form."""
    return {str(e.get("field")): str(e.get("message")) for e in problem.get("errors", [])}
