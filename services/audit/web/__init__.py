"""The auditor console and the citizen's "who read my data" page (see docs/web.md)."""

from pathlib import Path

from fastapi import FastAPI

from services.audit.web.routes import citizen_router, console_router, signin_router
from shared.settings import Settings
from shared.web import Home, Pages

__all__ = ["mount_web"]

TEMPLATES = Path(__file__).parent / "templates"


def mount_web(app: FastAPI, settings: Settings) -> None:
    """The pages on ``app``: their templates in ``app.state.pages``, for the routes'
    dependencies (:mod:`services.audit.deps`)."""
    pages = Pages(
        TEMPLATES, settings, "audit", "console.html", Home("/console/", "Kembali", "Back")
    )
    pages.mount(app)
    app.state.pages = pages
    app.include_router(signin_router)
    app.include_router(console_router)
    app.include_router(citizen_router)
