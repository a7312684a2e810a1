"""The workbench's complaints page: an officer reads the complaints addressed to their
agency (the overdue ones marked), and answers one; a region's administrator reads and
answers those about their region's MPP building on the same page.

Like every workbench page it goes through the API with the signed-in person's own token
— the agency API (:mod:`services.routing.complaints.api`) for an officer, the building's
(:mod:`services.routing.complaints.building_api`) for a ``region_admin`` — so each sees
and answers only their own, and a confidential one without the application.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.routing.web.desk import SIGNED_OUT_ANSWERS, WORKBENCH, Desk, service_names
from shared.web import checked_form

__all__ = ["complaints_desk_router"]

complaints_desk_router = APIRouter(include_in_schema=False)

_LIST = "/api/v1/agency/complaints"
_BUILDING = "/api/v1/mpp/complaints"


async def _api_of(request: Request, desk: Desk) -> str:
    """Where the signed-in person's complaints are: a region administrator's are the
    building's, everyone else's their agency's."""
    person = await desk.officer_of(request)
    return _BUILDING if person is not None and "region_admin" in person.roles else _LIST


@complaints_desk_router.get("/workbench/complaints")
async def complaints(request: Request, desk: Desk) -> Response:
    return await _page(request, desk, None)


@complaints_desk_router.post("/workbench/complaints/{id}/answers")
async def answer_complaint(request: Request, id: str, desk: Desk) -> Response:
    """The officer's answer; the page again with the reason when it is refused."""
    form = await checked_form(request)
    text = str(form.get("answer", "")).strip()[:4000]
    if not text:
        return await _page(request, desk, "Tulis jawabannya dulu / Write the answer first.")
    async with WORKBENCH.api(request) as api:
        answer = await api.post(
            f"{await _api_of(request, desk)}/{id}/answers", json={"answer": text}
        )
    if answer.status_code in SIGNED_OUT_ANSWERS:
        return desk.sign_in_first(request)
    if answer.status_code != 200:
        problem: dict[str, Any] = answer.json()
        return await _page(request, desk, f"{problem.get('title')}: {problem.get('detail')}")
    return desk.pages.redirect(request, "/workbench/complaints")


async def _page(request: Request, desk: Desk, error: str | None) -> Response:
    async with WORKBENCH.api(request) as api:
        listing = await api.get(await _api_of(request, desk))
    if listing.status_code in SIGNED_OUT_ANSWERS:
        return desk.sign_in_first(request)
    return await desk.render(
        request,
        "complaints.html",
        422 if error else 200,
        complaints=listing.json(),
        names=service_names(desk.catalogue),
        error=error,
    )
