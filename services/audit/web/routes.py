"""Audit pages: auditors search the log, read one application's timeline, verify the
chain and export it; citizens see who read their applications and why.

Every call goes through audit's own API, so an auditor reading a timeline in the
console is recorded as an access exactly as through the API, and opening its personal
values for a stated purpose is the API's own opening, recorded before the values are
shown. The auditor key sits in
an HttpOnly, SameSite=Lax cookie scoped to ``/console``; the citizen page reads the
session cookie the portal set (one site, so one cookie) and audit verifies the token
with intake's public key, as its API does. The templates come from
:mod:`services.audit.deps`.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from services.audit.deps import AuditPages
from services.audit.web.fields import personal_rows
from services.audit.web.readers import reader_rows
from shared.web import SESSION_COOKIE, Pages, bearer, checked_form, language, local_api
from shared.web.signin import AreaSignIn

__all__ = ["CONSOLE", "KEY_COOKIE", "citizen_router", "console_router", "signin_router"]

KEY_COOKIE = "mpp_auditor_key"
CONSOLE = AreaSignIn(KEY_COOKIE, "/console")
_FILTERS = ("application_id", "agency", "region", "type")

signin_router = APIRouter(include_in_schema=False)
"""The console's sign-in with an auditor key (checked by the API), and sign-out."""
console_router = APIRouter(include_in_schema=False)
"""The auditors' console: search, one application's timeline (its personal values opened
for a stated purpose), verify, export."""
citizen_router = APIRouter(include_in_schema=False)
"""For citizens signed in on the portal: who read their applications."""


def _render(
    pages: Pages, request: Request, template: str, code: int = 200, **context: Any
) -> Response:
    return pages.render(
        request, template, code, signed_in=bool(CONSOLE.credential(request)), **context
    )


@signin_router.get("/console/signin")
async def signin_form(request: Request, pages: AuditPages) -> Response:
    return _render(pages, request, "signin.html", error=None)


@signin_router.post("/console/signin")
async def signin(request: Request, pages: AuditPages) -> Response:
    form = await checked_form(request)
    key = str(form.get("key", "")).strip()
    async with local_api(request, bearer(key)) as client:
        answer = await client.get("/api/v1/audit/events", params={"limit": 1})
    if answer.status_code != 200:
        return _render(pages, request, "signin.html", 401, error=answer.json().get("title"))
    return CONSOLE.signed_in(pages, request, key)


@signin_router.post("/console/signout")
async def signout(request: Request, pages: AuditPages) -> Response:
    """The key's cookie deleted, back to the sign-in page."""
    await checked_form(request)
    return CONSOLE.sign_in_first(pages, request, forget=True)


@console_router.get("/console/")
async def search(request: Request, pages: AuditPages, cursor: int = 0) -> Response:
    filters = {k: request.query_params.get(k, "").strip() for k in _FILTERS}
    params: dict[str, Any] = {k: v for k, v in filters.items() if v}
    params.update(cursor=min(max(cursor, 0), 2**62), limit=50)
    async with CONSOLE.api(request) as client:
        answer = await client.get("/api/v1/audit/events", params=params)
    if answer.status_code == 401:
        return CONSOLE.sign_in_first(pages, request)
    page = answer.json() if answer.status_code == 200 else {"items": [], "next_cursor": None}
    return _render(
        pages,
        request,
        "search.html",
        filters=filters,
        items=page["items"],
        next_cursor=page["next_cursor"],
        error=None if answer.status_code == 200 else answer.json().get("detail"),
    )


@console_router.get("/console/applications/{id}")
async def application(request: Request, id: str, pages: AuditPages) -> Response:
    async with CONSOLE.api(request) as client:
        answer = await client.get(
            f"/api/v1/audit/applications/{id}", params={"purpose": "audit console"}
        )
    if answer.status_code == 401:
        return CONSOLE.sign_in_first(pages, request)
    if answer.status_code != 200:
        return _render(pages, request, "missing.html", 404)
    return _application_page(pages, request, answer.json())


@console_router.post("/console/applications/{id}/open")
async def open_personal_data(request: Request, id: str, pages: AuditPages) -> Response:
    """The application's personal values opened, through the API's own opening: the
    reading is recorded in the citizen's access log (the auditor's key name and the
    purpose) before the values come back. They are in this response only (``no-store``),
    never in a cookie or an address, so the page read again shows them sealed. A purpose
    the API refuses is shown at its field, and nothing is read or recorded."""
    form = await checked_form(request)
    purpose = str(form.get("purpose", "")).strip()
    async with CONSOLE.api(request) as client:
        answer = await client.post(
            f"/api/v1/audit/applications/{id}/open", json={"purpose": purpose}
        )
        stored = await _as_stored(client, id) if answer.status_code == 200 else []
    if answer.status_code == 401:
        return CONSOLE.sign_in_first(pages, request)
    if answer.status_code == 422:
        refused = {"application_id": id, "events": None, "accessed_by": []}
        return _application_page(pages, request, refused, code=422, purpose=purpose, refused=True)
    if answer.status_code != 200:
        return _render(pages, request, "missing.html", 404)
    page = _application_page(pages, request, answer.json(), stored, purpose=purpose)
    page.headers["Cache-Control"] = "no-store"
    return page


@console_router.post("/console/verify")
async def verify(request: Request, pages: AuditPages) -> Response:
    await checked_form(request)
    async with CONSOLE.api(request) as client:
        answer = await client.get("/api/v1/audit/verify")
    if answer.status_code == 401:
        return CONSOLE.sign_in_first(pages, request)
    return _render(pages, request, "verify.html", verdict=answer.json())


@console_router.get("/console/export")
async def export(request: Request, pages: AuditPages) -> Response:
    """The API's export, streamed through: the log may be larger than memory."""
    client = CONSOLE.api(request)
    upstream = await client.send(client.build_request("GET", "/api/v1/audit/export"), stream=True)
    if upstream.status_code != 200:
        await upstream.aclose()
        await client.aclose()
        return CONSOLE.sign_in_first(pages, request)
    return StreamingResponse(
        _relayed(client, upstream),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit-export.jsonl"'},
    )


def _application_page(
    pages: Pages,
    request: Request,
    found: dict[str, Any],
    stored: list[dict[str, Any]] | None = None,
    code: int = 200,
    **context: Any,
) -> Response:
    """One application's timeline, each record's personal values beside it (a word for
    "sealed" until opened), and the form that opens them."""
    return _render(
        pages,
        request,
        "application.html",
        code,
        found=found,
        personal=personal_rows(found.get("events") or [], stored),
        region=_region_of(found),
        **context,
    )


async def _as_stored(client: httpx.AsyncClient, application_id: str) -> list[dict[str, Any]]:
    """The application's records sealed as stored — a bulk read, which opens nothing —
    to tell which of the opened values were personal."""
    items: list[dict[str, Any]] = []
    cursor: int | None = 0
    while cursor is not None:
        params = {"application_id": application_id, "cursor": cursor, "limit": 1000}
        answer = await client.get("/api/v1/audit/events", params=params)
        if answer.status_code != 200:
            break
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
    return items


def _region_of(found: dict[str, Any]) -> str | None:
    """The application's region, whose zone (WIB, WITA or WIT) the timeline's times are
    written in: the first record that names one."""
    for entry in found.get("events") or []:
        event = entry.get("event")
        if isinstance(event, dict) and event.get("region"):
            return str(event["region"])
    return None


async def _relayed(client: httpx.AsyncClient, upstream: httpx.Response) -> AsyncIterator[bytes]:
    """The upstream body as it comes, the client closed once it is read (or abandoned)."""
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    finally:
        await upstream.aclose()
        await client.aclose()


@citizen_router.get("/me/access")
async def my_access(request: Request, pages: AuditPages) -> Response:
    """For citizens: every read of their applications — by whom, when and why."""
    token = request.cookies.get(SESSION_COOKIE)
    async with local_api(request, bearer(token)) as client:
        answer = await client.get("/api/v1/me/access-log")
    if answer.status_code != 200:
        return pages.redirect(request, "/me/signin")
    catalogue = request.app.state.runtime.catalogue
    rows = reader_rows(answer.json()["items"], catalogue, language(request))
    return _render(pages, request, "access.html", items=rows, citizen=True)


@citizen_router.get("/me/signin")
async def citizen_signin(request: Request, pages: AuditPages) -> Response:
    return _render(pages, request, "citizen_signin.html", citizen=True)
