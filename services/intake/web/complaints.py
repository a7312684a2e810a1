"""The questions and complaints on the portal's application page.

Filing goes through intake's own API (``POST /api/v1/applications/{id}/complaints``);
the thread and the replies are routing's, which keeps the complaints: the page asks
routing's citizen API with the session's own token (``MPP_INTERNAL_URLS``), so routing
answers only about the citizen's own applications. When routing cannot be reached the
page still shows, saying the messages cannot be shown just now.
"""

from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.intake.web.deps import IntakeApi, Page, PageDep
from shared.web import SESSION_COOKIE, bearer, checked_form, internal_url

__all__ = ["complaint_pages", "routing_client", "stored_attachment", "thread"]

complaint_pages = APIRouter(include_in_schema=False)


def routing_client(page: Page) -> httpx.AsyncClient:
    """Routing's citizen API, asked with the session's own token."""
    settings = page.pages.settings
    token = page.request.cookies.get(SESSION_COOKIE)
    return httpx.AsyncClient(
        base_url=internal_url(settings, "routing"), headers=bearer(token), timeout=5
    )


async def thread(page: Page, application_id: str) -> list[dict[str, Any]] | None:
    """The citizen's complaints about the application, oldest first; [] before routing
    knows the application, None when routing cannot be reached."""
    try:
        async with routing_client(page) as routing:
            answer = await routing.get(f"/api/v1/citizen/applications/{application_id}/complaints")
    except httpx.HTTPError:
        return None
    if answer.status_code == 404:
        return []
    return answer.json() if answer.status_code == 200 else None


async def stored_attachment(client: httpx.AsyncClient, form: Any) -> list[str] | None:
    """The form's one optional attachment stored as the citizen's upload: its sha256 in
    a list ([] without one), None when the upload was refused."""
    attachment = form.get("attachment")
    if not (isinstance(attachment, UploadFile) and attachment.filename):
        return []
    name = "lampiran." + (attachment.filename.rsplit(".", 1)[-1].lower()[:5] or "pdf")
    stored = await client.post("/api/v1/documents", files={"file": (name, await attachment.read())})
    return [stored.json()["sha256"]] if stored.status_code == 201 else None


@complaint_pages.post("/portal/applications/{id}/complaints")
async def file(page: PageDep, client: IntakeApi, id: str) -> Response:
    """A question or a complaint, with one optional attachment; the form's key makes a
    second press of the button file nothing more."""
    form = await checked_form(page.request)
    documents = await stored_attachment(client, form)
    if documents is None:
        return page.redirect(f"/portal/applications/{id}?complaint_refused=1#complaints")
    body = {
        "kind": "konsultasi" if form.get("kind") == "konsultasi" else "pengaduan",
        "text": str(form.get("text", "")).strip()[:4000],
        "documents": documents,
        "confidential": form.get("confidential") == "1",
    }
    key = str(form.get("key", "")).strip()[:100]
    sent = await client.post(
        f"/api/v1/applications/{id}/complaints", json=body, headers={"Idempotency-Key": key}
    )
    if sent.status_code == 401:
        return page.sign_in_first()
    if sent.status_code != 202:
        return page.redirect(f"/portal/applications/{id}?complaint_refused=1#complaints")
    return page.redirect(f"/portal/applications/{id}?complained=1#complaints")


@complaint_pages.post("/portal/applications/{id}/complaints/{complaint}/reply")
async def reply(page: PageDep, id: str, complaint: str) -> Response:
    """The citizen's reply to the agency's answer, to routing with the session's token."""
    form = await checked_form(page.request)
    text = str(form.get("text", "")).strip()[:4000]
    try:
        async with routing_client(page) as routing:
            sent = await routing.post(
                f"/api/v1/citizen/complaints/{complaint}/replies", json={"text": text}
            )
    except httpx.HTTPError:
        return page.redirect(f"/portal/applications/{id}?complaint_refused=1#complaints")
    if sent.status_code == 401:
        return page.sign_in_first()
    if sent.status_code != 200:
        return page.redirect(f"/portal/applications/{id}?complaint_refused=1#complaints")
    return page.redirect(f"/portal/applications/{id}?replied=1#complaints")
