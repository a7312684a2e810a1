"""The citizen's notification inbox and satisfaction survey (see docs/web.md)."""

from pathlib import Path

from fastapi import FastAPI

from services.notify.web.routes import inbox_router
from shared.settings import Settings
from shared.web import Pages

__all__ = ["mount_web"]

TEMPLATES = Path(__file__).parent / "templates"


def mount_web(app: FastAPI, settings: Settings) -> None:
    """The inbox pages on ``app``: their templates in ``app.state.pages``, for the
    routes' dependencies (:mod:`services.notify.deps`)."""
    pages = Pages(TEMPLATES, settings, "notify", "notify.html")
    pages.mount(app)
    app.state.pages = pages
    app.include_router(inbox_router)
