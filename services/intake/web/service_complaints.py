"""The portal's complaints page (``/portal/complaints``): a question or a complaint about
a service of a region — no application needed — and every complaint of the citizen with
its thread, where they reply to an answer.

Filing goes through intake's own API (``POST /api/v1/complaints``, which refuses a
service no office offers in the region); the list, the threads and the replies are
routing's, asked with the session's own token, so routing shows only the citizen's own.
When routing cannot be reached the page still shows, saying the messages cannot be shown
just now.
"""

from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter
from fastapi.responses import Response

from services.intake.web.complaints import routing_client, stored_attachment
from services.intake.web.deps import IntakeApi, Page, PageDep
from shared.ids import uuid7
from shared.web import checked_form, language

__all__ = ["complaints_view", "service_complaint_pages"]

service_complaint_pages = APIRouter(include_in_schema=False)

PAGE = "/portal/complaints"


async def _session_valid(client: httpx.AsyncClient) -> bool:
    """Whether the session's token is one intake accepts (a forged, expired or foreign
    one is sent to sign in, as on every portal page, before anything is drawn)."""
    answer = await client.get("/api/v1/applications", params={"limit": 1})
    return answer.status_code != 401


async def _mine(page: Page) -> list[dict[str, Any]] | None:
    """All of the citizen's complaints, newest first; None when routing is unreachable."""
    try:
        async with routing_client(page) as routing:
            answer = await routing.get("/api/v1/citizen/complaints")
    except httpx.HTTPError:
        return None
    return answer.json() if answer.status_code == 200 else None


def _service_label(page: Page, code: str) -> str:
    """A service by its name in the page's language, never its code."""
    found = page.catalogue.service(code)
    if found is None:
        return code
    return found.name.en if language(page.request) == "en" else found.name.id


def _back(region: str, outcome: str, anchor: str) -> str:
    query = f"?region={quote(region, safe='')}&" if region else "?"
    return f"{PAGE}{query}{outcome}=1#{anchor}"


@service_complaint_pages.get(PAGE)
async def complaints_page(page: PageDep, client: IntakeApi, region: str | None = None) -> Response:
    """Choose the region, then the service; below, the citizen's complaints."""
    if not page.signed_in or not await _session_valid(client):
        return page.sign_in_first()
    regions = (await client.get("/api/v1/regions")).json()
    services: list[dict[str, Any]] = []
    if region:
        answer = await client.get("/api/v1/services", params={"region": region})
        services = answer.json() if answer.status_code == 200 else []
    return complaints_view(page, regions, region, services, await _mine(page))


def complaints_view(
    page: Page,
    regions: list[dict[str, Any]],
    region: str | None,
    services: list[dict[str, Any]],
    complaints: list[dict[str, Any]] | None,
) -> Response:
    """The page drawn from the API's shapes (regions, the region's services, routing's
    view of the citizen's complaints)."""
    names = {r["code"]: f"{r['name']} — {r['mpp']}" for r in regions}
    return page.render(
        "complaints.html",
        regions=regions,
        region=region,
        region_name=names.get(region or ""),
        region_names=names,
        services=services,
        service_label=lambda code: _service_label(page, code),
        complaints=complaints,
        complaint_key=uuid7(),
    )


@service_complaint_pages.post(PAGE)
async def file_about_service(page: PageDep, client: IntakeApi) -> Response:
    """A question or a complaint about a service of the region, with one optional
    attachment; the form's key makes a second press of the button file nothing more."""
    form = await checked_form(page.request)
    region = str(form.get("region", "")).strip()[:8]
    documents = await stored_attachment(client, form)
    if documents is None:
        return page.redirect(_back(region, "complaint_refused", "file"))
    body = {
        "kind": "konsultasi" if form.get("kind") == "konsultasi" else "pengaduan",
        "text": str(form.get("text", "")).strip()[:4000],
        "documents": documents,
        "confidential": form.get("confidential") == "1",
        "service": str(form.get("service", "")).strip()[:100],
        "region": region,
    }
    key = str(form.get("key", "")).strip()[:100]
    sent = await client.post("/api/v1/complaints", json=body, headers={"Idempotency-Key": key})
    if sent.status_code == 401:
        return page.sign_in_first()
    if sent.status_code != 202:
        return page.redirect(_back(region, "complaint_refused", "file"))
    return page.redirect(_back(region, "complained", "mine"))


@service_complaint_pages.post(PAGE + "/{complaint}/reply")
async def reply_here(page: PageDep, client: IntakeApi, complaint: str) -> Response:
    """The citizen's reply to an answer, to routing with the session's token."""
    if not page.signed_in or not await _session_valid(client):
        return page.sign_in_first()
    form = await checked_form(page.request)
    text = str(form.get("text", "")).strip()[:4000]
    try:
        async with routing_client(page) as routing:
            sent = await routing.post(
                f"/api/v1/citizen/complaints/{quote(complaint, safe='')}/replies",
                json={"text": text},
            )
    except httpx.HTTPError:
        return page.redirect(_back("", "reply_refused", "mine"))
    if sent.status_code == 401:
        return page.sign_in_first()
    if sent.status_code != 200:
        return page.redirect(_back("", "reply_refused", "mine"))
    return page.redirect(_back("", "replied", f"c-{complaint}"))
