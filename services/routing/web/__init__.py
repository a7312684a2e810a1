"""The agency workbench, the public dashboard and the verification page: routing's
pages (see docs/web.md)."""

from fastapi import FastAPI

from services.routing.web.complaints_desk import complaints_desk_router
from services.routing.web.dashboard_page import Figures
from services.routing.web.desk import Workbench, WorkbenchNotes
from services.routing.web.payments_desk import payments_desk_router
from services.routing.web.routes import TEMPLATES, dashboard_router, signout_router
from services.routing.web.verify import verification_pages
from services.routing.web.workbench import workbench_router
from shared.settings import Settings
from shared.web import Home, Pages, service_url

__all__ = ["mount_web"]


def mount_web(app: FastAPI, settings: Settings) -> None:
    """The pages on ``app``: what their routes take on ``app.state`` (the templates,
    the workbench's desk with its sign-in at the provider, and the dashboard's figures; see
    :mod:`services.routing.deps`), from the parts :func:`services.routing.app.build`
    left there (``app.state.parts``)."""
    pages = Pages(
        TEMPLATES,
        settings,
        "routing",
        "workbench.html",
        Home("/workbench/", "Kembali ke antrean", "Back to the queue"),
    )
    pages.mount(app)
    state = app.state
    runtime = state.runtime
    state.pages = pages
    state.workbench = Workbench(pages, runtime.catalogue, WorkbenchNotes(runtime.db))
    state.dashboard_figures = Figures(
        counts=state.parts.counts,
        applications=state.parts.applications,
        db=runtime.db,
        catalogue=runtime.catalogue,
        notify_url=service_url(settings, "notify"),
    )
    app.include_router(workbench_router)
    app.include_router(complaints_desk_router)
    app.include_router(payments_desk_router)
    app.include_router(signout_router)
    app.include_router(dashboard_router)
    app.include_router(verification_pages)
