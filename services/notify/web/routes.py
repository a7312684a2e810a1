"""Inbox and survey pages: notify serves the notices it keeps, to the citizen signed in
on the portal (one site, so the portal's session cookie comes along; notify verifies
the token with intake's public key, as its API does). Reads and answers go through
notify's own API; the templates come from :mod:`services.notify.deps`."""

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.notify.deps import InboxPages
from shared.web import SESSION_COOKIE, bearer, checked_form, local_api

__all__ = ["inbox_router"]

inbox_router = APIRouter(include_in_schema=False)


def _api(request: Request) -> httpx.AsyncClient:
    return local_api(request, bearer(request.cookies.get(SESSION_COOKIE)))


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
async def survey(request: Request, application_id: str, pages: InboxPages) -> Response:
    async with _api(request) as client:
        answer = await client.get(f"/api/v1/surveys/{application_id}")
    if answer.status_code == 401:
        return pages.render(request, "citizen_signin.html", 401)
    if answer.status_code != 200:
        return pages.render(request, "missing.html", 404)
    return pages.render(request, "survey.html", survey=answer.json(), errors={})


@inbox_router.post("/surveys/{application_id}")
async def answer_survey(request: Request, application_id: str, pages: InboxPages) -> Response:
    form = await checked_form(request)
    scores = {f"u{i}": form.get(f"u{i}") for i in range(1, 10)}
    async with _api(request) as client:
        answer = await client.post(f"/api/v1/surveys/{application_id}", json=scores)
        if answer.status_code in (201, 409):
            return pages.redirect(request, f"/surveys/{application_id}?thanks=1")
        current = await client.get(f"/api/v1/surveys/{application_id}")
    if current.status_code != 200:
        return pages.render(request, "missing.html", 404)
    errors = _field_errors(answer.json())
    return pages.render(request, "survey.html", 422, survey=current.json(), errors=errors)


def _field_errors(problem: dict[str, Any]) -> dict[str, str]:
    """The API's validation errors by field, for the form."""
    return {str(e.get("field")): str(e.get("message")) for e in problem.get("errors", [])}
