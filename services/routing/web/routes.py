"""Workbench and dashboard pages: an officer signs in with their own staff account,
works the queue (overdue first), reads an application and moves it with the transitions
the workflow allows — every call goes through routing's agency API with the officer's
own token, so the same access records, workflow checks and idempotency apply as for an
agency's own system, and every record names the officer's username
(:mod:`services.routing.web.workbench`).

Signing in: the workbench is a relying party of the identity service's OpenID Connect
provider (:mod:`services.routing.web.workbench_signin`). The officer types their
username and password on the provider's page, never on routing's; routing receives a
one-time code, exchanges it server to server for the officer's access token and holds
that token in an HttpOnly, SameSite=Lax cookie scoped to ``/workbench``, verified with
the issuer's keys on every request, like any other service. A token whose account is not
an agency officer's or supervisor's is refused at sign-in.

The public dashboard's figures are gathered by
:func:`services.routing.web.dashboard_page.dashboard_page`.
"""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.routing.deps import RoutingPages
from services.routing.web.dashboard_page import DashboardFigures, DashboardQuery, dashboard_page
from services.routing.web.dashboard_payments import payments_section
from services.routing.web.desk import WORKBENCH
from services.routing.web.document_links import document_forms
from services.routing.web.queue_times_section import queue_times_section
from shared.web import checked_form, language

__all__ = ["TEMPLATES", "dashboard_router", "document_forms", "signout_router"]

TEMPLATES = Path(__file__).parent / "templates"

dashboard_router = APIRouter(include_in_schema=False)
signout_router = APIRouter(include_in_schema=False)
"""``POST /workbench/signout`` (:meth:`shared.web.signin.AreaSignIn.add_signout`'s route,
with the templates from :mod:`services.routing.deps`)."""


@signout_router.post("/workbench/signout")
async def signout(request: Request, pages: RoutingPages) -> Response:
    """The officer's token deleted, back to the sign-in page."""
    await checked_form(request)
    return WORKBENCH.sign_in_first(pages, request, forget=True)


@dashboard_router.get("/dashboard")
async def dashboard(request: Request, pages: RoutingPages, figures: DashboardFigures) -> Response:
    """Public: volumes, time to decision, share within SLA, overdue list, IKM and the
    payments' totals.

    Anyone may ask, so a request costs the same whatever the number of applications:
    the counters' few documents, and the first page of the overdue index."""
    query = DashboardQuery(language(request) == "en", bool(WORKBENCH.credential(request)))
    context = await dashboard_page(query, figures)
    context.update(await payments_section(query, figures))
    context.update(await queue_times_section(request, figures, query.english))
    return pages.render(request, "dashboard.html", **context)
