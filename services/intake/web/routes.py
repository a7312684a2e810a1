"""Citizen portal routes: thin — each reads a form, calls intake's API, renders a page.

Signed in means a ``mpp_session`` cookie holding the access token (HttpOnly, SameSite=Lax);
every post carries the CSRF token.
"""

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from services.intake.tracking import public_status
from services.intake.web.applications import (
    PAGE_SIZE,
    application_page,
    applications_page,
    names,
    read_answer,
    send_answer,
)
from services.intake.web.applying import keep_draft, read_service_form, show_service, submit
from services.intake.web.client import me
from services.intake.web.complaints import thread
from services.intake.web.deps import Applications, IntakeApi, PageDep, region_names
from shared.web import DEVICE_COOKIE, checked_form, end_session

__all__ = ["portal_router"]

portal_router = APIRouter(include_in_schema=False)


@portal_router.get("/")
async def root(page: PageDep) -> Response:
    return page.redirect("/portal/")


@portal_router.get("/portal/")
async def home(page: PageDep, client: IntakeApi, region: str | None = None) -> Response:
    regions = (await client.get("/api/v1/regions")).json()
    services = []
    if region:
        answer = await client.get("/api/v1/services", params={"region": region})
        services = answer.json() if answer.status_code == 200 else []
    profile = await me(client) if page.signed_in else None
    return page.render("home.html", regions=regions, region=region, services=services, me=profile)


# --- an account: signing out ----------------------------------------


@portal_router.post("/portal/signout")
async def signout(page: PageDep, client: IntakeApi) -> Response:
    """Out of the portal, and this device out of the account's signed-in devices."""
    await checked_form(page.request)
    device = page.request.cookies.get(DEVICE_COOKIE)
    if device and page.signed_in:
        await client.delete(f"/api/v1/me/devices/{quote(device, safe='')}")
    return end_session(page.redirect("/portal/"))


# --- applying for a service --------------------------------------------------------------


@portal_router.get("/portal/services/{code}")
async def service(
    page: PageDep, client: IntakeApi, code: str, region: str | None = None
) -> Response:
    return await show_service(page, client, code, region)


@portal_router.post("/portal/services/{code}/apply")
async def apply(page: PageDep, client: IntakeApi, code: str) -> Response:
    if not page.signed_in:
        return page.sign_in_first()
    posted = await read_service_form(page, client, code, await checked_form(page.request))
    return posted if isinstance(posted, Response) else await submit(page, client, posted)


@portal_router.post("/portal/services/{code}/draft")
async def save_draft(page: PageDep, client: IntakeApi, code: str) -> Response:
    """Keep the form's answers to finish later; allowed before the account is proven.
    Profile fields typed on the form go to the profile, as a submission's would."""
    if not page.signed_in:
        return page.sign_in_first()
    posted = await read_service_form(page, client, code, await checked_form(page.request))
    return posted if isinstance(posted, Response) else await keep_draft(page, client, posted)


# --- my applications -----------------------------------------------------------------------


@portal_router.get("/portal/applications")
async def mine(page: PageDep, client: IntakeApi, before: str | None = None) -> Response:
    """My applications, newest first, a page at a time (``before``: the last one of
    the page before), and my drafts still to submit."""
    params = {"limit": PAGE_SIZE, **({"before": before[:64]} if before else {})}
    answer = await client.get("/api/v1/applications", params=params)
    if answer.status_code == 401 or not page.signed_in:
        return page.sign_in_first()
    if answer.status_code != 200:
        return page.missing()
    listed = await client.get("/api/v1/drafts")
    drafts = listed.json() if listed.status_code == 200 and not before else []
    more = 'rel="next"' in answer.headers.get("link", "")
    profile = await me(client)
    region = profile.get("region") if profile else None
    return applications_page(page, answer.json(), drafts, more, region)


@portal_router.get("/portal/applications/{id}")
async def one(page: PageDep, client: IntakeApi, id: str) -> Response:
    answer = await client.get(f"/api/v1/applications/{id}")
    if answer.status_code == 401 or not page.signed_in:
        return page.sign_in_first()
    if answer.status_code != 200:
        return page.missing()
    profile = await me(client)
    region = profile and profile.get("region")
    return application_page(
        page, answer.json(), {}, region=region, complaints=await thread(page, id)
    )


@portal_router.get("/portal/applications/{id}/results/{code}")
async def result(page: PageDep, client: IntakeApi, id: str, code: str) -> Response:
    """A result document: the API fetches it from routing, where it is kept, and this
    answers it as the file — no signed link to it reaches the browser."""
    answer = await client.get(f"/api/v1/applications/{id}/results/{code}")
    if answer.status_code == 401 or not page.signed_in:
        return page.sign_in_first()
    if answer.status_code != 200:
        return page.missing(answer.status_code if answer.status_code == 410 else 404)
    passed = ("content-type", "content-disposition", "cache-control", "x-content-type-options")
    headers = {name: answer.headers[name] for name in passed if name in answer.headers}
    return Response(answer.content, headers=headers)


@portal_router.post("/portal/applications/{id}/answer")
async def answer(page: PageDep, client: IntakeApi, id: str) -> Response:
    form = await checked_form(page.request)
    current = await client.get(f"/api/v1/applications/{id}")
    if current.status_code != 200:
        return page.sign_in_first()
    item = current.json()
    schema = (await client.get(f"/api/v1/services/{item['service']}")).json()
    return await send_answer(page, client, item, read_answer(schema, form))


@portal_router.post("/portal/applications/{id}/cancel")
async def cancel(page: PageDep, client: IntakeApi, id: str) -> Response:
    form = await checked_form(page.request)
    reason = str(form.get("reason", "")).strip()[:500] or None
    sent = await client.post(f"/api/v1/applications/{id}/cancel", json={"reason": reason})
    if sent.status_code == 401:
        return page.sign_in_first()
    if sent.status_code != 202:
        return page.redirect(f"/portal/applications/{id}?cancel_refused=1")
    return page.redirect(f"/portal/applications/{id}?cancelled=1")


# --- tracking by number ------------------------------------------------------


@portal_router.get("/portal/track")
async def track(page: PageDep, applications: Applications, number: str | None = None) -> Response:
    """Public: status by tracking number, and nothing personal."""
    found = await public_status(applications, number) if number else None
    return page.render(
        "track.html",
        number=number or "",
        found=found,
        names=names(page.catalogue),
        regions=region_names(page),
    )
