"""The citizen portal: intake's pages for citizens (see docs/web.md), and the building's
queue pages (the kiosk, the counter, the hall's display; docs/queue.md), served by the
same app as intake's API, which every page calls in process."""

from pathlib import Path

from fastapi import FastAPI

from services.intake.web.complaints import complaint_pages
from services.intake.web.deps import signed_in
from services.intake.web.queue_desk import queue_desk_router
from services.intake.web.queue_display import queue_display_router
from services.intake.web.queue_signin import queue_signin_router
from services.intake.web.routes import portal_router
from services.intake.web.service_complaints import service_complaint_pages
from services.intake.web.signin import signin_router
from services.intake.web.uploads import uploads_router
from shared.settings import Settings
from shared.web import Home, Pages

__all__ = ["mount_web"]

TEMPLATES = Path(__file__).parent / "templates"


def mount_web(app: FastAPI, settings: Settings) -> None:
    """The portal's pages on ``app``: its templates in ``app.state.pages``, for the
    routes' dependencies (:mod:`services.intake.web.deps`)."""
    pages = Pages(
        TEMPLATES,
        settings,
        "intake",
        "portal.html",
        Home("/portal/", "Kembali ke layanan", "Back to services"),
        # The frame's menu on every page, the shared error pages included.
        context=lambda request: {"signed_in": signed_in(request)},
    )
    pages.mount(app)
    app.state.pages = pages
    app.include_router(portal_router)
    app.include_router(complaint_pages)
    app.include_router(service_complaint_pages)
    app.include_router(signin_router)
    app.include_router(uploads_router)
    # The building's queue: the kiosk's and the counter's pages, and the hall's display.
    app.include_router(queue_signin_router)
    app.include_router(queue_desk_router)
    app.include_router(queue_display_router)
