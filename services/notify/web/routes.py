"""Inbox and survey pages: notify serves the notices it keeps, to the citizen signed in
on the portal (one site, so the portal's session cookie comes along; notify verifies
the token with intake's public key, as its API does). Reads and answers go through
notify's own API."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from shared.web import SESSION_COOKIE, Pages, bearer, checked_form, local_api

__all__ = ["mount_web"]

TEMPLATES = Path(__file__).parent / "templates"


def mount_web(app: FastAPI, settings: Any) -> None:
    pages = Pages(TEMPLATES, settings, "notify", "notify.html")
    pages.mount(app)
    app.include_router(inbox_router(pages))


def _api(request: Request) -> Any:
    return local_api(request, bearer(request.cookies.get(SESSION_COOKIE)))


def inbox_router(pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, code: int = 200, **context: Any) -> Response:
        return pages.render(request, template, code, **context)

    @router.get("/inbox")
    async def inbox(request: Request, page: int = 1) -> Response:
        async with _api(request) as client:
            answer = await client.get("/api/v1/notifications", params={"page": max(page, 1)})
        if answer.status_code != 200:
            return render(request, "citizen_signin.html", 401)
        listing = answer.json()
        more = listing["page"] * listing["page_size"] < listing["total"]
        return render(request, "inbox.html", listing=listing, more=more)

    @router.post("/inbox/{notice_id}/read")
    async def mark_read(request: Request, notice_id: str) -> Response:
        await checked_form(request)
        async with _api(request) as client:
            await client.post(f"/api/v1/notifications/{notice_id}/read")
        return pages.redirect(request, "/inbox")

    @router.get("/surveys/{application_id}")
    async def survey(request: Request, application_id: str) -> Response:
        async with _api(request) as client:
            answer = await client.get(f"/api/v1/surveys/{application_id}")
        if answer.status_code == 401:
            return render(request, "citizen_signin.html", 401)
        if answer.status_code != 200:
            return render(request, "missing.html", 404)
        return render(request, "survey.html", survey=answer.json(), errors={})

    @router.post("/surveys/{application_id}")
    async def answer_survey(request: Request, application_id: str) -> Response:
        form = await checked_form(request)
        scores = {f"u{i}": form.get(f"u{i}") for i in range(1, 10)}
        async with _api(request) as client:
            answer = await client.post(f"/api/v1/surveys/{application_id}", json=scores)
            if answer.status_code in (201, 409):
                return pages.redirect(request, f"/surveys/{application_id}?thanks=1")
            current = await client.get(f"/api/v1/surveys/{application_id}")
        if current.status_code != 200:
            return render(request, "missing.html", 404)
        errors = {
            str(e.get("field")): str(e.get("message")) for e in answer.json().get("errors", [])
        }
        return render(request, "survey.html", 422, survey=current.json(), errors=errors)

    return router
