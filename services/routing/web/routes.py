"""Workbench and dashboard pages: an officer signs in with their own staff account,
works the queue (overdue first), reads an application and moves it with the transitions
the workflow allows — every call goes through routing's agency API with the officer's
own token, so the same access records, workflow checks and idempotency apply as for an
agency's own system, and every record names the officer's username
(:mod:`services.routing.web.workbench`).

Signing in: the page posts the username and password, server-side, to intake's token
endpoint (``POST /api/v1/auth/token`` at ``service_url(settings, "intake")``, see
:class:`IntakeSignIn`). Routing keeps no password and no hash: it holds the access token
intake signed, in an HttpOnly, SameSite=Lax cookie scoped to ``/workbench``, and
verifies it with the public key on every request, like any other service. A token whose
account is not an agency officer's or supervisor's is refused at sign-in.
"""

from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from services.routing.backfill import COUNTING, done
from services.routing.dashboard_counts import overdue_until
from services.routing.sla import escalated_query
from services.routing.web.dashboard import CHANNEL_NAMES, bar_chart, summary_from_counts
from services.routing.web.desk import WORKBENCH, Workbench, WorkbenchNotes, service_names
from services.routing.web.document_links import document_urls
from services.routing.web.intake_signin import IntakeSignIn
from services.routing.web.verify import verification_pages
from services.routing.web.workbench import workbench_router
from shared.web import Home, Pages, language, service_url

__all__ = ["TEMPLATES", "IntakeSignIn", "document_urls", "mount_web"]

TEMPLATES = Path(__file__).parent / "templates"


def mount_web(app: FastAPI, settings: Any) -> None:
    pages = Pages(
        TEMPLATES,
        settings,
        "routing",
        "workbench.html",
        Home("/workbench/", "Kembali ke antrean", "Back to the queue"),
    )
    pages.mount(app)
    runtime = app.state.runtime
    app.state.intake_signin = IntakeSignIn(settings)
    app.state.workbench = Workbench(pages, runtime.catalogue, WorkbenchNotes(runtime.db))
    signout = APIRouter(include_in_schema=False)
    WORKBENCH.add_signout(signout, pages)
    app.include_router(workbench_router)
    app.include_router(signout)
    app.include_router(dashboard_router(pages, app, settings))
    app.include_router(verification_pages(pages, app))


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
            names=service_names(runtime.catalogue),
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
