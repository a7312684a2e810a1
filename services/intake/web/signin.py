"""Signing a citizen in to the portal: at the platform's provider, never here.

``/portal/signin`` sends the browser to identity's sign-in page with the code flow and
PKCE (:class:`shared.web.code_flow.CodeFlow`, the ``portal`` client); the citizen types
their password there and only there. ``/portal/oidc/callback`` exchanges the code and
starts the portal's session as :mod:`services.intake.web.session` keeps it: the access
token, and the device (the refresh family the sign-in started, named by the ID token's
``sid``). A sign-in that cannot finish says why on a page with a way to start again.

``/portal/signin`` with a notice (``reset``, ``changed``, ``everywhere``,
``signed_out``) says what just happened first, with a button that starts the sign-in.
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.web import session
from services.intake.web.deps import Page, PageDep
from shared.web.code_flow import CodeFlow, CodeFlowFailed

__all__ = ["portal_flow", "signin_router"]

_NOTICES = ("reset", "changed", "everywhere", "signed_out")
_DEFAULT_NEXT = "/portal/applications"

signin_router = APIRouter(include_in_schema=False)


def portal_flow(request: Request) -> CodeFlow:
    """The portal as the provider's ``portal`` client; identity reached as intake
    reaches its API (a test puts identity in the same process)."""
    state = request.app.state
    return CodeFlow(
        "portal",
        "/portal",
        "intake",
        state.runtime.settings,
        transport=state.identity_client.transport,
    )


@signin_router.get("/portal/signin")
async def signin(page: PageDep, next: str = _DEFAULT_NEXT) -> Response:
    """To the provider's sign-in page, back to ``next`` (a portal page) afterwards."""
    if any(page.request.query_params.get(notice) for notice in _NOTICES):
        return page.render("signin.html", next=_local(next))
    return portal_flow(page.request).begin(page.request, _local(next))


@signin_router.get("/portal/oidc/callback")
async def callback(page: PageDep) -> Response:
    """The provider's answer: the portal's session started, or a page that says why
    not. The waiting cookie is deleted either way."""
    flow = portal_flow(page.request)
    try:
        signed = await flow.finish(page.request)
    except CodeFlowFailed as failed:
        return flow.forget(_failed(page, failed.reason))
    response = page.redirect(signed.after)
    token = {"access_token": signed.access_token, "expires_in": signed.expires_in}
    session.start(response, page.request, token, signed.claims.get("sid"))
    return flow.forget(response)


def _failed(page: Page, reason: str) -> Response:
    status = 503 if reason == "unavailable" else 400
    response = page.render("signin_failed.html", status, reason=reason)
    response.headers["Cache-Control"] = "no-store"
    return response


def _local(path: str) -> str:
    """Only the portal's own pages, so a crafted ``next`` cannot send anyone elsewhere."""
    return path if path.startswith("/portal/") and not path.startswith("//") else _DEFAULT_NEXT
