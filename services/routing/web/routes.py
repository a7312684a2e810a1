"""Workbench and dashboard routes: an officer signs in with their own staff account,
works the queue (overdue first), reads an application and moves it with the transitions
the workflow allows — every call goes through routing's agency API with the officer's
own token, so the same access records, workflow checks and idempotency apply as for an
agency's own system, and every record names the officer's username.

Signing in: the page posts the username and password, server-side, to intake's token
endpoint (``POST /api/v1/auth/token`` at ``service_url(settings, "intake")``, see
:class:`IntakeSignIn`). Routing keeps no password and no hash: it holds the access token
intake signed, in an HttpOnly, SameSite=Lax cookie scoped to ``/workbench``, and
verifies it with the public key on every request, like any other service. A token whose
account is not an agency officer's or supervisor's is refused at sign-in.
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

from services.routing.backfill import COUNTING, done
from services.routing.dashboard_counts import overdue_until
from services.routing.sla import escalated_query
from services.routing.web.applicant import applicant_rows
from services.routing.web.dashboard import CHANNEL_NAMES, bar_chart, summary_from_counts
from services.routing.web.verify import verification_pages
from services.routing.workflow import STATUSES
from shared.auth import CitizenPrincipal, InvalidToken, TokenVerifier
from shared.calendar import WIB
from shared.document_links import link_query
from shared.events import utcnow
from shared.web import Home, Pages, bearer, checked_form, language, local_api, service_url
from shared.web.signin import AreaSignIn
from shared.workflow import ISSUING

__all__ = ["IntakeSignIn", "document_urls", "mount_web"]

TEMPLATES = Path(__file__).parent / "templates"
STAFF_COOKIE = "mpp_workbench"
"""The signed-in officer's access token (intake-signed), for ``/workbench`` only."""
WORKBENCH = AreaSignIn(STAFF_COOKIE, "/workbench")
_SIGNED_OUT = (401, 403)
"""The agency API's answers that send the officer back to the sign-in page: no valid
credential, or one that is not an agency staff member's."""
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret


class IntakeSignIn:
    """Hands an officer's username and password to intake's token endpoint and returns
    intake's answer; routing never keeps either. ``transport`` lets a test put intake in
    the same process.

    Intake is reached at ``MPP_INTAKE_INTERNAL_URL`` (Compose: the intake container), else
    at ``service_url(settings, "intake")`` when that is an absolute URL, else at its local
    default address — never at
    the request's ``Host``, which the caller chooses and would let anyone make routing
    post to an address of their choice."""

    def __init__(self, settings: Any) -> None:
        base = settings.intake_internal_url or service_url(settings, "intake")
        if not base.startswith(("http://", "https://")):
            base = service_url(settings.model_copy(update={"web_urls": {}}), "intake")
        self.base = base
        self.transport: httpx.AsyncBaseTransport | None = None

    async def token(self, username: str, password: str) -> httpx.Response:
        async with httpx.AsyncClient(
            base_url=self.base, transport=self.transport, timeout=10
        ) as client:
            return await client.post(TOKEN_PATH, data={"username": username, "password": password})


def mount_web(app: FastAPI, settings: Any) -> None:
    pages = Pages(
        TEMPLATES,
        settings,
        "routing",
        "workbench.html",
        Home("/workbench/", "Kembali ke antrean", "Back to the queue"),
    )
    pages.mount(app)
    app.state.intake_signin = IntakeSignIn(settings)
    app.include_router(workbench_router(pages, app))
    app.include_router(dashboard_router(pages, app, settings))
    app.include_router(verification_pages(pages, app))


def workbench_router(pages: Pages, app: FastAPI) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    runtime = app.state.runtime
    notes = runtime.db["workbench_notes"]
    catalogue = runtime.catalogue
    tokens = TokenVerifier(pages.settings)

    def officer_of(request: Request) -> CitizenPrincipal | None:
        """The officer the cookie names (signature and expiry only: the agency API checks
        the rest on every call)."""
        token = WORKBENCH.credential(request)
        if not token:
            return None
        try:
            return tokens.verify(token)
        except InvalidToken:
            return None

    def render(request: Request, template: str, code: int = 200, **context: Any) -> Response:
        officer = officer_of(request)
        return pages.render(
            request,
            template,
            code,
            signed_in=officer is not None,
            officer=(officer.name or officer.subject) if officer else None,
            **context,
        )

    def sign_in_first(request: Request) -> Response:
        return WORKBENCH.sign_in_first(pages, request, forget=True)

    def refused(request: Request, code: int, error: str, username: str = "") -> Response:
        return render(request, "signin.html", code, error=error, username=username)

    @router.get("/workbench/signin")
    async def signin_form(request: Request) -> Response:
        return render(request, "signin.html", error=None, username="")

    @router.post("/workbench/signin")
    async def signin(request: Request) -> Response:
        form = await checked_form(request)
        username = str(form.get("username", "")).strip()[:100]
        password = str(form.get("password", ""))[:200]
        if not username or not password:
            return refused(
                request,
                422,
                "Isi nama pengguna dan kata sandi / Enter your username and password.",
                username,
            )
        try:
            answer = await app.state.intake_signin.token(username, password)
        except httpx.HTTPError:
            return refused(
                request,
                503,
                "Layanan masuk tidak dapat dihubungi; coba lagi sebentar / The sign-in service "
                "cannot be reached; try again shortly.",
                username,
            )
        if answer.status_code == 401:
            return refused(
                request,
                401,
                "Nama pengguna atau kata sandi salah / Wrong username or password.",
                username,
            )
        if answer.status_code != 200:
            problem = _problem(answer)
            said = [problem.get("title"), problem.get("detail")]
            return refused(request, answer.status_code, ": ".join(filter(None, said)), username)
        token, lifetime = answer.json()["access_token"], int(answer.json()["expires_in"])
        async with local_api(request, bearer(token)) as client:
            check = await client.get("/api/v1/agency/applications", params={"page_size": 1})
        if check.status_code != 200:
            return refused(
                request,
                403,
                "Akun ini bukan akun petugas instansi / This account is not an agency "
                "officer's or supervisor's.",
                username,
            )
        return WORKBENCH.signed_in(pages, request, token, max_age=lifetime)

    WORKBENCH.add_signout(router, pages)

    @router.get("/workbench/")
    async def queue(request: Request, status: str | None = None, page: int = 1) -> Response:
        params: dict[str, Any] = {"page": min(max(page, 1), 100_000), "page_size": 50}
        if status in STATUSES:
            params["status"] = status
        async with WORKBENCH.api(request) as client:
            answer = await client.get("/api/v1/agency/applications", params=params)
        if answer.status_code in _SIGNED_OUT:
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
        async with WORKBENCH.api(request) as client:
            answer = await client.get(f"/api/v1/agency/applications/{id}")
        if answer.status_code in _SIGNED_OUT:
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
            links=document_urls(pages.settings, item, _username(officer_of(request))),
            fields=fields,
            documents=service.documents if service else [],
            notes=found,
            names=_names(catalogue),
            issuing=[to for to in item.get("allowed_next") or [] if to in ISSUING],
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
        if upload is not None and to not in ISSUING:
            return await detail(
                request,
                id,
                error="Dokumen hasil hanya dilampirkan pada approved atau completed / A result "
                "document goes only with approved or completed; nothing was changed.",
            )
        issued = ""
        async with WORKBENCH.api(request) as client:
            if upload is not None:
                stored = await client.post(
                    f"/api/v1/agency/applications/{id}/results",
                    files={"file": (upload.filename, await upload.read(), upload.content_type)},
                )
                if stored.status_code in _SIGNED_OUT:
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
        if answer.status_code in _SIGNED_OUT:
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
        async with WORKBENCH.api(request) as client:
            answer = await client.get(f"/api/v1/agency/applications/{id}")
        if answer.status_code != 200:
            return sign_in_first(request)
        officer = officer_of(request)
        if text and officer is not None:
            await notes.insert_one(
                {
                    "application_id": id,
                    "agency": answer.json()["agency"],
                    "officer": officer.subject,
                    "officer_name": officer.name,
                    "text": text,
                    "at": utcnow(),
                }
            )
        return pages.redirect(request, f"/workbench/applications/{id}")

    return router


def _username(officer: CitizenPrincipal | None) -> str:
    return officer.subject if officer else ""


def _problem(answer: httpx.Response) -> dict[str, Any]:
    try:
        found = answer.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def document_urls(settings: Any, item: dict[str, Any], officer: str = "") -> dict[str, str]:
    """A short-lived signed link per document, opened on intake's pages: the bytes stay in
    intake's database, and the link works only for this application's own documents
    (those submitted, and those the citizen sent with an answer). Each link names the
    officer it was made for, so intake records the opening as that officer's access to
    the citizen's data — the staff username, which the link's signature covers."""
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


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def dashboard_router(pages: Pages, app: FastAPI, settings: Any) -> APIRouter:
    """Public: volumes, time to decision, share within SLA, overdue list and IKM.

    Anyone may ask, so a request costs the same whatever the number of applications:
    the counters' few documents, and the first page of the overdue index."""
    router = APIRouter(include_in_schema=False)
    runtime = app.state.runtime
    counts = app.state.dashboard_counts
    applications = runtime.db["applications"]
    notify = service_url(settings, "notify")

    @router.get("/dashboard")
    async def dashboard(request: Request) -> Response:
        figures = await counts.read()
        until = overdue_until(figures, _OVERDUE_SHOWN)
        overdue = []
        if until is not None:  # only the due dates the list shows are read
            overdue = (
                await applications.find(
                    escalated_query(until),
                    {"tracking_number": 1, "service": 1, "agency": 1, "sla_due_at": 1},
                )
                .sort("sla_due_at", 1)
                .limit(_OVERDUE_SHOWN)
                .to_list(_OVERDUE_SHOWN)
            )
        summary = summary_from_counts(figures, overdue)
        counting = not await done(runtime.db, COUNTING)
        ikm = await _ikm(notify)
        english = language(request) == "en"
        channels = [
            (CHANNEL_NAMES.get(code, (code, code))[english], n) for code, n in summary.by_channel
        ]
        return pages.render(
            request,
            "dashboard.html",
            summary=summary,
            charts={
                "region": bar_chart(summary.by_region),
                "agency": bar_chart(summary.by_agency),
                "service": bar_chart(summary.by_service),
                "channel": bar_chart(channels),
                "ikm": bar_chart([(i["key"], i["ikm"]) for i in ikm or []]),
            },
            ikm=ikm,
            names=_names(runtime.catalogue),
            signed_in=bool(WORKBENCH.credential(request)),
            counting=counting,
        )

    return router


_OVERDUE_SHOWN = 50


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
