"""Workbench and dashboard routes: an officer signs in with the agency's API key, works the queue
(overdue first), reads an application and moves it with the transitions the workflow
allows — every call goes through routing's agency API, so the same access records,
workflow checks and idempotency apply as for an agency's own system.

The key sits in an HttpOnly, SameSite=Lax cookie; the officer's name is sent as
``X-Officer-Id`` so the citizen's "who read my data" names the person, not only the key.
"""

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.routing.keys import key_id_of
from services.routing.web.applicant import applicant_rows
from services.routing.web.dashboard import bar_chart, summarise
from services.routing.web.verify import verification_pages
from services.routing.workflow import STATUSES
from shared.calendar import WIB
from shared.document_links import link_query
from shared.events import utcnow
from shared.web import Pages, bearer, checked_form, language, local_api, service_url

__all__ = ["document_urls", "mount_web"]

TEMPLATES = Path(__file__).parent / "templates"
KEY_COOKIE = "mpp_agency_key"
OFFICER_COOKIE = "mpp_officer"


def mount_web(app: FastAPI, settings: Any) -> None:
    pages = Pages(TEMPLATES, settings, "routing")
    pages.mount(app)
    app.include_router(workbench_router(pages, app))
    app.include_router(dashboard_router(pages, app, settings))
    app.include_router(verification_pages(pages, app))


def _api(request: Request) -> Any:
    headers = bearer(request.cookies.get(KEY_COOKIE))
    officer = request.cookies.get(OFFICER_COOKIE)
    if officer:
        headers["X-Officer-Id"] = officer
    return local_api(request, headers)


def workbench_router(pages: Pages, app: FastAPI) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    runtime = app.state.runtime
    notes = runtime.db["workbench_notes"]
    catalogue = runtime.catalogue

    def render(request: Request, template: str, code: int = 200, **context: Any) -> Response:
        return pages.render(
            request,
            template,
            code,
            signed_in=bool(request.cookies.get(KEY_COOKIE)),
            officer=request.cookies.get(OFFICER_COOKIE),
            **context,
        )

    def sign_in_first(request: Request) -> Response:
        return pages.redirect(request, "/workbench/signin")

    @router.get("/workbench/signin")
    async def signin_form(request: Request) -> Response:
        return render(request, "signin.html", error=None, officer_value="")

    @router.post("/workbench/signin")
    async def signin(request: Request) -> Response:
        form = await checked_form(request)
        key = str(form.get("key", "")).strip()
        officer = str(form.get("officer", "")).strip()[:100]
        async with local_api(request, bearer(key)) as client:
            answer = await client.get("/api/v1/agency/applications", params={"page_size": 1})
        if answer.status_code != 200:
            return render(
                request, "signin.html", 401, error=answer.json().get("title"), officer_value=officer
            )
        response = pages.redirect(request, "/workbench/")
        secure = request.url.scheme == "https"
        response.set_cookie(
            KEY_COOKIE, key, httponly=True, samesite="lax", secure=secure, path="/workbench"
        )
        if officer:
            response.set_cookie(
                OFFICER_COOKIE,
                officer,
                httponly=True,
                samesite="lax",
                secure=secure,
                path="/workbench",
            )
        return response

    @router.post("/workbench/signout")
    async def signout(request: Request) -> Response:
        await checked_form(request)
        response = pages.redirect(request, "/workbench/signin")
        response.delete_cookie(KEY_COOKIE, path="/workbench")
        response.delete_cookie(OFFICER_COOKIE, path="/workbench")
        return response

    @router.get("/workbench/")
    async def queue(request: Request, status: str | None = None, page: int = 1) -> Response:
        params: dict[str, Any] = {"page": min(max(page, 1), 100_000), "page_size": 50}
        if status in STATUSES:
            params["status"] = status
        async with _api(request) as client:
            answer = await client.get("/api/v1/agency/applications", params=params)
        if answer.status_code == 401:
            return sign_in_first(request)
        listing = answer.json()
        return render(
            request,
            "queue.html",
            items=listing["items"],
            next_page=listing["next_page"],
            page=listing["page"],
            status=status or "",
            statuses=STATUSES,
            names=_names(catalogue),
        )

    @router.get("/workbench/applications/{id}")
    async def detail(request: Request, id: str, error: str | None = None) -> Response:
        async with _api(request) as client:
            answer = await client.get(f"/api/v1/agency/applications/{id}")
        if answer.status_code == 401:
            return sign_in_first(request)
        if answer.status_code != 200:
            return render(request, "missing.html", 404)
        item = answer.json()
        service = catalogue.service(item["service"])
        fields = list(service.form.get("properties", {})) if service else []
        declared = list(service.applicant_fields) if service else []
        found = (
            await notes.find({"application_id": id, "agency": item["agency"]})
            .sort("at", 1)
            .to_list(200)
        )
        for response in item.get("responses") or []:
            response["at"] = _parse_time(response.get("at"))
        if item.get("cancellation"):
            item["cancellation"]["at"] = _parse_time(item["cancellation"].get("at"))
        for result in item.get("results") or []:  # the date of issue as on the paper (WIB)
            issued = _parse_time(result.get("issued_at"))
            result["issued_at"] = issued.astimezone(WIB) if issued and issued.tzinfo else issued
        return render(
            request,
            "application.html",
            item=item,
            applicant=applicant_rows(item.get("applicant"), declared, language(request)),
            links=document_urls(pages.settings, item, _officer(request)),
            fields=fields,
            documents=service.documents if service else [],
            notes=found,
            names=_names(catalogue),
            issuing=[to for to in item.get("allowed_next") or [] if to in _ISSUING],
            key=secrets.token_hex(12),
            error=error,
        )

    @router.post("/workbench/applications/{id}/transitions")
    async def transition(request: Request, id: str) -> Response:
        """A status change; with approved or completed, an attached result document is
        uploaded first (agency API) and issued with the change."""
        form = await checked_form(request)
        to = str(form.get("to", ""))
        requested = [str(v) for v in form.getlist("requested") if str(v).strip()]
        extra = str(form.get("requested_other", "")).strip()
        requested += [part.strip() for part in extra.split(",") if part.strip()]
        body: dict[str, Any] = {"to": to, "note": str(form.get("note", "")).strip() or None}
        if to == "needs_info":
            body["requested_fields"] = requested
        sent = form.get("result")
        upload = sent if isinstance(sent, UploadFile) and sent.filename else None
        if upload is not None and to not in _ISSUING:
            return await detail(
                request,
                id,
                error="Dokumen hasil hanya dilampirkan pada approved atau completed / A result "
                "document goes only with approved or completed; nothing was changed.",
            )
        issued = ""
        async with _api(request) as client:
            if upload is not None:
                stored = await client.post(
                    f"/api/v1/agency/applications/{id}/results",
                    files={"file": (upload.filename, await upload.read(), upload.content_type)},
                )
                if stored.status_code == 401:
                    return sign_in_first(request)
                if stored.status_code != 201:  # too large, or not a PDF, JPEG or PNG
                    problem = stored.json()
                    said = [problem.get("title"), problem.get("detail")]
                    return await detail(request, id, error=": ".join(filter(None, said)))
                body["results"] = [stored.json()["sha256"]]
                issued = stored.json()["code"]
            answer = await client.post(
                f"/api/v1/agency/applications/{id}/transitions",
                json=body,
                headers={"Idempotency-Key": str(form.get("key") or secrets.token_hex(12))},
            )
        if answer.status_code == 401:
            return sign_in_first(request)
        if answer.status_code != 200:
            problem = answer.json()
            return await detail(request, id, error=problem.get("detail") or problem.get("title"))
        moved = urlencode({"moved": to, **({"issued": issued} if issued else {})})
        return pages.redirect(request, f"/workbench/applications/{id}?{moved}")

    @router.post("/workbench/applications/{id}/notes")
    async def add_note(request: Request, id: str) -> Response:
        """Internal notes between officers; the citizen never sees them."""
        form = await checked_form(request)
        text = str(form.get("text", "")).strip()[:2000]
        async with _api(request) as client:
            answer = await client.get(f"/api/v1/agency/applications/{id}")
        if answer.status_code != 200:
            return sign_in_first(request)
        if text:
            await notes.insert_one(
                {
                    "application_id": id,
                    "agency": answer.json()["agency"],
                    "officer": request.cookies.get(OFFICER_COOKIE),
                    "text": text,
                    "at": utcnow(),
                }
            )
        return pages.redirect(request, f"/workbench/applications/{id}")

    return router


def _officer(request: Request) -> str:
    """Who the officer is, as the agency API records it: the name given at sign-in, else
    the key's public id."""
    named = request.cookies.get(OFFICER_COOKIE)
    if named:
        return named
    key_id = key_id_of(request.cookies.get(KEY_COOKIE) or "")
    return f"key:{key_id}" if key_id else ""


def document_urls(settings: Any, item: dict[str, Any], officer: str = "") -> dict[str, str]:
    """A short-lived signed link per document, opened on intake's pages: the bytes stay in
    intake's database, and the link works only for this application's own documents
    (those submitted, and those the citizen sent with an answer). Each link names the
    officer it was made for, so intake records the opening as that officer's access to
    the citizen's data."""
    base = service_url(settings, "intake")
    links = {}
    answered = [d for r in item.get("responses") or [] for d in r.get("documents") or []]
    for document in [*(item.get("documents") or []), *answered]:
        if document["sha256"] in links:
            continue
        query = link_query(
            settings.document_link_secret,
            item["id"],
            document["sha256"],
            item["agency"],
            settings.document_link_seconds,
            officer=officer,
        )
        links[document["sha256"]] = f"{base}/documents/{document['sha256']}?{urlencode(query)}"
    return links


def _names(catalogue: Any) -> dict[str, dict[str, str]]:
    return {service.code: service.name.model_dump() for service in catalogue.services}


_ISSUING = ("approved", "completed")
"""The transitions a result document may go with (the agency API's rule)."""


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def dashboard_router(pages: Pages, app: FastAPI, settings: Any) -> APIRouter:
    """Public: volumes, time to decision, share within SLA, overdue list and IKM."""
    router = APIRouter(include_in_schema=False)
    runtime = app.state.runtime
    applications = runtime.db["applications"]
    notify = service_url(settings, "notify")

    @router.get("/dashboard")
    async def dashboard(request: Request) -> Response:
        found = await applications.find(
            {},
            {
                "tracking_number": 1,
                "region": 1,
                "agency": 1,
                "service": 1,
                "status": 1,
                "submitted_at": 1,
                "updated_at": 1,
                "decided_at": 1,
                "sla_due_at": 1,
            },
        ).to_list(_DASHBOARD_LIMIT)
        summary = summarise(found, utcnow())
        ikm = await _ikm(notify)
        return pages.render(
            request,
            "dashboard.html",
            summary=summary,
            charts={
                "region": bar_chart(summary.by_region),
                "agency": bar_chart(summary.by_agency),
                "service": bar_chart(summary.by_service),
                "ikm": bar_chart([(i["key"], i["ikm"]) for i in ikm or []]),
            },
            ikm=ikm,
            names=_names(runtime.catalogue),
            signed_in=bool(request.cookies.get(KEY_COOKIE)),
            limit=_DASHBOARD_LIMIT,
        )

    return router


_DASHBOARD_LIMIT = 20_000


async def _ikm(notify: str) -> list[dict[str, Any]] | None:
    """IKM per service from notify's public API; None when notify cannot be reached."""
    try:
        async with httpx.AsyncClient(base_url=notify, timeout=3) as client:
            answer = await client.get("/api/v1/ikm", params={"group_by": "service"})
        answer.raise_for_status()
    except httpx.HTTPError:
        return None
    items = []
    for item in answer.json().get("items", []):
        value = item.get("ikm") if isinstance(item.get("ikm"), int | float) else None
        if value is None and isinstance(item.get("ikm"), dict):
            value = item["ikm"].get("value")
        key = item.get("key") or item.get("service") or item.get("group") or "-"
        if value is not None:
            items.append(
                {
                    "key": str(key),
                    "ikm": value,
                    "grade": item.get("grade"),
                    "respondents": item.get("respondents"),
                }
            )
    return items
