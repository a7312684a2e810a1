"""The citizen's account pages, served by identity: every page where a password is typed
(registering, a forgotten password, the account's security, the profile — a new email
or phone needs it), so no other service ever carries one, and proving the account's
contacts and NIK (docs/web.md).

They wear the portal's frame (``shared/web/templates/citizen.html``) and call identity's
own API in process (:func:`shared.web.local_api`), as the portal calls intake's.
"""

from pathlib import Path

from fastapi import FastAPI, Request

from services.identity.web.account import account_router
from services.identity.web.profile import profile_router
from services.identity.web.security import security_router
from services.identity.web.verify import verify_router
from shared.settings import Settings
from shared.web import SESSION_COOKIE, Pages

__all__ = ["mount_account_pages"]

TEMPLATES = Path(__file__).parent / "templates"


def _frame(request: Request) -> dict[str, bool]:
    return {"signed_in": bool(request.cookies.get(SESSION_COOKIE))}


def mount_account_pages(app: FastAPI, settings: Settings) -> Pages:
    """The account pages on ``app``, their templates in ``app.state.account_pages``; the
    error pages of every page route of identity (the provider's sign-in page's too) in
    the citizen's frame. Call after the service's limits, so their refusals read as
    pages."""
    pages = Pages(TEMPLATES, settings, "identity", "citizen.html", context=_frame)
    pages.mount(app)
    app.state.account_pages = pages
    app.include_router(account_router)
    app.include_router(security_router)
    app.include_router(profile_router)
    app.include_router(verify_router)
    return pages
